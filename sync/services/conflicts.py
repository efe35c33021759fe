"""Conflicts: listing for the people who may review them, and resolving (API.md section 8).

A conflict keeps both sides: ``local_data`` (what the field sent) and ``server_data`` (what the
server had). Resolving moves which record is current; nothing is deleted, so any decision can
be reversed by hand from the records it names.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from accounts.audit import Kind, Outcome, audit_record
from tenants import databases as tenant_db
from wells.changelog.services import change_record
from wells.models import FieldNote, Well

from ..models import Conflict
from ..rules import RULES
from ..rules.base import DEFAULT_ACTIONS
from ..schemas import NOTES_MAX

ACTIONS = ("USE_LOCAL", "USE_SERVER", "KEEP_BOTH", "MERGE", "IGNORE")


class AlreadyResolved(Exception):
    pass


class ActionNotPossible(Exception):
    pass


def actions_for(conflict: Conflict) -> list[str]:
    """The resolutions that make sense for this conflict (the API refuses the others with 400):
    what its rule module declares."""
    rule = RULES.get(conflict.event_type)
    return list(rule.actions if rule is not None else DEFAULT_ACTIONS)


def _record_fields(model, data: dict) -> dict:
    names = {f.attname for f in model._meta.concrete_fields} - {"id", "created_at", "superseded_by_id"}
    return {key: value for key, value in data.items() if key in names}


def conflict_resolve(*, conflict: Conflict, action: str, note: str, user, request=None) -> Conflict:
    if action not in ACTIONS:
        raise ActionNotPossible(f"Unknown action; one of {', '.join(ACTIONS)}.")
    with tenant_db.atomic():
        conflict = Conflict.objects.select_for_update(of=tenant_db.lock_of("self")).select_related("event", "event__user").get(pk=conflict.pk)
        if conflict.status in (Conflict.Status.RESOLVED, Conflict.Status.IGNORED):
            raise AlreadyResolved()
        if conflict.well_id:
            Well.objects.select_for_update().filter(pk=conflict.well_id).first()  # same lock order as processing
        if action != "IGNORE":
            _carry_out(conflict, action)
        conflict.status = Conflict.Status.IGNORED if action == "IGNORE" else Conflict.Status.RESOLVED
        conflict.resolution_action = action
        conflict.resolved_by = user
        conflict.resolved_at = timezone.now()
        conflict.resolution_note = note
        conflict.save(update_fields=["status", "resolution_action", "resolved_by", "resolved_at", "resolution_note"])
        if conflict.well_id:
            change_record(entity="conflict", entity_id=conflict.pk, well_id=conflict.well_id)
        audit_record(kind=Kind.CONFLICT_RESOLVED, outcome=Outcome.SUCCESS, request=request, user=user,
                     detail={"conflict": str(conflict.pk), "eventType": conflict.event_type, "action": action})
    return conflict


def _carry_out(conflict: Conflict, action: str) -> None:
    event_type = conflict.event_type
    rule = RULES[event_type]
    if rule.model is None:  # WELL_STATUS_CHANGED: the well itself
        if action == "USE_LOCAL":
            Well.objects.filter(pk=conflict.well_id).update(
                status=conflict.local_data["status"], version=F("version") + 1, updated_at=timezone.now())
            version = Well.objects.filter(pk=conflict.well_id).values_list("version", flat=True).first()
            change_record(entity="well", entity_id=conflict.well_id, well_id=conflict.well_id, version=version)
        elif action != "USE_SERVER":
            raise ActionNotPossible("A well has one status: use the field's (USE_LOCAL) or the server's (USE_SERVER).")
        return
    model = rule.model
    local_id = conflict.local_data.get("id")
    server = model.objects.filter(pk=conflict.server_data.get("id")).first()
    local = model.objects.filter(pk=local_id).first() if local_id else None
    if action == "MERGE" and "MERGE" not in rule.actions:
        raise ActionNotPossible("Only notes can be merged.")
    if action == "KEEP_BOTH" and rule.single_current:
        raise ActionNotPossible("Production keeps one current record per well, day and product.")

    if local is None and action in ("USE_LOCAL", "KEEP_BOTH", "MERGE"):
        event = conflict.event  # None for an ETL conflict: its local side is the source's value, not the field's
        # A tank's records (gauges, run tickets) name their tank, not the well the event was filed under.
        under_well = {"well_id": conflict.well_id} if any(f.attname == "well_id" for f in model._meta.concrete_fields) \
            else {}
        local = model(**_record_fields(model, conflict.local_data), **under_well,
                      recorded_by=event.user if event else None, source_event_id=event.event_id if event else None)
        if rule.single_current and server is not None and server.superseded_by_id is None:
            local.superseded_by = server  # saved as superseded first: the unique rule holds at every step
        local.save()
        local.refresh_from_db()  # typed values (dates, decimals) instead of the JSON strings
        conflict.local_data = conflict.local_data | {"id": str(local.pk)}
        conflict.save(update_fields=["local_data"])

    if action == "USE_LOCAL":
        _make_current(model, winner=local, loser=server)
    elif action == "USE_SERVER" and local is not None and server is not None:
        _make_current(model, winner=server, loser=local)
    elif action == "KEEP_BOTH":
        model.objects.filter(pk=local.pk).update(superseded_by=None)
    elif action == "MERGE":
        _merge_notes(conflict, local, server)


def _make_current(model, *, winner, loser) -> None:
    if loser is not None:
        model.objects.filter(pk=loser.pk).update(superseded_by=winner.pk)
    model.objects.filter(pk=winner.pk).update(superseded_by=None)


def _merge_notes(conflict: Conflict, local: FieldNote, server: FieldNote | None) -> None:
    from tenants.context import current_time_zone

    from ..rules.note import merge_order, merged_text

    zone = current_time_zone()
    notes = merge_order(n for n in (server, local) if n is not None)
    merged = FieldNote.objects.create(well_id=conflict.well_id, notes=merged_text(notes, zone)[:NOTES_MAX],
                                      recorded_at=notes[0].recorded_at, is_merged=True)
    FieldNote.objects.filter(pk__in=[n.pk for n in notes]).update(superseded_by=merged)


# --------------------------------------------------------------------------- strategies


class UnknownEventType(Exception):
    pass


def policies_list() -> list[dict]:
    from ..models import ConflictPolicy

    chosen = dict(ConflictPolicy.objects.values_list("event_type", "strategy"))
    return [
        {"eventType": rule.event_type,
         "strategy": chosen.get(rule.event_type, rule.default_strategy) if rule.configurable else rule.default_strategy,
         "defaultStrategy": rule.default_strategy, "strategies": list(rule.strategies),
         "configurable": rule.configurable}
        for rule in RULES.values()
    ]


def policy_set(*, event_type: str, strategy: str, user) -> dict:
    """A tenant ADMIN's choice for one of the four configurable types."""
    from ..models import ConflictPolicy

    rule = RULES.get(event_type)
    if rule is None:
        raise UnknownEventType(event_type)
    if not rule.configurable:
        raise ActionNotPossible(f"{event_type} is safety-critical and always goes to MANUAL_REVIEW.")
    if strategy not in rule.strategies:
        raise ActionNotPossible(f"{event_type} takes one of {', '.join(rule.strategies)}.")
    ConflictPolicy.objects.update_or_create(event_type=event_type, defaults={"strategy": strategy, "changed_by": user})
    return next(p for p in policies_list() if p["eventType"] == event_type)
