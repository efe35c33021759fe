"""The pull feed (GET /api/v1/sync/changes, API.md section 9), read from the change log
(``wells.changelog``: its rows, and which of them a reader has seen, in commit order).

No cursor: a snapshot of what the user may see (their route, for an OPERATOR), paged by well id,
then the changes logged since the snapshot began. With a cursor: the changes after it, filtered
by the same visibility rule (wells.selectors.wells_for_user, plus the route's assignment rows so
an unassigned or deleted well still reaches its operator as a tombstone).

Commit order, no settle delay: a cursor holds a position of the log
(``wells.changelog.positions``: a PostgreSQL snapshot, or a commit position on MySQL/MariaDB),
never a bare ``seq``, so a change is served by the first pull that starts after its transaction
commits, however long that transaction stayed open.

A page of a long interval keeps the position of its first page as its target until the interval
is served, then the cursor becomes that target; an old-format cursor (a bare ``seq``, from the
settle-delay feed) is accepted as "every row up to seq was served".

Wells and equipment are shaped by the wells API's serializers (``WellOutput``,
``EquipmentOutput``): in Python, and on PostgreSQL's snapshot pages as JSON built by the database
from the same serializers' fields (``_json_object_sql``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from datetime import timezone as dt_timezone

from django.core import signing
from django.db import connections
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from rest_framework import serializers

from accounts.models import Role
from tenants import databases as tenant_db
from wells.alerts.feed import alert_change
from wells.alerts.selectors import alerts_open_for_user
from wells.changelog.models import Change
from wells.changelog.positions import (
    current_position,
    on_postgres,
    order_field,
    position_comparable,
    position_pruned,
    position_valid,
    seen,
    unseen,
    unstamped_exist,
)
from wells.changelog.services import retention_days
from wells.models import Alert, Equipment, Well, WellAssignment
from wells.selectors import wells_for_user
from wells.serializers import EquipmentOutput, WellOutput

from ..models import Conflict

CURSOR_SALT = "pumpjack.sync.changes"


class CursorInvalid(Exception):
    pass


class CursorExpired(Exception):
    pass


# --------------------------------------------------------------------------- cursors


def _encode(data: dict) -> str:
    return signing.dumps(data, salt=CURSOR_SALT, compress=True)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _snapshot_place_ok(well, item) -> bool:
    """Where a snapshot page ended: a well id ("" before the first), and on PostgreSQL the key of
    its last change there: [kind 0|1, equipment name, id]."""
    if well != "" and not _is_uuid(well):
        return False
    return item is None or (isinstance(item, list) and len(item) == 3 and item[0] in (0, 1)
                            and isinstance(item[1], str) and _is_uuid(item[2]))


def _decode(cursor: str, user) -> dict:
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise CursorInvalid("This cursor was not issued by this server.") from None
    if not isinstance(data, dict) or data.get("u") != str(user.pk) or data.get("m") not in ("s", "c"):
        raise CursorInvalid("This cursor was issued to another user or is malformed.")
    if "v" not in data:  # the settle-delay feed's cursor: every row up to seq was served
        try:
            seq = int(data.get("seq", 0))
        except (TypeError, ValueError):
            raise CursorInvalid("This cursor was issued to another user or is malformed.") from None
        data = {"v": 2, "u": data["u"], "m": data["m"], "p": {"k": "seq", "s": max(seq, 0)},
                "w": str(data.get("after") or "")}
    positions = [data.get("p")] + ([data["t"]] if data.get("t") is not None else [])
    if not all(position_valid(p) for p in positions) \
            or not _snapshot_place_ok(data.get("w", ""), data.get("e")):
        raise CursorInvalid("This cursor was issued to another user or is malformed.")
    if not all(position_comparable(p) for p in positions) or position_pruned(data["p"]):
        raise CursorExpired()
    return data


# --------------------------------------------------------------------------- representations

# A well and a piece of equipment as the wells API shows them (GET /api/v1/wells/{id}/,
# /api/v1/equipment/{id}/): the same serializers, fed the model attributes they read.
_WELL = WellOutput()
_EQUIPMENT = EquipmentOutput()
WELL_FIELDS = tuple(field.source for field in _WELL.fields.values())
EQUIPMENT_FIELDS = tuple(field.source for field in _EQUIPMENT.fields.values())
CONFLICT_FIELDS = ("id", "well_id", "event__event_id", "event_type", "status", "reason", "strategy",
                   "resolution_action", "resolved_by_id", "resolved_at", "resolution_note", "created_at")


def _well_change(w: dict) -> dict:
    data = _WELL.to_representation(w)
    return {"entity": "well", "op": "upsert", "id": data["id"], "version": data["version"], "data": data}


def _equipment_change(e: dict) -> dict:
    data = _EQUIPMENT.to_representation(e)
    return {"entity": "equipment", "op": "upsert", "id": data["id"], "version": data["version"], "data": data}


def _sql_value(field, column: str) -> str:
    """SQL for the JSON value that ``field.to_representation`` gives for ``column``'s value."""
    if isinstance(field, serializers.DateTimeField):
        if getattr(field, "timezone", None) is not dt_timezone.utc:  # not whatever time zone is active
            raise TypeError(f"{field.field_name}: the feed's SQL writes UTC; give the field default_timezone=UTC")
        # As DRF writes a UTC instant: ISO 8601 ending in Z, with microseconds only when there are some.
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {utc}) = {utc} "
                f"THEN '' ELSE to_char({utc}, '.US') END || 'Z'")
    if isinstance(field, serializers.FloatField):
        return f"{column}::float8"
    if isinstance(field, (serializers.UUIDField, serializers.CharField, serializers.ChoiceField,
                          serializers.IntegerField, serializers.DateField)):
        return column  # PostgreSQL's JSON of a uuid, text, integer or date is what DRF writes
    raise TypeError(f"{field.field_name}: no SQL form for a {type(field).__name__} (add one to _sql_value)")


