"""EQUIPMENT_INSPECTED: safety-critical. Another status for the same equipment on the same day
(tenant's time zone) goes to MANUAL_REVIEW; the field's value waits in the conflict record."""

from wells.models import EquipmentInspection

from ..schemas import SCHEMAS
from .base import ApplyContext, ConflictDraft, Outcome, Rule, RuleResult, Strategy, as_json, day_bounds, record_data
from .reading import equipment_of

FIELDS = ("equipment_id", "inspection_type", "status", "inspected_at", "notes")


def same_day_or_review(ctx: ApplyContext, incoming, *, moment: str, differs_on: str, fields: tuple[str, ...],
                       reason: str) -> RuleResult:
    """The safety-critical rule shared by inspections and repairs: a current record of the same
    equipment on the same tenant day with another ``differs_on`` value sends the incoming one to
    review (it waits in the conflict record); otherwise it is stored."""
    start, end = day_bounds(ctx.time_zone, getattr(incoming, moment))
    clash = (
        type(incoming).objects.select_for_update()
        .filter(equipment=incoming.equipment, superseded_by__isnull=True,
                **{f"{moment}__gte": start, f"{moment}__lt": end})
        .exclude(**{differs_on: getattr(incoming, differs_on)})
        .order_by(moment)
        .first()
    )
    if clash is None:
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
        reason.format(equipment=incoming.equipment.name, server=getattr(clash, differs_on),
                      field=getattr(incoming, differs_on)) + " Safety-critical: a manager decides.",
        "PENDING_REVIEW",
        as_json({name: getattr(incoming, name) for name in fields}),
        record_data(clash, fields),
    ))


def apply(ctx: ApplyContext) -> RuleResult:
    p = ctx.payload
    incoming = EquipmentInspection(
        well=ctx.well, equipment=equipment_of(ctx, p["equipment_id"]), inspection_type=p["inspection_type"],
        status=p["status"], inspected_at=p["inspected_at"], notes=p.get("notes", ""), recorded_by=ctx.user,
        source_event_id=ctx.event.event_id,
    )
    return same_day_or_review(ctx, incoming, moment="inspected_at", differs_on="status", fields=FIELDS,
                              reason="Equipment {equipment} was already inspected that day with status {server}; "
                                     "the field reports {field}.")


RULE = Rule(
    event_type="EQUIPMENT_INSPECTED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=apply,
    configurable=False,
    schema=SCHEMAS["EQUIPMENT_INSPECTED"],
    model=EquipmentInspection,
    fields=FIELDS,
)
