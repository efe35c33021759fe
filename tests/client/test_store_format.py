"""The store's file format across the split of sync/client/store.py into a package: a file written
by the Store of before (fixtures/field-schema2.db.gz, schema 2) opens, reads the same and takes new
writes; its one migration since (schema 3: the leases and tanks of the route) adds two tables and
drops the pull cursor, so the next pull is a snapshot that brings them; a fresh file has the very
tables of the migrated one; the store needs no Django.

The fixture was made with the single-module Store of commit a644e42: two wells and a pump jack from
a snapshot; thirteen events covering every state an event can be in (applied, pending review then
resolved by a pulled conflict, duplicate, rejected then edited, too large, failed to send, a photo
uploaded and one not, a correction sent and waiting for its target, a correction of that
correction unsent, another user's event); batches b1 (done) and b2 (open); a pending conflict of
this device's inspection and one of someone else's."""

from __future__ import annotations

import ast
import gzip
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sync.client.store import ENTITIES, MIGRATIONS, SCHEMA_VERSION, Store
from tests.client.harness import REPO

FIXTURE = Path(__file__).parent / "fixtures" / "field-schema2.db.gz"
DEVICE = "cli-2b1ad845-ec4d-4315-9ceb-e2a9cd1d7b1a"
W1, W2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
C1, C2 = "c1c1c1c1-0000-4000-8000-000000000001", "c2c2c2c2-0000-4000-8000-000000000002"


@pytest.fixture
def old_file(tmp_path) -> Path:
    path = tmp_path / "profile" / "field.db"
    path.parent.mkdir(mode=0o700)
    with gzip.open(FIXTURE) as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    return path


