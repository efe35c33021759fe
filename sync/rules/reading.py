"""WELL_READING_RECORDED: one current reading per well, equipment, reading type and minute of
recordedAt. Default NEWEST_WINS (later occurredAt, then later receipt)."""

from datetime import timedelta

from wells.domain import normalise_reading
from wells.models import Equipment, WellReading

from .base import ApplyContext, ConflictDraft, settle, EventRejected, Outcome, Rule, RuleResult, Strategy, as_json, record_data
from .production import _order_key_of

FIELDS = ("reading_type", "value", "unit", "value_normalized", "recorded_at", "equipment_id")


def equipment_of(ctx: ApplyContext, equipment_id):
    if equipment_id is None:
        return None
    equipment = Equipment.objects.filter(pk=equipment_id, well=ctx.well, deleted_at__isnull=True).first()
    if equipment is None:
        raise EventRejected("unknown_equipment", "This equipment does not exist on this well.")
    return equipment


def apply(ctx: ApplyContext) -> RuleResult:
    p = ctx.payload
    equipment = equipment_of(ctx, p.get("equipment_id"))
    minute = p["recorded_at"].replace(second=0, microsecond=0)
    current = (
        WellReading.objects.select_for_update()
        .filter(well=ctx.well, equipment=equipment, reading_type=p["reading_type"], superseded_by__isnull=True,
                recorded_at__gte=minute, recorded_at__lt=minute + timedelta(minutes=1))
        .first()
    )
    incoming = WellReading(
        well=ctx.well, equipment=equipment, reading_type=p["reading_type"], value=p["value"], unit=p["unit"],
        value_normalized=normalise_reading(p["reading_type"], p["value"], p["unit"]), recorded_at=p["recorded_at"],
        recorded_by=ctx.user, source_event_id=ctx.event.event_id,
    )
    if current is None:
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    server = record_data(current, FIELDS)
    local = as_json({name: getattr(incoming, name) for name in FIELDS})
    if current.value_normalized == incoming.value_normalized:
        incoming.superseded_by = current
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    if ctx.strategy == Strategy.MANUAL_REVIEW:
        return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
            "Another value was recorded for this reading in the same minute.", "PENDING_REVIEW", local, server))
    if ctx.strategy == Strategy.HIGHEST_VALUE:
        incoming_wins = (incoming.value_normalized, ctx.order_key) > (current.value_normalized, _order_key_of(current))
        reason = "Highest value wins."
    else:
        incoming_wins = ctx.order_key > _order_key_of(current)
        reason = "Newest reading wins (later occurredAt, then later receipt)."
    settle(incoming=incoming, current=current, incoming_wins=incoming_wins)
    local["id"] = str(incoming.pk)
    return RuleResult(Outcome.AUTO_RESOLVED, ConflictDraft(reason, "AUTO_RESOLVED", local, server))


RULE = Rule(
    event_type="WELL_READING_RECORDED",
    default_strategy=Strategy.NEWEST_WINS,
    strategies=(Strategy.NEWEST_WINS, Strategy.HIGHEST_VALUE, Strategy.MANUAL_REVIEW),
    apply=apply,
)
