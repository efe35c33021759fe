"""`edit` of an event the server accepted sends a correction (API.md section 6, correctsEventId);
an unsent or rejected event is still edited by a corrected copy; `status` shows corrections. No
server is involved: the server's answers are written into the store as a sync would."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest

from sync.client import cli, store as store_module
from sync.client.engine import FieldClient
from sync.client.record import edit, record
from sync.client.store import Store

WELL = str(uuid.uuid4())
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def client(tmp_path):
    client = FieldClient(tmp_path / "home" / "default", server=NOWHERE)
    client.store.set_meta({"user_id": "u1", "user_email": "pat@acme.test"})
    client.store.apply_changes([
        {"entity": "well", "op": "upsert", "id": WELL, "version": 4,
         "data": {"id": WELL, "apiNumber": "42317412100000", "name": "Ector 12-1", "status": "ACTIVE"}},
    ], cursor="c", replace=True)
    yield client
    client.close()


def production(client, volume="1200"):
    return record(client.store, client.folder, "production", {"well": WELL, "product": "OIL", "volume": volume})


def synced(client, event_id, *, outcome="APPLIED", batch="b1"):
    client.store.mark_pushed(batch_id=batch, status="QUEUED", accepted=[event_id], duplicates=[], rejected=[],
                             events=1, size=1)
    client.store.mark_batch(batch_id=batch, status="COMPLETED", counts={},
                            results=[{"eventId": event_id, "outcome": outcome}])


def wire(client):
    return [json.loads(e.wire) for e in client.store.sendable(user_id="u1")]


def test_editing_a_synced_event_sends_a_correction_and_keeps_the_original(client):
    typo = production(client)
    synced(client, typo["id"])
    fixed = edit(client.store, typo["id"], {"volume": "120"})
    assert fixed["correctsEventId"] == typo["id"] and fixed["replaces"] is None
    [sent] = wire(client)
    assert sent["id"] == fixed["id"] and sent["correctsEventId"] == typo["id"] and sent["payload"]["volume"] == 120
    original = client.store.event(typo["id"])
    assert original["replaced_by"] is None and original["corrected_by"] == fixed["id"]
    assert original["outcome"] == "APPLIED"  # what the server did with it stays on record


def test_an_unsynced_event_is_still_edited_by_a_copy_that_is_not_a_correction(client):
    draft = production(client)
    fixed = edit(client.store, draft["id"], {"volume": "120"})
    assert fixed["replaces"] == draft["id"] and "correctsEventId" not in fixed
    [sent] = wire(client)
    assert sent["id"] == fixed["id"] and "correctsEventId" not in sent


def test_editing_an_event_again_corrects_its_last_correction(client):
    typo = production(client)
    synced(client, typo["id"])
    first = edit(client.store, typo["id"], {"volume": "120"})
    synced(client, first["id"], batch="b2")
    second = edit(client.store, typo["id"], {"volume": "125"})
    assert second["correctsEventId"] == first["id"]  # the chain: a correction of the correction
    assert second["payload"]["volume"] == 125
    [sent] = wire(client)
    assert sent["correctsEventId"] == first["id"]


def test_editing_an_event_whose_correction_is_unsent_edits_that_correction(client):
    typo = production(client)
    synced(client, typo["id"])
    first = edit(client.store, typo["id"], {"volume": "120"})
    again = edit(client.store, typo["id"], {"volume": "121"})
    assert again["replaces"] == first["id"] and again["correctsEventId"] == typo["id"]
    [sent] = wire(client)  # one correction goes, the latest
    assert sent["id"] == again["id"] and sent["correctsEventId"] == typo["id"] and sent["payload"]["volume"] == 121
    assert client.store.event(typo["id"])["corrected_by"] == again["id"]


def test_a_refused_correction_is_edited_like_any_refused_event(client):
    typo = production(client)
    synced(client, typo["id"])
    first = edit(client.store, typo["id"], {"volume": "120"})
    client.store.mark_pushed(batch_id="b2", status="COMPLETED", accepted=[], duplicates=[], events=1, size=1,
                             rejected=[{"eventId": first["id"], "code": "correction_forbidden", "message": "no"}])
    again = edit(client.store, first["id"], {"volume": "121"})
    assert again["replaces"] == first["id"] and again["correctsEventId"] == typo["id"]


def test_a_batch_holding_a_correction_waiting_for_its_target_stays_open(client):
    typo = production(client)
    synced(client, typo["id"])
    fixed = edit(client.store, typo["id"], {"volume": "120"})
    client.store.mark_pushed(batch_id="b2", status="QUEUED", accepted=[fixed["id"]], duplicates=[], rejected=[],
                             events=1, size=1)
    client.store.mark_batch(batch_id="b2", status="COMPLETED", counts={},
                            results=[{"eventId": fixed["id"], "outcome": "PENDING"}])
    assert client.store.open_batches() == ["b2"]  # the next sync asks for its outcome again
    client.store.mark_batch(batch_id="b2", status="COMPLETED", counts={},
                            results=[{"eventId": fixed["id"], "outcome": "APPLIED"}])
    assert client.store.open_batches() == []


def test_status_shows_corrections_unsent_sent_and_their_outcome(client, capsys):
    a, b, c = production(client, "100"), production(client, "200"), production(client, "300")
    for event in (a, b, c):
        synced(client, event["id"], batch=f"b-{event['id']}")
    applied = edit(client.store, a["id"], {"volume": "10"})
    synced(client, applied["id"], batch="b-applied")
    waiting = edit(client.store, b["id"], {"volume": "20"})
    client.store.mark_pushed(batch_id="b-waiting", status="QUEUED", accepted=[waiting["id"]], duplicates=[],
                             rejected=[], events=1, size=1)
    unsent = edit(client.store, c["id"], {"volume": "30"})
    status = client.status()
    assert status["corrections"] == {"total": 3, "unsent": 1, "awaitingOutcome": 1, "outcomes": {"APPLIED": 1}}
    states = {e["id"]: (e["correctsEventId"], e["state"]) for e in status["correctionEvents"]}
    assert states == {applied["id"]: (a["id"], "APPLIED"), waiting["id"]: (b["id"], "sent"),
                      unsent["id"]: (c["id"], "unsent")}
    assert cli.main(["status", "--data-dir", str(client.folder.parent), "--server", NOWHERE]) == 0
    text = capsys.readouterr().out
    assert "Corrections:       3 (1 unsent, 1 sent, outcome not known yet, APPLIED 1)" in text
    assert f"correction {unsent['id']} of {c['id']} (PRODUCTION_LOGGED): unsent" in text


def test_the_edit_command_says_it_sent_a_correction(client, capsys):
    typo = production(client)
    synced(client, typo["id"])
    assert cli.main(["edit", typo["id"], "--set", "volume=120", "--data-dir", str(client.folder.parent), "--server", NOWHERE, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["correctsEventId"] == typo["id"]


def test_a_store_written_before_corrections_is_upgraded_in_place(tmp_path):
    path = tmp_path / "field.db"
    old_schema = store_module.SCHEMA.replace("    replaced_by      TEXT,                               -- id of the "
                                             "corrected copy (edit)\n", "    replaced_by      TEXT\n")
    old_schema = old_schema.replace("    corrects_event_id TEXT,                              -- a correction: the "
                                    "synced event it corrects\n", "")
    old_schema = old_schema.replace("    corrected_by     TEXT                                -- the correction sent "
                                    "for this synced event\n", "")
    old_schema = old_schema.replace(", corrects_event_id ON events", " ON events")
    assert "corrects_event_id" not in old_schema
    db = sqlite3.connect(path)
    for statement in store_module._statements(old_schema):
        db.execute(statement)
    db.execute("INSERT INTO meta (key, value) VALUES ('device_id', 'cli-old')")
    db.execute("INSERT INTO events (id, type, payload, occurred_at, device_id, user_id, created_at, synced) "
               "VALUES ('e1', 'NOTES_ADDED', '{}', '2026-11-20T15:00:00Z', 'cli-old', 'u1', '2026-11-20T15:00:00Z', 1)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    upgraded = Store(path)
    row = upgraded.event("e1")
    assert row["corrects_event_id"] is None and row["corrected_by"] is None and upgraded.device_id == "cli-old"
    assert upgraded.db.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
    upgraded.close()
