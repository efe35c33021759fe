"""WELL_READING_RECORDED: one current reading per well, equipment, reading type and minute of
recordedAt. Default NEWEST_WINS (later occurredAt, then later receipt). Decided set-based."""

from collections import defaultdict
from datetime import timedelta

from wells.domain import normalise_reading
from wells.models import Equipment, WellReading

from ..schemas import SCHEMAS
from .base import (ApplyContext, Decision, EventRejected, Keyed, Outcome, Rule, Strategy, new_record,
                   records_in_spans, stored_decimals)

FIELDS = ("reading_type", "value", "unit", "value_normalized", "recorded_at", "equipment_id")
MINUTE = timedelta(minutes=1)


def equipment_of(ctx: ApplyContext, equipment_id):
    if equipment_id is None:
        return None
    equipment = Equipment.objects.filter(pk=equipment_id, well=ctx.well, deleted_at__isnull=True).first()
    if equipment is None:
        raise EventRejected("unknown_equipment", "This equipment does not exist on this well.")
    return equipment


def _minute(moment):
    return moment.replace(second=0, microsecond=0)


def key(payload: dict, time_zone: str = "") -> tuple:
    return (payload["well_id"], payload.get("equipment_id"), payload["reading_type"], _minute(payload["recorded_at"]))


def load_current(keys: list[tuple], time_zone: str = "") -> dict:
    span = {}
    for well_id, _equipment, _type, minute in keys:
        low, high = span.get(well_id, (minute, minute))
        span[well_id] = (min(low, minute), max(high, minute))
    wanted = set(keys)
    found = defaultdict(list)
    spans = {well_id: (low, high + MINUTE) for well_id, (low, high) in span.items()}
    for record in records_in_spans(WellReading, "well", "recorded_at", spans):
        record_key = (record.well_id, record.equipment_id, record.reading_type, _minute(record.recorded_at))
        if record_key in wanted:
            found[record_key].append(record)
    return found


def key_of(record: WellReading) -> tuple:
    return (record.well_id, record.equipment_id, record.reading_type, _minute(record.recorded_at))


def key_records(key: tuple):
    well_id, equipment_id, reading_type, minute = key
    return WellReading.objects.filter(well_id=well_id, equipment_id=equipment_id, reading_type=reading_type,
                                      recorded_at__gte=minute, recorded_at__lt=minute + MINUTE)


def build(event, payload: dict, equipment: dict) -> WellReading:
    record = new_record(
        WellReading,
        well_id=payload["well_id"], equipment_id=payload.get("equipment_id"), reading_type=payload["reading_type"],
        value=payload["value"], unit=payload["unit"],
        value_normalized=normalise_reading(payload["reading_type"], payload["value"], payload["unit"]),
        recorded_at=payload["recorded_at"], recorded_by_id=event.user_id, source_event_id=event.event_id,
    )
    stored_decimals(record)
    return record


def decide(currents: list, incoming, *, strategy: str, incoming_order: tuple, order_of) -> Decision:
    if not currents:
        return Decision(Outcome.APPLIED)
    # The per-event rule compared with the current reading of the latest recordedAt in the minute.
    current = max(currents, key=lambda r: r.recorded_at)
    current_order = order_of(current)
    if current.value_normalized == incoming.value_normalized:
        return Decision(Outcome.APPLIED, current)
    if strategy == Strategy.MANUAL_REVIEW:
        return Decision(Outcome.PENDING_REVIEW, current, stored=False, conflict_status="PENDING_REVIEW",
                        reason="Another value was recorded for this reading in the same minute.")
    if strategy == Strategy.HIGHEST_VALUE:
        wins = (incoming.value_normalized, incoming_order) > (current.value_normalized, current_order)
        reason = "Highest value wins."
    else:
        wins = incoming_order > current_order
        reason = "Newest reading wins (later occurredAt, then later receipt)."
    return Decision(Outcome.AUTO_RESOLVED, current, incoming_wins=wins, conflict_status="AUTO_RESOLVED",
                    reason=reason)


RULE = Rule(
    event_type="WELL_READING_RECORDED",
    default_strategy=Strategy.NEWEST_WINS,
    strategies=(Strategy.NEWEST_WINS, Strategy.HIGHEST_VALUE, Strategy.MANUAL_REVIEW),
    apply=None,
    schema=SCHEMAS["WELL_READING_RECORDED"],
    model=WellReading,
    fields=FIELDS,
    keyed=Keyed(key=key, load_current=load_current, build=build, decide=decide, key_records=key_records,
                record_key=key_of),
)