def tables(path: Path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        db.close()


def seqs(rows) -> list[int]:
    return [r["seq"] if isinstance(r, sqlite3.Row) else r.seq for r in rows]


def test_a_file_written_before_the_split_opens_migrated_and_reads_as_it_did(old_file):
    before = tables(old_file)
    with Store(old_file) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert store.meta("pull_cursor") is None  # schema 3: the next pull is a snapshot (leases, tanks)
        assert store.tanks() == []
        assert store.integrity_ok() and store.device_id == DEVICE
        assert store.summary(user_id="u1") == {
            "events": 13, "unsynced": 5, "waitingForOtherUser": 1, "rejected": 1,
            "outcomes": {"APPLIED": 2, "DUPLICATE": 1, "PENDING_REVIEW": 1, "REJECTED": 1, "RESOLVED": 1},
            "awaitingOutcome": 1, "photosToUpload": 1, "openBatches": 1,
            "lastSyncAt": "2026-11-21T12:00:00.000000Z", "lastPullAt": "2026-11-21T12:30:00.000000Z", "wells": 2,
            "corrections": {"total": 2, "unsent": 1, "awaitingOutcome": 1, "outcomes": {}}}
        mine, theirs = store.sendable(user_id="u1"), store.sendable(user_id="u2")
        assert seqs(mine) == [6, 9, 10, 12] and seqs(theirs) == [13]
        events = {row["seq"]: row for row in store.events()}
        correction = json.loads(mine[-1].wire)
        assert correction["correctsEventId"] == events[11]["id"] and correction["payload"]["volume"] == 11
        assert json.loads(theirs[0].wire) == {
            "id": events[13]["id"], "type": "NOTES_ADDED", "occurredAt": "2026-11-20T10:00:00.000000Z",
            "userId": "u2", "payload": {"wellId": W2, "notes": "gate locked", "recordedAt": "2026-11-20T10:00:00Z"}}
        assert [(w.name, w.version) for w in store.wells()] == [("Andrews 4", 1), ("Ector 12-1", 3)]
        assert [(e.name, e.serial) for e in store.equipment(W1)] == [("Pump jack", "PJ-1")]
        decided = store.decided_conflicts()
        assert [(c["id"], c["event_id"], c["well_name"]) for c in decided] == [(C1, events[2]["id"], "Ector 12-1")]
        assert [c["id"] for c in store.pending_conflicts()][0] == C2 and len(store.pending_conflicts()) == 2
        assert seqs(store.corrections()) == [12, 11] and seqs(store.rejected()) == [5]
        assert store.rejected()[0]["rejected_code"] == "too_large"
        assert [p["photo_id"] for p in store.photos_to_upload(user_id="u1")] == ["p2"]
        assert store.open_batches() == ["b2"]
    # The migration only added the two tables: not one other table, index or trigger touched.
    added = [row for row in tables(old_file) if row not in before]
    assert sorted({row[2] for row in added}) == ["leases", "tanks"]  # the tables and their primary keys
    assert all(row in tables(old_file) for row in before)


def test_a_file_written_before_the_split_takes_new_writes(old_file):
    with Store(old_file) as store:
        events = {row["seq"]: row for row in store.events()}
        pending = [p.id for p in store.sendable(user_id="u1")]
        store.mark_pushed(batch_id="b3", status="QUEUED", accepted=pending, duplicates=[], rejected=[],
                          events=len(pending), size=1)
        store.mark_batch(batch_id="b3", status="COMPLETED", counts={"applied": 4},
                         results=[{"eventId": i, "outcome": "APPLIED"} for i in pending])
        # The inspection's conflict decided by a manager, seen through the feed.
        store.apply_changes([{"entity": "conflict", "op": "upsert", "id": C2, "version": 2, "data": {
            "id": C2, "wellId": W1, "eventId": events[7]["id"], "eventType": "EQUIPMENT_INSPECTED",
            "status": "IGNORED", "reason": "another inspection that day says PASS",
            "createdAt": "2026-11-20T11:30:00+00:00", "resolution": {"action": "KEEP_CURRENT"}}}], cursor="cursor-3")
        fresh = store.record(event_type="NOTES_ADDED", payload={"wellId": W1, "notes": "done"}, user_id="u1")
        assert store.event(events[7]["id"])["outcome"] == "IGNORED"
        assert seqs(store.sendable(user_id="u1")) == [14] and store.event(fresh["id"])["device_id"] == DEVICE
        assert store.summary(user_id="u1")["openBatches"] == 1  # b2's correction still waits for its target
        assert store.meta("pull_cursor") == "cursor-3"
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute("DELETE FROM events WHERE seq = 1")


def test_a_fresh_file_has_the_tables_indexes_and_triggers_of_a_file_written_before_the_split(old_file, tmp_path):
    Store(old_file).close()  # migrated to the latest schema
    with Store(tmp_path / "fresh" / "field.db") as fresh:
        assert fresh.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert tables(tmp_path / "fresh" / "field.db") == tables(old_file)


def test_every_older_schema_has_a_migration_step():
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION))


def test_the_entity_table_names_real_tables_and_columns(tmp_path):
    with Store(tmp_path / "field.db") as store:
        for name, entity in ENTITIES.items():
            columns = {r[1] for r in store.db.execute(f"PRAGMA table_info({entity.table})")}
            assert {"id", "data", *entity.columns} <= columns, name
            for table, column in entity.owns:
                assert column in {r[1] for r in store.db.execute(f"PRAGMA table_info({table})")}, (name, table)


NO_DJANGO = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("django", "rest_framework", "celery"):
            raise ImportError("no " + name + " on this laptop")
sys.meta_path.insert(0, Refuse())
from sync.client.store import Store
with Store(sys.argv[1]) as store:
    store.record(event_type="NOTES_ADDED", payload={"notes": "x"}, user_id="u1")
    store.apply_changes([], cursor="c1", replace=True)
    print(store.summary(user_id="u1")["unsynced"], len(store.sendable(user_id="u1")))
"""


def test_the_store_works_where_django_cannot_be_imported(tmp_path):
    done = subprocess.run([sys.executable, "-c", NO_DJANGO, str(tmp_path / "field.db")], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]


def test_no_module_of_the_field_client_imports_django_itself():
    offenders = []
    for path in sorted((REPO / "sync" / "client").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names
                          if n.split(".")[0] in ("django", "rest_framework", "celery")]
    assert offenders == []
