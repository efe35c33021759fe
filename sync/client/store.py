"""The device's local state: one SQLite file per profile (WAL mode, every write a transaction).

- ``events``: append-only log of what was recorded. Rows are never deleted, and the columns that
  make an event what it is (id, type, payload, times, device, user) can never change (triggers
  refuse it); only the sync bookkeeping columns move. An event is sent until the server answers
  ``accepted`` or ``duplicate`` (``synced = 1``); a rejected one keeps the server's code and
  message and is not sent again unless it is edited (which appends a corrected copy). Editing an
  event the server accepted appends a correction instead (``corrects_event_id``, API.md section 6):
  a new event the server applies in the place of the one it corrects.
- ``wells``, ``equipment``, ``conflicts``, ``leases``, ``tanks``: the reference data of the
  route, from the pull feed, with the feed's cursor in ``meta``.
- ``batches``: batches the server accepted, polled until their per-event outcomes are known.
- ``photos``: images copied into the profile, uploaded before their events are pushed.

A crash (kill -9, power loss) at any moment leaves the file consistent: SQLite rolls back an
unfinished transaction, and each step of a sync commits what it learnt together with its mark.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,  -- recording order
    id               TEXT NOT NULL UNIQUE,               -- the event id sent to the server (UUID)
    type             TEXT NOT NULL,
    payload          TEXT NOT NULL,                      -- JSON, exactly as sent
    occurred_at      TEXT NOT NULL,                      -- RFC 3339, UTC
    device_id        TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    synced           INTEGER NOT NULL DEFAULT 0 CHECK (synced IN (0, 1)),
    sync_attempts    INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    synced_at        TEXT,
    batch_id         TEXT,
    rejected_code    TEXT,                               -- set when the server refused the event
    rejected_message TEXT,
    rejected_details TEXT,
    outcome          TEXT,                               -- APPLIED, AUTO_RESOLVED, PENDING_REVIEW, REJECTED
    conflict_id      TEXT,
    replaced_by      TEXT,                               -- id of the corrected copy (edit)
    corrects_event_id TEXT,                              -- a correction: the synced event it corrects
    corrected_by     TEXT                                -- the correction sent for this synced event
);
CREATE INDEX IF NOT EXISTS events_synced ON events (synced);
CREATE INDEX IF NOT EXISTS events_occurred_at ON events (occurred_at);
CREATE INDEX IF NOT EXISTS events_batch ON events (batch_id);

CREATE TRIGGER IF NOT EXISTS events_append_only BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_immutable
BEFORE UPDATE OF id, type, payload, occurred_at, device_id, user_id, created_at, corrects_event_id ON events
BEGIN SELECT RAISE(ABORT, 'a recorded event cannot change; edit appends a corrected copy'); END;

CREATE TABLE IF NOT EXISTS batches (
    id           TEXT PRIMARY KEY,
    sent_at      TEXT NOT NULL,
    events       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    status       TEXT NOT NULL,
    counts       TEXT,
    completed_at TEXT
);
CREATE TABLE IF NOT EXISTS photos (
    photo_id     TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL REFERENCES events (id),
    path         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    uploaded_at  TEXT,
    last_error   TEXT
);
CREATE TABLE IF NOT EXISTS wells (
    id         TEXT PRIMARY KEY,
    api_number TEXT NOT NULL,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS wells_api_number ON wells (api_number);
CREATE TABLE IF NOT EXISTS equipment (
    id      TEXT PRIMARY KEY,
    well_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    type    TEXT NOT NULL,
    serial  TEXT NOT NULL,
    status  TEXT NOT NULL,
    version INTEGER NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS equipment_well ON equipment (well_id);
CREATE TABLE IF NOT EXISTS conflicts (
    id         TEXT PRIMARY KEY,
    well_id    TEXT,
    event_type TEXT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tanks (
    id       TEXT PRIMARY KEY,
    lease_id TEXT NOT NULL,
    name     TEXT NOT NULL,
    data     TEXT NOT NULL
);
"""

