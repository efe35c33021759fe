"""EQUIPMENT_REPAIRED: safety-critical. Another description for the same equipment on the same
day goes to MANUAL_REVIEW."""

from wells.models import EquipmentRepair

from ..schemas import SCHEMAS
from .base import ApplyContext, Rule, RuleResult, Strategy
from .inspection import same_day_or_review
from .reading import equipment_of

FIELDS = ("equipment_id", "description", "parts_replaced", "repaired_at")


def apply(ctx: ApplyContext) -> RuleResult:
    p = ctx.payload
    incoming = EquipmentRepair(
        well=ctx.well, equipment=equipment_of(ctx, p["equipment_id"]), description=p["description"],
        parts_replaced=p.get("parts_replaced", ""), repaired_at=p["repaired_at"], recorded_by=ctx.user,
        source_event_id=ctx.event.event_id,
    )
    return same_day_or_review(ctx, incoming, moment="repaired_at", differs_on="description", fields=FIELDS,
                              reason="Equipment {equipment} already has another repair recorded that day.")


RULE = Rule(
    event_type="EQUIPMENT_REPAIRED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=apply,
    configurable=False,
    schema=SCHEMAS["EQUIPMENT_REPAIRED"],
    model=EquipmentRepair,
    fields=FIELDS,
)
