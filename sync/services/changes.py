"""The pull feed (GET /api/v1/sync/changes, API.md section 9) and the change log behind it.

No cursor: a snapshot of what the user may see (their route, for an OPERATOR), paged by well id,
then the changes logged since the snapshot began. With a cursor: the changes after it, filtered
by the same visibility rule (wells.selectors.wells_for_user, plus the route's assignment rows so
an unassigned or deleted well still reaches its operator as a tombstone).

Sequence numbers are given at insert, not at commit, so a change is only served once it has
settled (older than SYNC_FEED_SETTLE_SECONDS): a transaction that began earlier but committed
later cannot slip behind a cursor that already moved past it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role
from wells.models import Equipment, Well, WellAssignment
from wells.selectors import wells_for_user

from ..models import Change, ChangeRetention, Conflict

CURSOR_SALT = "pumpjack.sync.changes"
RETENTION_DAYS_DEFAULT = 30


class CursorInvalid(Exception):
    pass


class CursorExpired(Exception):
    pass


# --------------------------------------------------------------------------- recording


def change_record(*, entity: str, entity_id, well_id, op: str = Change.Op.UPSERT, version: int = 1,
                  user_id=None) -> None:
    """Log a change for the pull feed (call it inside the transaction that makes the change)."""
    Change.objects.create(entity=entity, entity_id=entity_id, op=op, well_id=well_id, version=version or 1,
                          user_id=user_id)


def changes_prune(*, older_than_days: int | None = None, batch_size: int = 10_000) -> int:
    """Forget changes older than the retention window; cursors before them answer 410."""
    days = older_than_days if older_than_days is not None else getattr(
        settings, "SYNC_CHANGE_RETENTION_DAYS", RETENTION_DAYS_DEFAULT)
    cutoff = timezone.now() - timedelta(days=days)
    last = Change.objects.filter(created_at__lt=cutoff).aggregate(m=Max("seq"))["m"]
    if last is None:
        return 0
    ids = list(Change.objects.filter(seq__lte=last).order_by("seq").values_list("seq", flat=True)[:batch_size])
    removed = Change.objects.filter(seq__in=ids).delete()[0]
    ChangeRetention.objects.update_or_create(pk=1, defaults={"pruned_through": max(ids)})
    return removed


# --------------------------------------------------------------------------- cursors


def _encode(data: dict) -> str:
    return signing.dumps(data, salt=CURSOR_SALT, compress=True)


def _decode(cursor: str, user) -> dict:
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise CursorInvalid("This cursor was not issued by this server.") from None
    if not isinstance(data, dict) or data.get("u") != str(user.pk) or data.get("m") not in ("s", "c"):
        raise CursorInvalid("This cursor was issued to another user or is malformed.")
    pruned = ChangeRetention.objects.filter(pk=1).values_list("pruned_through", flat=True).first() or 0
    if int(data.get("seq", 0)) < pruned:
        raise CursorExpired()
    return data


def _settled_before():
    return timezone.now() - timedelta(seconds=getattr(settings, "SYNC_FEED_SETTLE_SECONDS", 5))


# --------------------------------------------------------------------------- representations


def _well_data(well: Well) -> dict:
    return {"id": str(well.pk), "apiNumber": well.api_number, "name": well.name, "lease": well.lease,
            "field": well.field, "county": well.county, "state": well.state,
            "latitude": float(well.latitude) if well.latitude is not None else None,
            "longitude": float(well.longitude) if well.longitude is not None else None,
            "status": well.status, "spudDate": well.spud_date.isoformat() if well.spud_date else None,
            "version": well.version, "updatedAt": well.updated_at.isoformat()}


def _equipment_data(item: Equipment) -> dict:
    return {"id": str(item.pk), "wellId": str(item.well_id), "type": item.type, "name": item.name,
            "serialNumber": item.serial_number, "status": item.status, "version": item.version,
            "updatedAt": item.updated_at.isoformat()}


def _conflict_data(conflict: Conflict) -> dict:
    return {"id": str(conflict.pk), "wellId": str(conflict.well_id) if conflict.well_id else None,
            "eventType": conflict.event_type, "status": conflict.status, "reason": conflict.reason,
            "createdAt": conflict.created_at.isoformat()}


def _upsert(entity: str, obj, data: dict) -> dict:
    return {"entity": entity, "op": "upsert", "id": str(obj.pk), "version": getattr(obj, "version", 1), "data": data}


def _delete(entity: str, entity_id, version: int = 1) -> dict:
    return {"entity": entity, "op": "delete", "id": str(entity_id), "version": version, "data": {}}


# --------------------------------------------------------------------------- the feed


@dataclass
class FeedPage:
    changes: list[dict]
    cursor: str
    has_more: bool


def changes_feed(*, user, cursor: str | None, limit: int) -> FeedPage:
    if not cursor:
        # An emptied log (everything pruned) must not start the snapshot below the watermark.
        pruned = ChangeRetention.objects.filter(pk=1).values_list("pruned_through", flat=True).first() or 0
        high = Change.objects.filter(created_at__lt=_settled_before()).aggregate(m=Max("seq"))["m"] or pruned
        # Changes logged while the snapshot is read are replayed afterwards: the snapshot starts at `high`.
        return _snapshot(user=user, state={"m": "s", "seq": high, "after": "", "u": str(user.pk)}, limit=limit)
    state = _decode(cursor, user)
    if state["m"] == "s":
        return _snapshot(user=user, state=state, limit=limit)
    return _incremental(user=user, state=state, limit=limit)


def _snapshot(*, user, state: dict, limit: int) -> FeedPage:
    wells = wells_for_user(user=user).order_by("pk")
    if state["after"]:
        wells = wells.filter(pk__gt=state["after"])
    page = list(wells[: max(1, limit // 4)])
    equipment = {}
    for item in Equipment.objects.filter(well__in=page, deleted_at__isnull=True).order_by("well_id", "name"):
        equipment.setdefault(item.well_id, []).append(item)
    changes = []
    for well in page:
        changes.append(_upsert("well", well, _well_data(well)))
        changes.extend(_upsert("equipment", item, _equipment_data(item)) for item in equipment.get(well.pk, []))
    if len(page) == max(1, limit // 4) and wells.filter(pk__gt=page[-1].pk).exists():
        next_state = dict(state, after=str(page[-1].pk))
        return FeedPage(changes, _encode(next_state), True)
    # Pending conflicts on the wells the user sees (an operator's app shows those on their route).
    pending = Conflict.objects.filter(status=Conflict.Status.PENDING_REVIEW, well__in=wells_for_user(user=user))
    changes.extend(_upsert("conflict", c, _conflict_data(c)) for c in pending.order_by("created_at")[:1000])
    next_state = {"m": "c", "seq": state["seq"], "u": str(user.pk)}
    has_more = Change.objects.filter(seq__gt=state["seq"], created_at__lt=_settled_before()).exists()
    return FeedPage(changes, _encode(next_state), has_more)


def _incremental(*, user, state: dict, limit: int) -> FeedPage:
    operator = user.role == Role.OPERATOR
    rows = Change.objects.filter(seq__gt=int(state["seq"]), created_at__lt=_settled_before()).order_by("seq")
    if operator:
        # The route as it stands, including wells since deleted (their tombstones must arrive).
        route = set(WellAssignment.objects.filter(user=user).values_list("well_id", flat=True))
        rows = rows.filter(well_id__in=route) | rows.filter(entity=Change.Entity.ASSIGNMENT, user_id=user.pk)
        rows = rows.order_by("seq")
    else:
        rows = rows.exclude(entity=Change.Entity.ASSIGNMENT)
    batch = list(rows[: limit + 1])
    has_more = len(batch) > limit
    batch = batch[:limit]
    last_seq = batch[-1].seq if batch else int(state["seq"])

    # The latest change per entity wins within a page; current rows are read in bulk.
    latest: dict[tuple[str, uuid.UUID], Change] = {}
    for row in batch:
        latest[(row.entity, row.entity_id)] = row
    ordered = sorted(latest.values(), key=lambda r: r.seq)
    wanted_wells = {r.entity_id for r in ordered if r.entity == "well"} | {
        r.well_id for r in ordered if r.entity == "assignment" and r.op == "upsert"}
    visible = {w.pk: w for w in wells_for_user(user=user).filter(pk__in=wanted_wells)}
    equipment = {e.pk: e for e in Equipment.objects.filter(pk__in=[r.entity_id for r in ordered if r.entity == "equipment"])}
    conflicts = {c.pk: c for c in Conflict.objects.filter(pk__in=[r.entity_id for r in ordered if r.entity == "conflict"])}
    new_route_equipment: dict = {}
    for item in Equipment.objects.filter(
        well_id__in=[r.well_id for r in ordered if r.entity == "assignment" and r.op == "upsert"],
        deleted_at__isnull=True,
    ):
        new_route_equipment.setdefault(item.well_id, []).append(item)

    changes: list[dict] = []
    for row in ordered:
        if row.entity == "assignment":
            if row.op == "delete" or row.well_id not in visible:
                changes.append(_delete("well", row.well_id))
            else:
                well = visible[row.well_id]
                changes.append(_upsert("well", well, _well_data(well)))
                changes.extend(_upsert("equipment", e, _equipment_data(e)) for e in new_route_equipment.get(well.pk, []))
            changes.append({"entity": "assignment", "op": row.op, "id": str(row.well_id), "version": row.version,
                            "data": {"wellId": str(row.well_id)}})
        elif row.entity == "well":
            well = visible.get(row.entity_id)
            changes.append(_upsert("well", well, _well_data(well)) if well and row.op == "upsert"
                           else _delete("well", row.entity_id, row.version))
        elif row.entity == "equipment":
            item = equipment.get(row.entity_id)
            alive = item is not None and item.deleted_at is None and row.op == "upsert"
            changes.append(_upsert("equipment", item, _equipment_data(item)) if alive
                           else _delete("equipment", row.entity_id, row.version))
        elif row.entity == "conflict":
            conflict = conflicts.get(row.entity_id)
            if conflict is not None:
                changes.append(_upsert("conflict", conflict, _conflict_data(conflict)))
    return FeedPage(changes, _encode({"m": "c", "seq": last_seq, "u": str(user.pk)}), has_more)
