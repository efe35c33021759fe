"""What the device can tell its user (``pumpjack-field status``, ``sync``): counts of the outbox and
the route, conflicts waiting or decided, corrections and their state, rejected events. Reads only.

An event edited before it was accepted is replaced by its corrected copy (``replaced_by``): only
the copy counts."""

from __future__ import annotations

import sqlite3

from .outbox import SENDABLE
from .reference import DECIDED

# Refused by the server (or too large to send) and not edited since.
REJECTED = "rejected_code IS NOT NULL AND replaced_by IS NULL"
# Corrections of synced events (API.md section 6, correctsEventId), their latest copies.
CORRECTIONS = "corrects_event_id IS NOT NULL AND replaced_by IS NULL"


def correction_state(row: sqlite3.Row) -> str:
    """unsent, sent (no outcome yet: processing, or waiting on the server for the event it
    corrects), or the server's outcome (REJECTED with its code): the states
    ``Reporting.corrections_summary`` counts."""
    if row["rejected_code"]:
        return f"REJECTED ({row['rejected_code']})"
    if not row["synced"]:
        return "unsent"
    return row["outcome"] or "sent"


class Reporting:
    """Summaries and lists for the user (a part of sync.client.store.Store)."""

    db: sqlite3.Connection

    def summary(self, *, user_id: str | None) -> dict:
        q = self.db.execute
        outcome_counts = {row[0]: row[1] for row in q(
            "SELECT outcome, count(*) FROM events WHERE outcome IS NOT NULL AND replaced_by IS NULL GROUP BY outcome")}
        return {
            "events": q("SELECT count(*) FROM events").fetchone()[0],
            "unsynced": q(f"SELECT count(*) FROM events WHERE {SENDABLE}").fetchone()[0],
            "waitingForOtherUser": self.count_sendable_of_others(user_id=user_id) if user_id else 0,
            "rejected": q(f"SELECT count(*) FROM events WHERE {REJECTED}").fetchone()[0],
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
        return {
            "total": q(f"SELECT count(*) FROM events WHERE {CORRECTIONS}").fetchone()[0],
            "unsent": q(f"SELECT count(*) FROM events WHERE {CORRECTIONS} AND {SENDABLE}").fetchone()[0],
            "awaitingOutcome": q(f"SELECT count(*) FROM events WHERE {CORRECTIONS} AND synced = 1 AND outcome IS NULL")
            .fetchone()[0],
            "outcomes": {row[0]: row[1] for row in q(
                f"SELECT outcome, count(*) FROM events WHERE {CORRECTIONS} AND outcome IS NOT NULL GROUP BY outcome")},
        }

    def corrections(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.db.execute(f"SELECT * FROM events WHERE {CORRECTIONS} ORDER BY seq DESC LIMIT ?",
                               (limit,)).fetchall()

    def rejected(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.db.execute(f"SELECT * FROM events WHERE {REJECTED} ORDER BY seq LIMIT ?", (limit,)).fetchall()

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