def _json_object_sql(serializer, model, alias: str) -> str:
    """``json_build_object(...)`` of a row of ``model`` (table alias ``alias``): what
    ``serializer.to_representation`` gives for the same row, field for field (a field the SQL
    cannot write raises TypeError, so a new serializer field is never silently missing)."""
    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    pairs = [f"'{name}', {_sql_value(field, alias + '.' + columns[field.source])}"
             for name, field in serializer.fields.items()]
    return f"json_build_object({', '.join(pairs)})"


def _conflict_change(c: dict) -> dict:
    """A conflict as a device needs it (API.md sections 8 and 9): its status, the event it is
    about and, once decided by a manager, the resolution."""
    resolution = None
    if c["resolution_action"]:
        resolution = {"action": c["resolution_action"],
                      "resolvedBy": str(c["resolved_by_id"]) if c["resolved_by_id"] else None,
                      "resolvedAt": c["resolved_at"].isoformat() if c["resolved_at"] else None,
                      "note": c["resolution_note"]}
    conflict_id, event_id = str(c["id"]), c["event__event_id"]
    return {"entity": "conflict", "op": "upsert", "id": conflict_id, "version": 1, "data": {
        "id": conflict_id, "wellId": str(c["well_id"]) if c["well_id"] else None,
        "eventId": str(event_id) if event_id else None, "eventType": c["event_type"], "status": c["status"],
        "strategy": c["strategy"], "reason": c["reason"], "resolution": resolution,
        "createdAt": c["created_at"].isoformat()}}


LEASE_FIELDS = ("id", "name", "rrc_district", "rrc_lease_number", "kind", "version", "updated_at")
TANK_FIELDS = ("id", "lease_id", "name", "product", "capacity_bbl", "height_inches", "version", "updated_at")


def _lease_change(lease: dict) -> dict:
    lease_id = str(lease["id"])
    return {"entity": "lease", "op": "upsert", "id": lease_id, "version": lease["version"], "data": {
        "id": lease_id, "name": lease["name"], "rrcDistrict": lease["rrc_district"],
        "rrcLeaseNumber": lease["rrc_lease_number"], "kind": lease["kind"], "version": lease["version"],
        "updatedAt": lease["updated_at"].isoformat()}}


def _tank_change(tank: dict, strapping: list) -> dict:
    tank_id = str(tank["id"])
    return {"entity": "tank", "op": "upsert", "id": tank_id, "version": tank["version"], "data": {
        "id": tank_id, "leaseId": str(tank["lease_id"]), "name": tank["name"], "product": tank["product"],
        "capacityBbl": float(tank["capacity_bbl"]), "heightInches": float(tank["height_inches"]),
        "strapping": [{"heightInches": float(h), "barrels": float(b)} for h, b in strapping],
        "version": tank["version"], "updatedAt": tank["updated_at"].isoformat()}}


