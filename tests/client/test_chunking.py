"""Chunking a push within the server's limits: 5,000 events and 8 MiB per request body."""

from __future__ import annotations

import json

import pytest

from sync.client.chunking import MAX_BYTES, build_body, chunked
from sync.client.store import PendingEvent

DEVICE = {"deviceId": "cli-test", "platform": "cli", "appVersion": "0.1.0"}


def events(count: int, size: int = 100) -> list[PendingEvent]:
    out = []
    for n in range(count):
        wire = json.dumps({"id": f"e{n}", "pad": ""}).encode()
        wire = json.dumps({"id": f"e{n}", "pad": "x" * max(0, size - len(wire))}).encode()
        out.append(PendingEvent(n, f"e{n}", wire))
    return out


def test_requests_stop_at_5000_events():
    chunks = list(chunked(events(12_001, size=50), device=DEVICE))
    assert [len(c.events) for c in chunks] == [5000, 5000, 2001]


def test_requests_stop_at_8_mib_counting_the_envelope_and_the_commas():
    pending = events(3000, size=5000)  # 15 MB of events
    chunks = list(chunked(pending, device=DEVICE))
    assert sum(len(c.events) for c in chunks) == 3000
    for chunk in chunks:
        assert chunk.size == len(chunk.body) <= MAX_BYTES
        body = json.loads(chunk.body)
        assert body["device"] == DEVICE and [e["id"] for e in body["events"]] == chunk.ids
    # Each full chunk could not take one more event.
    for chunk in chunks[:-1]:
        assert chunk.size + 1 + 5000 > MAX_BYTES


@pytest.mark.parametrize("spare", [0, 1])
def test_an_event_that_fits_exactly_goes_in_and_one_byte_more_does_not(spare):
    pending = events(2, size=1000)
    limit = len(build_body(DEVICE, pending)) - 1 + spare
    chunks = list(chunked(pending, device=DEVICE, max_bytes=limit))
    assert [len(c.events) for c in chunks] == ([2] if spare else [1, 1])


def test_order_is_kept_and_nothing_is_lost_or_repeated():
    pending = events(10_000, size=1300)
    ids = [i for chunk in chunked(pending, device=DEVICE) for i in chunk.ids]
    assert ids == [e.id for e in pending]


def test_an_event_larger_than_a_request_comes_out_alone_for_the_caller_to_keep_back():
    pending = events(1, size=100) + [PendingEvent(1, "huge", b'"' + b"x" * 2000 + b'"')] + events(1, size=100)
    chunks = list(chunked(pending, device=DEVICE, max_bytes=1000))
    assert [c.ids for c in chunks] == [["e0"], ["huge"], ["e0"]]
    assert chunks[1].size > 1000
