"""EQUIPMENT_REPAIRED: safety-critical. Another description for the same equipment on the same
day goes to MANUAL_REVIEW."""

from wells.models import EquipmentRepair

from .base import ApplyContext, ConflictDraft, Outcome, Rule, RuleResult, Strategy, as_json, record_data
from .inspection import day_bounds
from .reading import equipment_of

FIELDS = ("equipment_id", "description", "parts_replaced", "repaired_at")


def apply(ctx: ApplyContext) -> RuleResult:
    p = ctx.payload
    equipment = equipment_of(ctx, p["equipment_id"])
    start, end = day_bounds(ctx, p["repaired_at"])
    incoming = EquipmentRepair(
        well=ctx.well, equipment=equipment, description=p["description"], parts_replaced=p.get("parts_replaced", ""),
        repaired_at=p["repaired_at"], recorded_by=ctx.user, source_event_id=ctx.event.event_id,
    )
    clash = (
        EquipmentRepair.objects.select_for_update()
        .filter(equipment=equipment, superseded_by__isnull=True, repaired_at__gte=start, repaired_at__lt=end)
        .exclude(description=incoming.description)
        .order_by("repaired_at")
        .first()
    )
    if clash is None:
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
        f"Equipment {equipment.name} already has another repair recorded that day. Safety-critical: a manager decides.",
        "PENDING_REVIEW",
        as_json({name: getattr(incoming, name) for name in FIELDS}),
        record_data(clash, FIELDS),
    ))


RULE = Rule(
    event_type="EQUIPMENT_REPAIRED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=apply,
    configurable=False,
)
