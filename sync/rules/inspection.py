"""EQUIPMENT_INSPECTED: safety-critical. Another status for the same equipment on the same day
(tenant's time zone) goes to MANUAL_REVIEW; the field's value waits in the conflict record."""

from datetime import datetime, time, timedelta

import zoneinfo

from wells.models import EquipmentInspection

from .base import ApplyContext, ConflictDraft, Outcome, Rule, RuleResult, Strategy, as_json, record_data
from .reading import equipment_of

FIELDS = ("equipment_id", "inspection_type", "status", "inspected_at", "notes")


def day_bounds(ctx: ApplyContext, moment: datetime) -> tuple[datetime, datetime]:
    zone = zoneinfo.ZoneInfo(ctx.time_zone)
    day = ctx.day_of(moment)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def build(ctx: ApplyContext, equipment) -> EquipmentInspection:
    p = ctx.payload
    return EquipmentInspection(
        well=ctx.well, equipment=equipment, inspection_type=p["inspection_type"], status=p["status"],
        inspected_at=p["inspected_at"], notes=p.get("notes", ""), recorded_by=ctx.user,
        source_event_id=ctx.event.event_id,
    )


def apply(ctx: ApplyContext) -> RuleResult:
    equipment = equipment_of(ctx, ctx.payload["equipment_id"])
    start, end = day_bounds(ctx, ctx.payload["inspected_at"])
    same_day = EquipmentInspection.objects.select_for_update().filter(
        equipment=equipment, superseded_by__isnull=True, inspected_at__gte=start, inspected_at__lt=end
    )
    incoming = build(ctx, equipment)
    clash = same_day.exclude(status=incoming.status).order_by("inspected_at").first()
    if clash is None:
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
        f"Equipment {equipment.name} was already inspected that day with status {clash.status}; "
        f"the field reports {incoming.status}. Safety-critical: a manager decides.",
        "PENDING_REVIEW",
        as_json({name: getattr(incoming, name) for name in FIELDS}),
        record_data(clash, FIELDS),
    ))


RULE = Rule(
    event_type="EQUIPMENT_INSPECTED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=apply,
    configurable=False,
)