def _lease_and_tank_changes(user, *, lease_ids=None, tank_ids=None) -> tuple[dict, dict]:
    """The user's visible leases and tanks among these ids (None: all of them), as changes by id."""
    from wells.lease_selectors import leases_for_user, tanks_for_user
    from wells.leases import StrappingRow

    leases = leases_for_user(user=user)
    tanks = tanks_for_user(user=user)
    if lease_ids is not None:
        leases = leases.filter(pk__in=lease_ids)
    if tank_ids is not None:
        tanks = tanks.filter(pk__in=tank_ids)
    lease_changes = {row["id"]: _lease_change(row) for row in leases.order_by("name", "id").values(*LEASE_FIELDS)} \
        if lease_ids is None or lease_ids else {}
    tank_rows = list(tanks.order_by("lease_id", "name", "id").values(*TANK_FIELDS)) \
        if tank_ids is None or tank_ids else []
    strapping: dict = {}
    for tank_id, height, barrels in StrappingRow.objects.filter(tank_id__in=[t["id"] for t in tank_rows]) \
            .order_by("tank_id", "height_inches").values_list("tank_id", "height_inches", "barrels"):
        strapping.setdefault(tank_id, []).append((height, barrels))
    return lease_changes, {t["id"]: _tank_change(t, strapping.get(t["id"], [])) for t in tank_rows}


def _delete(entity: str, entity_id, version: int = 1) -> dict:
    return {"entity": entity, "op": "delete", "id": str(entity_id), "version": version, "data": {}}


# --------------------------------------------------------------------------- the feed


@dataclass
class FeedPage:
    changes: list[dict]
    cursor: str
    has_more: bool
    raw: str = ""  # changes already serialized (JSON array items, no brackets), served before ``changes``

    def json(self) -> bytes:
        """The page as the wire's JSON (API.md section 9), serializing only what is not yet."""
        rest = json.dumps(self.changes, separators=(",", ":"), ensure_ascii=False)[1:-1]
        items = ",".join(part for part in (self.raw, rest) if part)
        tail = json.dumps({"cursor": self.cursor, "hasMore": self.has_more}, separators=(",", ":"))[1:]
        return f'{{"changes":[{items}],{tail}'.encode()


def changes_feed(*, user, cursor: str | None, limit: int) -> FeedPage:
    if not cursor:
        # Changes logged while the snapshot is read are replayed afterwards: the snapshot starts here.
        return _snapshot(user=user, state={"v": 2, "m": "s", "p": current_position(), "w": "", "u": str(user.pk)},
                         limit=limit)
    state = _decode(cursor, user)
    if state["m"] == "s":
        return _snapshot(user=user, state=state, limit=limit)
    return _incremental(user=user, state=state, limit=limit)


def _snapshot(*, user, state: dict, limit: int) -> FeedPage:
    if on_postgres():  # paged by change (a well's equipment may go on over the next page), as JSON
        raw, last, more = _snapshot_page_json(user, state, limit)
        changes = []
        if more:
            return FeedPage([], _encode(dict(state, w=last[0], e=list(last[1:]))), True, raw)
    else:  # paged by well: as many as fill the page with their equipment (one well at least)
        raw = ""
        wells = wells_for_user(user=user).order_by("pk")
        if state.get("w"):
            wells = wells.filter(pk__gt=state["w"])
        counts = Equipment.objects.filter(well_id=OuterRef("pk"), deleted_at__isnull=True).order_by() \
            .values("well_id").annotate(n=Count("*")).values("n")
        candidates = list(wells.annotate(n=Coalesce(Subquery(counts), 0)).values_list("pk", "n")[:limit])
        page, size = [], 0
        for well_id, equipment_count in candidates:
            if page and size + 1 + equipment_count > limit:
                break
            page.append(well_id)
            size += 1 + equipment_count
        changes = _snapshot_changes(page) if page else []
        if len(page) < len(candidates) or len(candidates) == limit:
            return FeedPage(changes, _encode(dict(state, w=str(page[-1]))), True)
    # The conflicts on the wells the user sees (an operator's app shows those on their route):
    # pending ones, and those decided within the retention window, so a device that re-snapshots
    # still learns how its events ended.
    days = retention_days()
    conflicts = Conflict.objects.filter(
        Q(status=Conflict.Status.PENDING_REVIEW) | Q(resolved_at__gte=timezone.now() - timedelta(days=days)),
        well__in=wells_for_user(user=user))
    changes.extend(_conflict_change(c) for c in conflicts.order_by("created_at").values(*CONFLICT_FIELDS)[:1000])
    leases, tanks = _lease_and_tank_changes(user)  # the leases and tanks the user sees (API.md section 13)
    changes.extend([*leases.values(), *tanks.values()])
    # The alerts not closed on the wells and tanks the user sees (API.md section 15): a device that
    # snapshots learns them now, not at their next change.
    open_alerts = alerts_open_for_user(user=user).order_by("opened_at", "id")[:1000]
    changes.extend(alert_change(alert) for alert in open_alerts)
    base = state["p"]
    has_more = Change.objects.filter(unseen(base)).exists() or (
        base["k"] == "my" and unstamped_exist())  # committed, to be stamped
    return FeedPage(changes, _encode({"v": 2, "m": "c", "p": base, "u": str(user.pk)}), has_more, raw)


