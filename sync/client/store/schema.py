"""The store file's tables, and the steps that bring an older file up to them.

``SCHEMA`` is the latest shape, written so that running it again is harmless (``IF NOT EXISTS``).
A file says which version it is in ``PRAGMA user_version``; ``MIGRATIONS[n]`` takes a file of
version ``n`` to ``n + 1`` before ``SCHEMA`` creates whatever else is new. A fresh file (version 0)
needs no step: ``SCHEMA`` creates everything.
"""

from __future__ import annotations

import sqlite3

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

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (  # before corrections: two bookkeeping columns
        "ALTER TABLE events ADD COLUMN corrects_event_id TEXT",
        "ALTER TABLE events ADD COLUMN corrected_by TEXT",
    ),
    2: (  # before leases and tanks were kept: the next pull starts from a snapshot, which brings them
        "DELETE FROM meta WHERE key = 'pull_cursor'",
    ),
}


def statements(script: str) -> list[str]:
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