# Conflict statuses a manager's decision gives (API.md section 8), as an SQL tuple.
DECIDED = ("RESOLVED", "IGNORED")

# Events the next push sends: not yet accepted, not refused, not replaced by an edit.
SENDABLE = "synced = 0 AND rejected_code IS NULL AND replaced_by IS NULL"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    """UTC, microseconds kept (two events recorded in one second still order), 'Z' suffix."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    id: str
    wire: bytes  # the event as sent: compact JSON, UTF-8


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


class Store:
    """One profile's SQLite store. Not shared between threads; open one per process."""

    FILE = "field.db"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Owner-only from the start; SQLite gives the -wal and -shm files the same mode.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        # isolation_level=None: autocommit; transactions are explicit (BEGIN IMMEDIATE) below.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")  # a recorded event survives a power cut too
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 30000")
        self._migrate()

    @classmethod
    def in_folder(cls, folder: Path) -> "Store":
        return cls(folder / cls.FILE)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: all or nothing, and one writer at a time."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer pumpjack-field (schema {version})")
        if version == SCHEMA_VERSION:
            return
        with self.transaction() as db:
            if version == 1:  # before corrections: two bookkeeping columns
                db.execute("ALTER TABLE events ADD COLUMN corrects_event_id TEXT")
                db.execute("ALTER TABLE events ADD COLUMN corrected_by TEXT")
            if 1 <= version < 3:  # before leases and tanks were kept: the next pull starts from a snapshot
                db.execute("DELETE FROM meta WHERE key = 'pull_cursor'")
            for statement in _statements(SCHEMA):
                db.execute(statement)
            if db.execute("SELECT 1 FROM meta WHERE key = 'device_id'").fetchone() is None:
                # Stable per profile: the server keys its Device row on it.
                db.execute("INSERT INTO meta (key, value) VALUES ('device_id', ?)", (f"cli-{uuid.uuid4()}",))
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ------------------------------------------------------------------ meta

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, values: dict[str, str | None], db: sqlite3.Connection | None = None) -> None:
        def write(conn):
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))

        if db is not None:
            write(db)
        else:
            with self.transaction() as conn:
                write(conn)

    @property
    def device_id(self) -> str:
        return self.meta("device_id")

    # ------------------------------------------------------------------ recording

    def record(self, *, event_type: str, payload: dict, user_id: str, occurred_at: datetime | None = None,
               photo: dict | None = None, replaces: str | None = None, corrects: str | None = None) -> dict:
        """Append one event (and its photo file's row) in one transaction; returns the event.
        ``replaces``: an unsent or rejected event this one takes the place of (never sent);
        ``corrects``: a correction of that synced event (sent with ``correctsEventId``)."""
        event_id = str(uuid.uuid4())
        now = utc_now()
        row = (event_id, event_type, compact(payload), rfc3339(occurred_at or now), self.device_id, user_id,
               rfc3339(now), corrects)
        with self.transaction() as db:
            db.execute("INSERT INTO events (id, type, payload, occurred_at, device_id, user_id, created_at, "
                       "corrects_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            if photo is not None:
                db.execute("INSERT INTO photos (photo_id, event_id, path, content_type, sha256, size_bytes) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (photo["photo_id"], event_id, photo["path"],
                                                         photo["content_type"], photo["sha256"], photo["size_bytes"]))
            if replaces is not None:
                db.execute("UPDATE events SET replaced_by = ? WHERE id = ?", (event_id, replaces))
                db.execute("UPDATE photos SET event_id = ? WHERE event_id = ?", (event_id, replaces))
            if corrects is not None:
                db.execute("UPDATE events SET corrected_by = ? WHERE id = ? AND replaced_by IS NULL",
                           (event_id, corrects))
        event = {"id": event_id, "type": event_type, "occurredAt": row[3], "payload": payload}
        if corrects is not None:
            event["correctsEventId"] = corrects
        return event

    def record_many(self, events: Iterable[tuple[str, dict, datetime | None]], *, user_id: str) -> list[str]:
        """Append many events in one transaction (a shift's worth at once; tests and benchmarks)."""
        now = utc_now()
        created = rfc3339(now)
        device = self.device_id
        rows = [(str(uuid.uuid4()), event_type, compact(payload), rfc3339(occurred or now), device, user_id, created)
                for event_type, payload, occurred in events]
        with self.transaction() as db:
            db.executemany("INSERT INTO events (id, type, payload, occurred_at, device_id, user_id, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return [row[0] for row in rows]

    def event(self, event_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()

    def events(self, *, where: str = "1", params: tuple = (), limit: int | None = None) -> list[sqlite3.Row]:
        sql = f"SELECT * FROM events WHERE {where} ORDER BY seq"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.db.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ pushing

    def sendable(self, *, user_id: str) -> list[PendingEvent]:
        """The events to push, in recording order, each already serialised as it goes on the wire."""
        rows = self.db.execute(
            f"SELECT seq, id, type, payload, occurred_at, user_id, corrects_event_id FROM events "
            f"WHERE {SENDABLE} AND user_id = ? ORDER BY seq", (user_id,))
        out = []
        for seq, event_id, event_type, payload, occurred_at, owner, corrects in rows:
            correction = f'"correctsEventId":{json.dumps(corrects)},' if corrects else ""
            wire = (f'{{"id":{json.dumps(event_id)},"type":{json.dumps(event_type)},'
                    f'"occurredAt":{json.dumps(occurred_at)},"userId":{json.dumps(owner)},{correction}'
                    f'"payload":{payload}}}')
            out.append(PendingEvent(seq, event_id, wire.encode()))
        return out

    def count_sendable_of_others(self, *, user_id: str | None) -> int:
        return self.db.execute(f"SELECT count(*) FROM events WHERE {SENDABLE} AND user_id IS NOT ?",
                               (user_id,)).fetchone()[0]

    def mark_attempt(self, event_ids: list[str]) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE events SET sync_attempts = sync_attempts + 1 WHERE id = ?",
                           [(i,) for i in event_ids])

    def mark_error(self, event_ids: list[str], message: str) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE events SET last_error = ? WHERE id = ?", [(message[:500], i) for i in event_ids])

    def mark_pushed(self, *, batch_id: str, status: str, accepted: list[str], duplicates: list[str],
                    rejected: list[dict], events: int, size: int) -> None:
        """The server's 202, all at once: accepted and duplicates are synced, rejected keep the reason."""
        now = rfc3339(utc_now())
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO batches (id, sent_at, events, bytes, status) VALUES (?, ?, ?, ?, ?)",
                       (batch_id, now, events, size, status))
            db.executemany("UPDATE events SET synced = 1, synced_at = ?, batch_id = ?, last_error = NULL "
                           "WHERE id = ?", [(now, batch_id, i) for i in accepted])
            # A duplicate was accepted by an earlier request whose answer never arrived; its outcome
            # is in that (unknown) batch, so it is looked up in this one's results as DUPLICATE.
            db.executemany("UPDATE events SET synced = 1, synced_at = ?, batch_id = coalesce(batch_id, ?), "
                           "last_error = NULL WHERE id = ?", [(now, batch_id, i) for i in duplicates])
            db.executemany(
                "UPDATE events SET rejected_code = ?, rejected_message = ?, rejected_details = ?, batch_id = ?, "
                "outcome = 'REJECTED', last_error = NULL WHERE id = ?",
                [(r.get("code") or "rejected", r.get("message") or "", compact(r.get("details") or {}), batch_id,
                  r.get("eventId")) for r in rejected if r.get("eventId")])

    # ------------------------------------------------------------------ batch outcomes

    def open_batches(self) -> list[str]:
        """Batches whose per-event results were not read yet (even one COMPLETED at intake: its
        duplicates' outcome is only in its results)."""
        return [r[0] for r in self.db.execute("SELECT id FROM batches WHERE completed_at IS NULL ORDER BY sent_at")]

    def mark_too_large(self, event_id: str) -> None:
        """An event that cannot fit in any request: refused here, as the server would (413)."""
        with self.transaction() as db:
            db.execute("UPDATE events SET rejected_code = 'too_large', outcome = 'REJECTED', "
                       "rejected_message = 'larger than a request may be (8 MiB)' WHERE id = ?", (event_id,))

    def mark_batch(self, *, batch_id: str, status: str, counts: dict, results: list[dict]) -> None:
        # A COMPLETED batch may hold a correction still waiting for its target (result PENDING):
        # the batch stays open, so the next sync asks for that outcome again.
        done = status == "FAILED" or (status == "COMPLETED" and all(r.get("outcome") != "PENDING" for r in results))
        with self.transaction() as db:
            db.execute("UPDATE batches SET status = ?, counts = ?, completed_at = ? WHERE id = ?",
                       (status, compact(counts), rfc3339(utc_now()) if done else None, batch_id))
            updates, refused, earlier = [], [], []
            for result in results:
                outcome, event_id = result.get("outcome"), result.get("eventId")
                if not event_id or outcome in (None, "PENDING"):
                    continue
                if outcome == "DUPLICATE":
                    earlier.append((event_id,))
                    continue
                if outcome == "REJECTED":
                    error = (result.get("errors") or [{}])[0]
                    refused.append((error.get("code") or "rejected", error.get("message") or "",
                                    compact(error.get("details") or {}), event_id))
                else:
                    updates.append((outcome, result.get("conflict"), event_id))
            db.executemany("UPDATE events SET outcome = ?, conflict_id = ? WHERE id = ?", updates)
            # Accepted by an earlier request whose answer was lost: its outcome lives in that batch.
            db.executemany("UPDATE events SET outcome = 'DUPLICATE' WHERE id = ? AND outcome IS NULL", earlier)
            # Refused while processing (e.g. the well was deleted meanwhile): shown like an intake refusal.
            db.executemany("UPDATE events SET outcome = 'REJECTED', rejected_code = ?, rejected_message = ?, "
                           "rejected_details = ? WHERE id = ?", refused)

    # ------------------------------------------------------------------ photos

    def photos_to_upload(self, *, user_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT p.* FROM photos p JOIN events e ON e.id = p.event_id WHERE p.uploaded_at IS NULL "
            "AND e.user_id = ? AND e.rejected_code IS NULL ORDER BY e.seq", (user_id,)).fetchall()

    def mark_photo(self, photo_id: str, *, error: str | None = None) -> None:
        with self.transaction() as db:
            if error is None:
                db.execute("UPDATE photos SET uploaded_at = ?, last_error = NULL WHERE photo_id = ?",
                           (rfc3339(utc_now()), photo_id))
            else:
                db.execute("UPDATE photos SET last_error = ? WHERE photo_id = ?", (error[:500], photo_id))

    # ------------------------------------------------------------------ reference data (pull)

    def apply_changes(self, changes: list[dict], *, cursor: str, replace: bool = False) -> None:
        """Apply pull-feed changes and move the cursor, in one transaction. ``replace``: the
        changes are a complete snapshot (plus what followed it): anything not in them is gone."""
        with self.transaction() as db:
            seen: dict[str, set[str]] = {"well": set(), "equipment": set(), "conflict": set(), "lease": set(),
                                         "tank": set()}
            decided: list[tuple[str, str, str]] = []  # (status, conflict id, event id)
            for change in changes:
                entity, op, entity_id, data = change["entity"], change["op"], change["id"], change.get("data") or {}
                if entity in seen:
                    seen[entity].add(entity_id)
                if entity == "well":
                    if op == "delete":
                        db.execute("DELETE FROM wells WHERE id = ?", (entity_id,))
                        db.execute("DELETE FROM equipment WHERE well_id = ?", (entity_id,))
                        db.execute("DELETE FROM conflicts WHERE well_id = ?", (entity_id,))
                    else:
                        db.execute(
                            "INSERT OR REPLACE INTO wells (id, api_number, name, status, version, data) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (entity_id, data.get("apiNumber", ""), data.get("name", ""), data.get("status", ""),
                             int(change.get("version") or data.get("version") or 1), compact(data)))
                elif entity == "equipment":
                    if op == "delete":
                        db.execute("DELETE FROM equipment WHERE id = ?", (entity_id,))
                    else:
                        db.execute(
                            "INSERT OR REPLACE INTO equipment (id, well_id, name, type, serial, status, version, data) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (entity_id, data.get("wellId", ""), data.get("name", ""), data.get("type", ""),
                             data.get("serialNumber", ""), data.get("status", ""),
                             int(change.get("version") or 1), compact(data)))
                elif entity == "conflict":
                    if op == "delete":
                        db.execute("DELETE FROM conflicts WHERE id = ?", (entity_id,))
                    else:
                        db.execute(
                            "INSERT OR REPLACE INTO conflicts (id, well_id, event_type, status, reason, created_at, "
                            "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (entity_id, data.get("wellId"), data.get("eventType", ""), data.get("status", ""),
                             data.get("reason", ""), data.get("createdAt", ""), compact(data)))
                        if data.get("status") in DECIDED and data.get("eventId"):
                            decided.append((data["status"], entity_id, data["eventId"]))
                elif entity == "lease":
                    if op == "delete":
                        db.execute("DELETE FROM leases WHERE id = ?", (entity_id,))
                    else:
                        db.execute("INSERT OR REPLACE INTO leases (id, name, data) VALUES (?, ?, ?)",
                                   (entity_id, data.get("name", ""), compact(data)))
                elif entity == "tank":
                    if op == "delete":
                        db.execute("DELETE FROM tanks WHERE id = ?", (entity_id,))
                    else:
                        db.execute("INSERT OR REPLACE INTO tanks (id, lease_id, name, data) VALUES (?, ?, ?, ?)",
                                   (entity_id, data.get("leaseId", ""), data.get("name", ""), compact(data)))
                # "assignment" rows come with the well upsert or tombstone they explain: nothing more to do.
            # A manager decided a conflict of an event of this device: the event's outcome is that
            # decision now (RESOLVED or IGNORED; the conflict row keeps the resolution's action and
            # note). Also catches outcomes learned after the conflict arrived (matched by conflict id).
            db.executemany("UPDATE events SET outcome = ?, conflict_id = ? WHERE id = ? AND "
                           "(outcome IS NULL OR outcome = 'PENDING_REVIEW')", decided)
            db.execute("UPDATE events SET outcome = (SELECT status FROM conflicts c WHERE c.id = events.conflict_id) "
                       "WHERE outcome = 'PENDING_REVIEW' AND conflict_id IN "
                       f"(SELECT id FROM conflicts WHERE status IN {DECIDED})")
            if replace:
                for table, entity in (("wells", "well"), ("equipment", "equipment"), ("conflicts", "conflict"),
                                      ("leases", "lease"), ("tanks", "tank")):
                    keep = seen[entity]
                    stale = [r[0] for r in db.execute(f"SELECT id FROM {table}") if r[0] not in keep]
                    db.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in stale])
            self.set_meta({"pull_cursor": cursor, "last_pull_at": rfc3339(utc_now())}, db=db)

    def forget_reference(self) -> None:
        """Another user or tenant: the cached route and cursor are not theirs."""
        with self.transaction() as db:
            for table in ("wells", "equipment", "conflicts", "leases", "tanks"):
                db.execute(f"DELETE FROM {table}")
            self.set_meta({"pull_cursor": None, "last_pull_at": None}, db=db)

    def wells(self) -> list[Well]:
        return [self._well(r) for r in self.db.execute("SELECT * FROM wells ORDER BY name, api_number")]

    def well(self, well_id: str) -> Well | None:
        row = self.db.execute("SELECT * FROM wells WHERE id = ?", (well_id,)).fetchone()
        return self._well(row) if row else None

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

    def decided_conflicts(self, limit: int = 50) -> list[sqlite3.Row]:
        """Conflicts of this device's events that a manager decided (newest first), with the
        event and well they concern; ``data`` holds the resolution (action, note, who, when)."""
        return self.db.execute(
            "SELECT c.*, e.id AS event_id, e.type AS event_type_sent, w.name AS well_name FROM conflicts c "
            "JOIN events e ON e.conflict_id = c.id OR e.id = json_extract(c.data, '$.eventId') "
            "LEFT JOIN wells w ON w.id = c.well_id "
            f"WHERE c.status IN {DECIDED} GROUP BY c.id ORDER BY json_extract(c.data, '$.resolution.resolvedAt') DESC "
            "LIMIT ?", (limit,)).fetchall()

    def pending_conflicts(self) -> list[sqlite3.Row]:
        """Conflicts waiting for a manager on the wells of this device's route."""
        return self.db.execute(
            "SELECT c.*, w.name AS well_name FROM conflicts c JOIN wells w ON w.id = c.well_id "
            "WHERE c.status = 'PENDING_REVIEW' ORDER BY c.created_at").fetchall()

    # ------------------------------------------------------------------ summary

    def summary(self, *, user_id: str | None) -> dict:
        q = self.db.execute
        outcome_counts = {row[0]: row[1] for row in q(
            "SELECT outcome, count(*) FROM events WHERE outcome IS NOT NULL AND replaced_by IS NULL GROUP BY outcome")}
        return {
            "events": q("SELECT count(*) FROM events").fetchone()[0],
            "unsynced": q(f"SELECT count(*) FROM events WHERE {SENDABLE}").fetchone()[0],
            "waitingForOtherUser": self.count_sendable_of_others(user_id=user_id) if user_id else 0,
            "rejected": q("SELECT count(*) FROM events WHERE rejected_code IS NOT NULL AND replaced_by IS NULL")
            .fetchone()[0],
            "outcomes": outcome_counts,
            "awaitingOutcome": q("SELECT count(*) FROM events WHERE synced = 1 AND outcome IS NULL").fetchone()[0],
            "photosToUpload": q("SELECT count(*) FROM photos WHERE uploaded_at IS NULL").fetchone()[0],
            "openBatches": len(self.open_batches()),
            "lastSyncAt": self.meta("last_sync_at"),
            "lastPullAt": self.meta("last_pull_at"),
            "wells": q("SELECT count(*) FROM wells").fetchone()[0],
            "corrections": self.corrections_summary(),
        }

    def corrections_summary(self) -> dict:
        """Corrections of synced events: how many wait to be sent, were sent with no outcome yet
        (processing, or on the server waiting for the event they correct), and their outcomes."""
        q = self.db.execute
        mine = "corrects_event_id IS NOT NULL AND replaced_by IS NULL"
        return {
            "total": q(f"SELECT count(*) FROM events WHERE {mine}").fetchone()[0],
            "unsent": q(f"SELECT count(*) FROM events WHERE {mine} AND {SENDABLE}").fetchone()[0],
            "awaitingOutcome": q(f"SELECT count(*) FROM events WHERE {mine} AND synced = 1 AND outcome IS NULL")
            .fetchone()[0],
            "outcomes": {row[0]: row[1] for row in q(
                f"SELECT outcome, count(*) FROM events WHERE {mine} AND outcome IS NOT NULL GROUP BY outcome")},
        }

    def corrections(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM events WHERE corrects_event_id IS NOT NULL AND replaced_by IS NULL ORDER BY seq DESC "
            "LIMIT ?", (limit,)).fetchall()

    def rejected(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM events WHERE rejected_code IS NOT NULL AND replaced_by IS NULL ORDER BY seq LIMIT ?",
            (limit,)).fetchall()

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _statements(script: str) -> list[str]:
    """Split the schema into statements (triggers keep their inner ';')."""
    out, buffer = [], []
    for line in script.splitlines():
        if not line.strip() or line.strip().startswith("--"):
            continue
        buffer.append(line)
        joined = "\n".join(buffer)
        if joined.rstrip().endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buffer = []
    return out