def _snapshot_changes(well_ids: list) -> list[dict]:
    """The snapshot changes of these wells: each well, then its equipment by name."""
    equipment: dict = {}
    items = Equipment.objects.filter(well_id__in=well_ids, deleted_at__isnull=True)
    for item in items.order_by("well_id", "name", "id").values(*EQUIPMENT_FIELDS):
        equipment.setdefault(item["well_id"], []).append(item)
    changes = []
    for well in Well.objects.filter(pk__in=well_ids).order_by("pk").values(*WELL_FIELDS):
        changes.append(_well_change(well))
        changes.extend(_equipment_change(e) for e in equipment.get(well["id"], ()))
    return changes


def _snapshot_page_json(user, state: dict, limit: int) -> tuple[str, tuple | None, bool]:
    """A snapshot page on PostgreSQL, built as JSON by the database in one query: nothing is
    turned into Python objects and back (the snapshot is the feed's largest answer). The changes
    of the user's wells in (well id, well first, equipment by name in byte order, id) order, after the page
    before's last one ("w", "e" in the cursor). The same changes, field for field, as
    ``_snapshot_changes`` (tests/sync/test_pull_feed.py). Returns the page's JSON items (without
    brackets), its last change's key, and whether more follow."""
    db = tenant_db.current_db()
    wells = wells_for_user(user=user).order_by("pk")
    after_well, after_item = state.get("w") or "", state.get("e")
    if after_well:
        wells = wells.filter(pk__gte=after_well)
    # limit + 2 wells: the one the page before ended in, and enough for limit + 1 changes after it.
    visible_sql, visible_params = wells.values("id")[: limit + 2].query.get_compiler(using=db).as_sql()
    where, params = "", list(visible_params)
    if after_well and after_item:
        kind, name, item_id = after_item
        where = "WHERE (k.w_id, k.kind, k.nm, k.e_id) > (%s::uuid, %s, %s COLLATE \"C\", %s::uuid)"
        params += [after_well, kind, name, item_id]
    elif after_well:  # a cursor of the well-paged snapshot: that well is done
        where, params = "WHERE k.w_id > %s::uuid", params + [after_well]
    well, item = Well._meta.db_table, Equipment._meta.db_table
    well_json, equipment_json = _json_object_sql(_WELL, Well, "w"), _json_object_sql(_EQUIPMENT, Equipment, "e")
    sql = f"""
        WITH visible AS ({visible_sql}),
        k AS (
          SELECT v.id AS w_id, 0 AS kind, ''::text COLLATE "C" AS nm, v.id AS e_id FROM visible v
          UNION ALL
          SELECT e.well_id, 1, e.name::text COLLATE "C", e.id FROM {item} e JOIN visible v ON v.id = e.well_id
          WHERE e.deleted_at IS NULL
        ),
        chosen AS (SELECT * FROM k {where} ORDER BY w_id, kind, nm, e_id LIMIT %s)
        SELECT c.w_id::text, c.kind, c.nm, c.e_id::text, (CASE WHEN c.kind = 0 THEN json_build_object(
            'entity', 'well', 'op', 'upsert', 'id', w.id, 'version', w.version, 'data', {well_json})
          ELSE json_build_object(
            'entity', 'equipment', 'op', 'upsert', 'id', e.id, 'version', e.version, 'data', {equipment_json})
          END)::text
        FROM chosen c LEFT JOIN {well} w ON c.kind = 0 AND w.id = c.w_id
        LEFT JOIN {item} e ON c.kind = 1 AND e.id = c.e_id
        ORDER BY c.w_id, c.kind, c.nm, c.e_id"""
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params + [limit + 1])
        rows = cursor.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return ",".join(row[4] for row in rows), (rows[-1][:4] if rows else None), more


CHANGE_FIELDS = ("seq", "commit_seq", "entity", "entity_id", "op", "well_id", "version")


