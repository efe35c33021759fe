"""Split the events to push into requests the server accepts: at most 5,000 events and 8 MiB
per request body (the server's limits, sync.schemas), counting the envelope and the commas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from sync.schemas import MAX_BYTES, MAX_EVENTS

from .wire import PendingEvent, compact


@dataclass(frozen=True)
class Chunk:
    events: Sequence[PendingEvent]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.events]


def envelope(device: dict) -> tuple[bytes, bytes]:
    head = b'{"device":' + compact(device).encode() + b',"events":['
    return head, b"]}"


def build_body(device: dict, events: Sequence[PendingEvent]) -> bytes:
    head, tail = envelope(device)
    return head + b",".join(e.wire for e in events) + tail


def chunked(events: Sequence[PendingEvent], *, device: dict, max_events: int = MAX_EVENTS,
            max_bytes: int = MAX_BYTES) -> Iterator[Chunk]:
    """Greedy, in order: each chunk as full as both limits allow. An event too large to fit a
    request even alone comes out as a chunk of its own whose body is over the limit (the caller
    keeps it back: sending it would only earn a 413)."""
    if max_events < 1:
        raise ValueError("max_events must be at least 1")
    head, tail = envelope(device)
    fixed = len(head) + len(tail)
    start, size = 0, fixed
    for index, event in enumerate(events):
        extra = len(event.wire) + (1 if index > start else 0)  # the comma before it
        if index > start and (index - start >= max_events or size + extra > max_bytes):
            yield Chunk(events[start:index], build_body(device, events[start:index]))
            start, size, extra = index, fixed, len(event.wire)
        size += extra
    if start < len(events):
        yield Chunk(events[start:], build_body(device, events[start:]))
