"""The device's SQLite store and credentials file, on real files in tmp_path."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import uuid

import pytest

from sync.client.profile import Credentials, CredentialsFile, profile_dir
from sync.client.store import Store
from tests.client.harness import REPO

WELL = str(uuid.uuid4())


def production(volume=10, day="2026-11-20") -> dict:
    return {"wellId": WELL, "productionDate": day, "product": "OIL", "volume": volume, "unit": "BBL"}


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "profile" / "field.db") as opened:
        yield opened


def test_a_new_store_is_in_wal_mode_with_the_events_indexes_and_a_stable_device_id(tmp_path):
    path = tmp_path / "p" / "field.db"
    with Store(path) as store:
        device = store.device_id
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {r[1] for r in store.db.execute("PRAGMA index_list(events)")}
        assert {"events_synced", "events_occurred_at"} <= indexes
        columns = {r[1] for r in store.db.execute("PRAGMA table_info(events)")}
        assert {"id", "type", "payload", "occurred_at", "device_id", "user_id", "synced", "sync_attempts",
                "last_error", "created_at"} <= columns
    with Store(path) as again:
        assert again.device_id == device and device.startswith("cli-")


def test_events_are_append_only_their_content_cannot_change(store):
    event = store.record(event_type="PRODUCTION_LOGGED", payload=production(), user_id="u1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM events WHERE id = ?", (event["id"],))
    with pytest.raises(sqlite3.IntegrityError, match="cannot change"):
        store.db.execute("UPDATE events SET payload = '{}' WHERE id = ?", (event["id"],))
    store.db.execute("UPDATE events SET sync_attempts = 3 WHERE id = ?", (event["id"],))  # bookkeeping may move
    assert json.loads(store.event(event["id"])["payload"]) == production()


def test_accepted_and_duplicates_are_synced_rejected_keep_the_reason_and_are_not_sent_again(store):
    ids = [store.record(event_type="PRODUCTION_LOGGED", payload=production(n), user_id="u1")["id"] for n in range(4)]
    assert [e.id for e in store.sendable(user_id="u1")] == ids
    assert store.sendable(user_id="someone else") == []
    store.mark_pushed(batch_id="b1", status="QUEUED", accepted=ids[:2], duplicates=[ids[2]], events=4, size=100,
                      rejected=[{"eventId": ids[3], "code": "unknown_well", "message": "No such well on your route"}])
    assert store.sendable(user_id="u1") == []
    summary = store.summary(user_id="u1")
    assert (summary["unsynced"], summary["rejected"]) == (0, 1)
    assert store.rejected()[0]["rejected_code"] == "unknown_well"
    assert store.open_batches() == ["b1"]

    store.mark_batch(batch_id="b1", status="COMPLETED", counts={"applied": 1}, results=[
        {"eventId": ids[0], "outcome": "APPLIED", "conflict": None, "errors": []},
        {"eventId": ids[1], "outcome": "PENDING_REVIEW", "conflict": "c1", "errors": []},
        {"eventId": ids[2], "outcome": "DUPLICATE", "conflict": None, "errors": []},
    ])
    assert store.open_batches() == []
    assert [store.event(i)["outcome"] for i in ids] == ["APPLIED", "PENDING_REVIEW", "DUPLICATE", "REJECTED"]
    assert store.event(ids[1])["conflict_id"] == "c1"


def test_the_wire_form_of_an_event_is_the_same_every_time_it_is_sent(store):
    event = store.record(event_type="PRODUCTION_LOGGED", payload=production(120.5), user_id="u1")
    first, second = store.sendable(user_id="u1")[0].wire, store.sendable(user_id="u1")[0].wire
    assert first == second
    assert json.loads(first) == {"id": event["id"], "type": "PRODUCTION_LOGGED", "occurredAt": event["occurredAt"],
                                 "userId": "u1", "payload": production(120.5)}


def test_a_snapshot_replaces_the_route_and_increments_apply_on_top(store):
    w1, w2 = str(uuid.uuid4()), str(uuid.uuid4())
    well = lambda i, name: {"entity": "well", "op": "upsert", "id": i, "version": 1,  # noqa: E731
                            "data": {"id": i, "apiNumber": "42317000010000", "name": name, "status": "ACTIVE"}}
    store.apply_changes([well(w1, "One"), well(w2, "Two")], cursor="c1", replace=True)
    store.apply_changes([well(w1, "One")], cursor="c2", replace=True)  # w2 left the route
    assert [w.name for w in store.wells()] == ["One"] and store.meta("pull_cursor") == "c2"
    store.apply_changes([{"entity": "well", "op": "delete", "id": w1, "version": 2, "data": {}}], cursor="c3")
    assert store.wells() == [] and store.meta("pull_cursor") == "c3"


def test_the_credentials_file_is_private_from_the_first_byte_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        folder = profile_dir("tablet-1", tmp_path / "home")
        credentials = CredentialsFile(folder)
        credentials.save(Credentials(tenant_id="ACME-ABC123", tenant_secret="a" * 64, refresh="r1"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(credentials.path).st_mode) == 0o600
    assert credentials.load().refresh == "r1"
    assert [p.name for p in folder.iterdir()] == ["credentials.json"]  # no temporary file left


def test_a_credentials_file_loosened_by_hand_is_tightened_when_read(tmp_path):
    credentials = CredentialsFile(tmp_path / "p")
    credentials.save(Credentials(tenant_id="ACME-ABC123", tenant_secret="a" * 64))
    os.chmod(credentials.path, 0o644)
    assert credentials.load().tenant_id == "ACME-ABC123"
    assert stat.S_IMODE(os.stat(credentials.path).st_mode) == 0o600


def test_a_profile_name_cannot_climb_out_of_the_data_dir(tmp_path):
    from sync.client.errors import UsageError

    with pytest.raises(UsageError):
        profile_dir("../etc", tmp_path)


WRITER = """
import sys, uuid
from sync.client.store import Store
store = Store(sys.argv[1])
payload = {"wellId": str(uuid.uuid4()), "productionDate": "2026-11-20", "product": "OIL", "volume": 1, "unit": "BBL"}
print("ready", flush=True)
while True:
    ids = store.record_many([("PRODUCTION_LOGGED", payload, None)] * 100, user_id="u1")
    store.mark_pushed(batch_id=str(uuid.uuid4()), status="QUEUED", accepted=ids[:50], duplicates=[], rejected=[],
                      events=100, size=1)
"""


@pytest.mark.parametrize("after", [0.15, 0.4, 0.75])
def test_kill_9_while_writing_leaves_a_consistent_store(tmp_path, after):
    """Each transaction writes 100 events, or marks 50 synced with their batch: after a kill -9
    at any moment, the file is intact and holds whole transactions only."""
    path = tmp_path / "field.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE)
    assert writer.stdout.readline().strip() == b"ready"
    time.sleep(after)
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    with Store(path) as store:
        assert store.integrity_ok()
        events, synced = store.db.execute("SELECT count(*), coalesce(sum(synced), 0) FROM events").fetchone()
        batches = store.db.execute("SELECT count(*) FROM batches").fetchone()[0]
        assert events > 0 and events % 100 == 0
        assert synced == 50 * batches and batches in (events // 100, events // 100 - 1)
        assert store.db.execute("SELECT count(*) FROM events WHERE synced = 1 AND batch_id IS NULL").fetchone()[0] == 0