def _incremental(*, user, state: dict, limit: int) -> FeedPage:
    served = state["p"]
    target = state.get("t") or current_position()
    order = order_field(target)
    rows = Change.objects.filter(unseen(served) & seen(target))
    if state.get("a") is not None:
        rows = rows.filter(**{f"{order}__gt": state["a"]})
    if user.role == Role.OPERATOR:
        # The route as it stands, including wells since deleted (their tombstones must arrive).
        route = WellAssignment.objects.filter(user=user).values_list("well_id", flat=True)
        rows = rows.filter(Q(well_id__in=route) & ~Q(entity=Change.Entity.ASSIGNMENT)
                           | Q(entity=Change.Entity.ASSIGNMENT, user_id=user.pk))
    else:
        rows = rows.exclude(entity=Change.Entity.ASSIGNMENT)
    batch = list(rows.order_by(order).values(*CHANGE_FIELDS)[: limit + 1])
    if len(batch) > limit:
        batch = batch[:limit]
        next_state = {"v": 2, "m": "c", "p": served, "t": target, "a": batch[-1][order], "u": str(user.pk)}
        has_more = True
    else:  # the interval up to the target is served: the target is the new position
        next_state, has_more = {"v": 2, "m": "c", "p": target, "u": str(user.pk)}, False
    return FeedPage(_represent(user, batch), _encode(next_state), has_more)


def _represent(user, batch: list[dict]) -> list[dict]:
    """The current state of what a page of change rows names; the latest row per entity wins
    within a page; current rows are read in bulk."""
    latest: dict[tuple, dict] = {}
    for row in batch:
        latest.pop((row["entity"], row["entity_id"]), None)
        latest[(row["entity"], row["entity_id"])] = row
    ordered = list(latest.values())
    of = lambda entity: [r["entity_id"] for r in ordered if r["entity"] == entity]  # noqa: E731
    joined = [r["well_id"] for r in ordered if r["entity"] == "assignment" and r["op"] == "upsert"]
    visible = {w["id"]: w for w in wells_for_user(user=user).filter(pk__in=set(of("well")) | set(joined))
               .values(*WELL_FIELDS)} if of("well") or joined else {}
    equipment = {e["id"]: e for e in Equipment.objects.filter(pk__in=of("equipment"), deleted_at__isnull=True)
                 .values(*EQUIPMENT_FIELDS)} if of("equipment") else {}
    conflicts = {c["id"]: c for c in Conflict.objects.filter(pk__in=of("conflict")).values(*CONFLICT_FIELDS)} \
        if of("conflict") else {}
    leases, tanks = _lease_and_tank_changes(user, lease_ids=of("lease"), tank_ids=of("tank")) \
        if of("lease") or of("tank") else ({}, {})
    alerts = {a.pk: a for a in Alert.objects.filter(pk__in=of("alert"))} if of("alert") else {}
    new_route_equipment: dict = {}
    if joined:
        for item in Equipment.objects.filter(well_id__in=joined, deleted_at__isnull=True).order_by("name") \
                .values(*EQUIPMENT_FIELDS):
            new_route_equipment.setdefault(item["well_id"], []).append(item)

    changes: list[dict] = []
    for row in ordered:
        entity, entity_id, op = row["entity"], row["entity_id"], row["op"]
        if entity == "assignment":
            well = visible.get(row["well_id"])
            if op == "delete" or well is None:
                changes.append(_delete("well", row["well_id"]))
            else:
                changes.append(_well_change(well))
                changes.extend(_equipment_change(e) for e in new_route_equipment.get(well["id"], ()))
            changes.append({"entity": "assignment", "op": op, "id": str(row["well_id"]), "version": row["version"],
                            "data": {"wellId": str(row["well_id"])}})
        elif entity == "well":
            well = visible.get(entity_id)
            changes.append(_well_change(well) if well and op == "upsert" else _delete("well", entity_id, row["version"]))
        elif entity == "equipment":
            item = equipment.get(entity_id)
            changes.append(_equipment_change(item) if item is not None and op == "upsert"
                           else _delete("equipment", entity_id, row["version"]))
        elif entity == "conflict":
            conflict = conflicts.get(entity_id)
            if conflict is not None:
                changes.append(_conflict_change(conflict))
        elif entity in ("lease", "tank"):  # gone, or no longer visible: a tombstone
            current = (leases if entity == "lease" else tanks).get(entity_id)
            changes.append(current if current is not None and op == "upsert"
                           else _delete(entity, entity_id, row["version"]))
        elif entity == "alert":
            alert = alerts.get(entity_id)
            if alert is not None:
                changes.append(alert_change(alert))
    return changes
