"""PHOTO_ATTACHED: another photo for the same well and day is no conflict of values: KEEP_BOTH.
The image itself arrives by PUT /api/v1/sync/photos/{photoId}, before or after the event."""

from wells.models import Photo

from ..schemas import SCHEMAS
from .base import (ApplyContext, ConflictDraft, EventRejected, Outcome, Rule, RuleResult, Strategy, as_json, day_bounds,
                   record_data)
from .reading import equipment_of

FIELDS = ("photo_id", "taken_at", "caption", "equipment_id")


def apply(ctx: ApplyContext) -> RuleResult:
    from sync.services.photos import photo_blob_attach

    p = ctx.payload
    equipment = equipment_of(ctx, p.get("equipment_id"))
    if Photo.objects.filter(photo_id=p["photo_id"]).exists():
        raise EventRejected("photo_id_reused", "Another event already attached this photoId.")
    start, end = day_bounds(ctx.time_zone, p["taken_at"])
    same_day = (
        Photo.objects.select_for_update()
        .filter(well=ctx.well, superseded_by__isnull=True, taken_at__gte=start, taken_at__lt=end)
        .order_by("taken_at")
        .first()
    )
    incoming = Photo(well=ctx.well, equipment=equipment, photo_id=p["photo_id"], taken_at=p["taken_at"],
                     caption=p.get("caption", ""), recorded_by=ctx.user, source_event_id=ctx.event.event_id)
    if same_day is not None and ctx.strategy == Strategy.MANUAL_REVIEW:
        return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
            "The well already has a photo for that day.", "PENDING_REVIEW",
            as_json({name: getattr(incoming, name) for name in FIELDS}), record_data(same_day, FIELDS)))
    incoming.save()
    photo_blob_attach(photo=incoming)
    if same_day is None:
        return RuleResult(Outcome.APPLIED)
    return RuleResult(Outcome.AUTO_RESOLVED, ConflictDraft(
        "The well already had a photo that day; both are kept.", "AUTO_RESOLVED",
        as_json({name: getattr(incoming, name) for name in FIELDS} | {"id": incoming.pk}),
        record_data(same_day, FIELDS)))


RULE = Rule(
    event_type="PHOTO_ATTACHED",
    default_strategy=Strategy.KEEP_BOTH,
    strategies=(Strategy.KEEP_BOTH, Strategy.MANUAL_REVIEW),
    apply=apply,
    schema=SCHEMAS["PHOTO_ATTACHED"],
    model=Photo,
    fields=FIELDS,
)
