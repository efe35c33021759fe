"""When the field client asks for a batch's outcomes (GET /api/v1/sync/batches/{id}), against the
scripted HTTP server of tests/client/harness.py with the clock and the sleep injected."""

from __future__ import annotations

import uuid

import pytest

from sync.client.engine import FIRST_POLL_SECONDS, NEXT_POLL_SECONDS, FieldClient
from tests.client.harness import ScriptedServer
from tests.client.test_backoff import BATCHES, FakeTime, accepted, device

BATCH_ID = str(uuid.uuid4())
STATUS = f"{BATCHES}/{BATCH_ID}"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def _stamped(clock: FakeTime, stamps: list, body):
    """An answer that notes the client's clock when the request came (the client waits for it)."""
    def answer(request):
        stamps.append((request["method"], clock.now))
        return body(request) if callable(body) else body
    return answer


def _status(status: str, ids: list[str]) -> dict:
    outcome = "APPLIED" if status == "COMPLETED" else "PENDING"
    return {"batchId": BATCH_ID, "status": status,
            "counts": {"applied": len(ids) if status == "COMPLETED" else 0, "autoResolved": 0, "pendingReview": 0,
                       "rejected": 0, "duplicates": 0},
            "results": [{"eventId": i, "outcome": outcome, "conflict": None, "errors": []} for i in ids]}


def _queued(ids: list[str]):
    """The 202 of a push (tests.client.test_backoff.accepted) under BATCH_ID; notes the ids accepted."""
    def answer(request) -> dict:
        body = {**accepted(request), "batchId": BATCH_ID, "statusUrl": STATUS}
        ids.extend(body["accepted"])
        return body
    return answer


def test_a_batch_just_queued_is_first_asked_about_after_the_first_poll_delay_not_at_once(tmp_path, fake_time):
    stamps: list = []
    ids: list[str] = []
    server = ScriptedServer({
        BATCHES: [(202, {}, _stamped(fake_time, stamps, _queued(ids)))],
        STATUS: [(200, {}, _stamped(fake_time, stamps, lambda r: _status("PROCESSING", ids))),
                 (200, {}, _stamped(fake_time, stamps, lambda r: _status("PROCESSING", ids))),
                 (200, {}, _stamped(fake_time, stamps, lambda r: _status("PROCESSING", ids))),
                 (200, {}, _stamped(fake_time, stamps, lambda r: _status("COMPLETED", ids)))],
    })
    client = device(tmp_path, server, fake_time)
    try:
        report = client.sync(wait=60, pull=False)
    finally:
        server.close()
    assert [method for method, _ in stamps] == ["POST", "GET", "GET", "GET", "GET"]
    pushed, *polls = [at for _, at in stamps]
    # A poll at once could only have seen the batch pending: the first one waits FIRST_POLL_SECONDS;
    # one still processing then is nearly done: the next comes NEXT_POLL_SECONDS later, each after
    # that 1.5 times longer (the answers themselves take no time on this clock).
    assert [at - pushed for at in polls] == pytest.approx([FIRST_POLL_SECONDS, FIRST_POLL_SECONDS + NEXT_POLL_SECONDS,
                                                         FIRST_POLL_SECONDS + NEXT_POLL_SECONDS * 2.5,
                                                         FIRST_POLL_SECONDS + NEXT_POLL_SECONDS * 4.75])
    assert report.batches_open == 0 and report.outcomes.get("APPLIED") == 3


def test_a_batch_left_open_by_an_earlier_sync_is_asked_about_at_once(tmp_path, fake_time):
    stamps: list = []
    ids: list[str] = []
    server = ScriptedServer({
        BATCHES: [(202, {}, _queued(ids))],
        STATUS: [(200, {}, _stamped(fake_time, stamps, lambda r: _status("PROCESSING", ids))),
                 (200, {}, _stamped(fake_time, stamps, lambda r: _status("COMPLETED", ids)))],
    })
    client = device(tmp_path, server, fake_time)
    try:
        client.push()  # a sync that stopped before its outcomes (no wait)
        client.close()
        later = FieldClient(client.folder, server=server.url, sleep=fake_time.sleep, clock=fake_time.clock)
        started = fake_time.now
        report = later.wait_for_outcomes(timeout=60)
        later.close()
    finally:
        server.close()
    # Queued long ago, as far as this client knows: the first poll goes at once, the next after
    # FIRST_POLL_SECONDS.
    assert [at - started for _, at in stamps] == pytest.approx([0, FIRST_POLL_SECONDS])
    assert report.batches_open == 0
