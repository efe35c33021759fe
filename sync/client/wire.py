"""JSON and times as the field client writes them, in its store and on the wire alike: compact
JSON, RFC 3339 in UTC, and an event as a push request carries it (API.md section 6).

Standard library only: the store and the chunking of requests both build on it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    """UTC, microseconds kept (two events recorded in one second still order), 'Z' suffix."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def compact(value) -> str:
    """JSON with no spaces, non-ASCII kept as it is (UTF-8 once encoded)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    id: str
    wire: bytes  # the event as sent: compact JSON, UTF-8


def event_wire(*, event_id: str, event_type: str, occurred_at: str, user_id: str, payload: str,
               corrects: str | None = None) -> bytes:
    """One event of a push body. ``payload`` is the stored compact JSON, put in as it is, so an
    event is the same bytes every time it is sent."""
    correction = f'"correctsEventId":{json.dumps(corrects)},' if corrects else ""
    return (f'{{"id":{json.dumps(event_id)},"type":{json.dumps(event_type)},'
            f'"occurredAt":{json.dumps(occurred_at)},"userId":{json.dumps(user_id)},{correction}'
            f'"payload":{payload}}}').encode()
