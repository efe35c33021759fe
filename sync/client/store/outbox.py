"""The outbox: events recorded on the device, the batches that carried them, and their photos.

``events`` is an append-only log (triggers refuse a delete or a change of what makes an event what
it is); only the sync bookkeeping columns move. An event is sent until the server answers
``accepted`` or ``duplicate`` (``synced = 1``); a rejected one keeps the server's code and message
and is not sent again unless it is edited (which appends a corrected copy, ``replaced_by``).
Editing an event the server accepted appends a correction instead (``corrects_event_id``, API.md
section 6). ``batches`` are polled until their per-event outcomes are known; ``photos`` are
uploaded before their events are pushed."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime
from typing import Iterable

from ..wire import PendingEvent, compact, event_wire, rfc3339, utc_now

# Events the next push sends: not yet accepted, not refused, not replaced by an edit.
SENDABLE = "synced = 0 AND rejected_code IS NULL AND replaced_by IS NULL"


class Outbox:
    """Recording, pushing and following outcomes (a part of sync.client.store.Store)."""

    db: sqlite3.Connection

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
        return [PendingEvent(seq, event_id, event_wire(event_id=event_id, event_type=event_type,
                                                       occurred_at=occurred_at, user_id=owner, payload=payload,
                                                       corrects=corrects))
                for seq, event_id, event_type, payload, occurred_at, owner, corrects in rows]

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

    def mark_too_large(self, event_id: str) -> None:
        """An event that cannot fit in any request: refused here, as the server would (413)."""
        with self.transaction() as db:
            db.execute("UPDATE events SET rejected_code = 'too_large', outcome = 'REJECTED', "
                       "rejected_message = 'larger than a request may be (8 MiB)' WHERE id = ?", (event_id,))

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
