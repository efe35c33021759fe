"""What every conflict rule shares: strategies, the context an event is applied in, outcomes."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

from django.core.serializers.json import DjangoJSONEncoder


class Strategy:
    NEWEST_WINS = "NEWEST_WINS"
    HIGHEST_VALUE = "HIGHEST_VALUE"
    MANUAL_REVIEW = "MANUAL_REVIEW"
    MERGE = "MERGE"
    KEEP_BOTH = "KEEP_BOTH"
    ALL = (NEWEST_WINS, HIGHEST_VALUE, MANUAL_REVIEW, MERGE, KEEP_BOTH)


class Outcome:
    APPLIED = "APPLIED"
    AUTO_RESOLVED = "AUTO_RESOLVED"
    PENDING_REVIEW = "PENDING_REVIEW"
    REJECTED = "REJECTED"


class EventRejected(Exception):
    """The event cannot be applied against the current state (e.g. its well was deleted)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ApplyContext:
    event: Any  # sync.models.SyncEvent
    payload: dict  # cleaned (typed, snake_case) payload
    well: Any  # wells.models.Well, locked for update
    user: Any  # the user who sent the event
    time_zone: str
    strategy: str

    def day_of(self, moment: datetime) -> date:
        """The calendar day of ``moment`` in the tenant's time zone ("same day" rules)."""
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

    @property
    def order_key(self) -> tuple:
        """How events compare for NEWEST_WINS: later occurredAt, then later receipt."""
        return (self.event.occurred_at, self.event.received_at, str(self.event.event_id))


@dataclass
class ConflictDraft:
    reason: str
    status: str  # PENDING_REVIEW or AUTO_RESOLVED
    local_data: dict
    server_data: dict


@dataclass
class RuleResult:
    outcome: str
    conflict: ConflictDraft | None = None


@dataclass(frozen=True)
class Rule:
    event_type: str
    default_strategy: str
    strategies: tuple[str, ...]
    apply: Callable[[ApplyContext], RuleResult]
    # Safety-critical types stay MANUAL_REVIEW whatever a tenant configures.
    configurable: bool = True
    extra: dict = field(default_factory=dict)


def as_json(data: dict) -> dict:
    """Model values (Decimal, dates, UUIDs) as JSON-safe values for conflict records."""
    import json

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def record_data(record, names: tuple[str, ...]) -> dict:
    data = {name: getattr(record, name) for name in names}
    data["id"] = record.pk
    data["recordedBy"] = str(record.recorded_by_id) if record.recorded_by_id else None
    data["createdAt"] = record.created_at
    data["sourceEventId"] = record.source_event_id
    return as_json(data)


def settle(*, incoming, current, incoming_wins: bool) -> None:
    """Save ``incoming`` and make the winner the one current record of the key, the loser
    superseded by it. The new record is first saved as superseded, so that "one current record
    per key" (a unique constraint for production) holds after every statement."""
    incoming.superseded_by = current
    incoming.save()
    if incoming_wins:
        type(current).objects.filter(pk=current.pk).update(superseded_by=incoming.pk)
        type(incoming).objects.filter(pk=incoming.pk).update(superseded_by=None)
        incoming.superseded_by = None
