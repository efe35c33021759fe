"""WELL_STATUS_CHANGED: safety-critical. Applied when the well has not changed on the server since
the device saw it (baseVersion, or changedAt when no baseVersion is sent); otherwise MANUAL_REVIEW."""

from django.db.models import F
from django.utils import timezone

from wells.changelog.services import change_record
from wells.models import Well

from ..schemas import SCHEMAS
from .base import ApplyContext, ConflictDraft, Outcome, Rule, RuleResult, Strategy, as_json


def apply(ctx: ApplyContext) -> RuleResult:
    p = ctx.payload
    well = ctx.well
    base_version = p.get("base_version")
    changed_since = (well.version > base_version) if base_version is not None else (well.updated_at > p["changed_at"])
    if not changed_since:
        if well.status != p["status"]:
            Well.objects.filter(pk=well.pk).update(status=p["status"], version=F("version") + 1,
                                                   updated_at=timezone.now())
            change_record(entity="well", entity_id=well.pk, well_id=well.pk, version=well.version + 1)
        return RuleResult(Outcome.APPLIED)
    return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
        f"The well changed on the server (now version {well.version}, status {well.status}) after the device saw it"
        + (f" (version {base_version})." if base_version is not None else "."),
        "PENDING_REVIEW",
        as_json({"status": p["status"], "changedAt": p["changed_at"], "reason": p.get("reason", ""),
                 "baseVersion": base_version}),
        as_json({"status": well.status, "version": well.version, "updatedAt": well.updated_at}),
    ))


RULE = Rule(
    event_type="WELL_STATUS_CHANGED",
    default_strategy=Strategy.MANUAL_REVIEW,
    strategies=(Strategy.MANUAL_REVIEW,),
    apply=apply,
    configurable=False,
    schema=SCHEMAS["WELL_STATUS_CHANGED"],
    actions=("USE_LOCAL", "USE_SERVER", "IGNORE"),  # a well has one status
)
