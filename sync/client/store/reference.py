"""The route's reference data, as the pull feed sends it (API.md section 9): wells, equipment,
conflicts, and the leases and tanks of the route (API.md section 13), each entity of the feed kept in a table of its own, with the feed's cursor in ``meta``.

``ENTITIES`` says, per entity of the feed, which table holds it, which column each field of the
change fills, and what goes with a deleted row. An entity not in it (``assignment``: its rows come
with the well upsert or tombstone they explain) needs nothing on the device."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Callable

from ..wire import compact, rfc3339, utc_now

# Conflict statuses a manager's decision gives (API.md section 8), as an SQL tuple.
DECIDED = ("RESOLVED", "IGNORED")

# A column's value from a change and its data.
Column = Callable[[dict, dict], object]


def text(key: str) -> Column:
    return lambda change, data: data.get(key, "")


def nullable(key: str) -> Column:
    return lambda change, data: data.get(key)


@dataclass(frozen=True)
class Entity:
    table: str
    columns: dict[str, Column]  # besides ``id`` and ``data`` (the change's data, as compact JSON)
    # Rows of other tables that go with a deleted one: (table, column holding this entity's id).
    owns: tuple[tuple[str, str], ...] = ()
    # A conflict a manager decided: (status, conflict id, event id) for the event's outcome.
    decision: Callable[[str, dict], tuple[str, str, str] | None] | None = None
    upsert: str = field(init=False)

    def __post_init__(self):
        names = ["id", *self.columns, "data"]
        object.__setattr__(self, "upsert", f"INSERT OR REPLACE INTO {self.table} ({', '.join(names)}) "
                                           f"VALUES ({', '.join('?' * len(names))})")

    def row(self, entity_id: str, change: dict, data: dict) -> tuple:
        return (entity_id, *(value(change, data) for value in self.columns.values()), compact(data))


def _decided(conflict_id: str, data: dict) -> tuple[str, str, str] | None:
    if data.get("status") in DECIDED and data.get("eventId"):
        return data["status"], conflict_id, data["eventId"]
    return None


ENTITIES: dict[str, Entity] = {
    "well": Entity("wells", {
        "api_number": text("apiNumber"), "name": text("name"), "status": text("status"),
        "version": lambda change, data: int(change.get("version") or data.get("version") or 1),
    }, owns=(("equipment", "well_id"), ("conflicts", "well_id"))),
    "equipment": Entity("equipment", {
        "well_id": text("wellId"), "name": text("name"), "type": text("type"), "serial": text("serialNumber"),
        "status": text("status"), "version": lambda change, data: int(change.get("version") or 1),
    }),
    "conflict": Entity("conflicts", {
        "well_id": nullable("wellId"), "event_type": text("eventType"), "status": text("status"),
        "reason": text("reason"), "created_at": text("createdAt"),
    }, decision=_decided),
    "lease": Entity("leases", {"name": text("name")}),
    "tank": Entity("tanks", {"lease_id": text("leaseId"), "name": text("name")}),
}


@dataclass(frozen=True)
class Well:
    id: str
    api_number: str
    name: str
    status: str
    version: int
    data: dict


@dataclass(frozen=True)
class Tank:
    id: str
    lease_id: str
    lease_name: str  # "" when the lease is not in the reference data
    name: str
    product: str


@dataclass(frozen=True)
class Equipment:
    id: str
    well_id: str
    name: str
    type: str
    serial: str
    status: str


class ReferenceData:
    """The pull feed's changes applied, and the route read back (a part of sync.client.store.Store)."""

    db: sqlite3.Connection

    def apply_changes(self, changes: list[dict], *, cursor: str, replace: bool = False) -> None:
        """Apply pull-feed changes and move the cursor, in one transaction. ``replace``: the
        changes are a complete snapshot (plus what followed it): anything not in them is gone."""
        with self.transaction() as db:
            seen: dict[str, set[str]] = {name: set() for name in ENTITIES}
            decided: list[tuple[str, str, str]] = []  # (status, conflict id, event id)
            for change in changes:
                name, op, entity_id, data = change["entity"], change["op"], change["id"], change.get("data") or {}
                entity = ENTITIES.get(name)
                if entity is None:
                    continue
                seen[name].add(entity_id)
                if op == "delete":
                    db.execute(f"DELETE FROM {entity.table} WHERE id = ?", (entity_id,))
                    for table, column in entity.owns:
                        db.execute(f"DELETE FROM {table} WHERE {column} = ?", (entity_id,))
                    continue
                db.execute(entity.upsert, entity.row(entity_id, change, data))
                if entity.decision is not None and (decision := entity.decision(entity_id, data)):
                    decided.append(decision)
            # A manager decided a conflict of an event of this device: the event's outcome is that
            # decision now (RESOLVED or IGNORED; the conflict row keeps the resolution's action and
            # note). Also catches outcomes learned after the conflict arrived (matched by conflict id).
            db.executemany("UPDATE events SET outcome = ?, conflict_id = ? WHERE id = ? AND "
                           "(outcome IS NULL OR outcome = 'PENDING_REVIEW')", decided)
            db.execute("UPDATE events SET outcome = (SELECT status FROM conflicts c WHERE c.id = events.conflict_id) "
                       "WHERE outcome = 'PENDING_REVIEW' AND conflict_id IN "
                       f"(SELECT id FROM conflicts WHERE status IN {DECIDED})")
            if replace:
                for name, entity in ENTITIES.items():
                    keep = seen[name]
                    stale = [r[0] for r in db.execute(f"SELECT id FROM {entity.table}") if r[0] not in keep]
                    db.executemany(f"DELETE FROM {entity.table} WHERE id = ?", [(i,) for i in stale])
            self.set_meta({"pull_cursor": cursor, "last_pull_at": rfc3339(utc_now())}, db=db)

    def forget_reference(self) -> None:
        """Another user or tenant: the cached route and cursor are not theirs."""
        with self.transaction() as db:
            for entity in ENTITIES.values():
                db.execute(f"DELETE FROM {entity.table}")
            self.set_meta({"pull_cursor": None, "last_pull_at": None}, db=db)

    def wells(self) -> list[Well]:
        return [self._well(r) for r in self.db.execute("SELECT * FROM wells ORDER BY name, api_number")]

    def well(self, well_id: str) -> Well | None:
        row = self.db.execute("SELECT * FROM wells WHERE id = ?", (well_id,)).fetchone()
        return self._well(row) if row else None

    def well_by_api_number(self, digits: str) -> Well | None:
        """The one well with this full 14-digit API number; None if there is none, or more than one."""
        if len(digits) != 14:
            return None
        rows = self.db.execute("SELECT * FROM wells WHERE api_number = ? LIMIT 2", (digits,)).fetchall()
        return self._well(rows[0]) if len(rows) == 1 else None

    @staticmethod
    def _well(row) -> Well:
        return Well(row["id"], row["api_number"], row["name"], row["status"], row["version"], json.loads(row["data"]))

    def tanks(self) -> list[Tank]:
        """The tanks of the route's leases (from the pull feed), by lease name and tank name."""
        rows = self.db.execute("SELECT t.id, t.lease_id, COALESCE(l.name, '') AS lease_name, t.name, t.data "
                               "FROM tanks t LEFT JOIN leases l ON l.id = t.lease_id ORDER BY lease_name, t.name, t.id")
        return [Tank(r["id"], r["lease_id"], r["lease_name"], r["name"], json.loads(r["data"]).get("product", ""))
                for r in rows]

    def equipment(self, well_id: str | None = None) -> list[Equipment]:
        sql, params = "SELECT * FROM equipment", ()
        if well_id:
            sql, params = sql + " WHERE well_id = ?", (well_id,)
        return [Equipment(r["id"], r["well_id"], r["name"], r["type"], r["serial"], r["status"])
                for r in self.db.execute(sql + " ORDER BY name", params)]
