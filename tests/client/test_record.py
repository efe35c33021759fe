"""Recording offline: options become payloads checked by sync.schemas, and bad input gets one
clear line naming the option. No server is involved (the server URL points nowhere)."""

from __future__ import annotations

import json
import uuid

import pytest

from sync.client import cli
from sync.client.engine import FieldClient
from sync.client.errors import NotLoggedIn, UsageError
from sync.client.record import record

WELL, OTHER, PUMP = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
NOWHERE = "http://127.0.0.1:9"  # discard port: nothing answers


@pytest.fixture
def client(tmp_path):
    client = FieldClient(tmp_path / "home" / "default", server=NOWHERE)
    client.store.set_meta({"user_id": "u1", "user_email": "pat@acme.test"})
    client.store.apply_changes([
        {"entity": "well", "op": "upsert", "id": WELL, "version": 4,
         "data": {"id": WELL, "apiNumber": "42317412100000", "name": "Ector 12-1", "status": "ACTIVE"}},
        {"entity": "well", "op": "upsert", "id": OTHER, "version": 1,
         "data": {"id": OTHER, "apiNumber": "42317412170000", "name": "Ector 12-2", "status": "ACTIVE"}},
        {"entity": "equipment", "op": "upsert", "id": PUMP, "version": 1,
         "data": {"id": PUMP, "wellId": WELL, "name": "Pump jack", "type": "PUMP_JACK", "serialNumber": "PJ-9"}},
    ], cursor="c", replace=True)
    yield client
    client.close()


def run(client, kind, **options):
    return record(client.store, client.folder, kind, options)


def test_a_well_is_found_by_api_number_with_dashes_by_id_or_by_name_in_any_case(client):
    for ref in ("42-317-41210-00-00", "4231741210", WELL, WELL.upper(), f" {WELL} ", "ECTOR 12-1"):
        assert run(client, "production", well=ref, product="OIL", volume="1")["payload"]["wellId"] == WELL


def test_production_defaults_the_unit_and_keeps_numbers_as_numbers(client):
    payload = run(client, "production", well="Ector 12-1", product="gas", volume="120.5", date="2026-11-20",
                  downtime_hours="2", downtime_reason="compressor")["payload"]
    assert payload["product"] == "GAS" and payload["unit"] == "MCF"
    assert payload["volume"] == 120.5 and payload["downtimeHours"] == 2


@pytest.mark.parametrize("options, message", [
    ({"volume": "-1"}, "--volume: must be >= 0"),
    ({"volume": "ten"}, "--volume: must be a number"),
    ({"volume": "1", "downtime_hours": "25"}, "--downtime-hours: must be <= 24"),
    ({"volume": "1", "unit": "MCF"}, "--unit: OIL is measured in BBL or M3"),
    ({"volume": "1", "date": "26/11/2026"}, "--date: must be a valid date YYYY-MM-DD"),
    ({"volume": "1", "at": "2099-01-01T00:00:00Z"}, "--at: is more than 10 minutes in the future"),
])
def test_a_value_out_of_range_names_the_option_with_the_schemas_message(client, options, message):
    with pytest.raises(UsageError) as caught:
        run(client, "production", well="Ector 12-1", product="OIL", **options)
    assert message in caught.value.message
    assert client.store.summary(user_id="u1")["events"] == 0  # nothing stored


def test_an_unknown_well_says_to_pull(client):
    with pytest.raises(UsageError, match=r"not on the route.*pumpjack-field pull"):
        run(client, "note", well="Midland 3-4", text="hello")


def test_an_inspection_names_its_equipment_by_name_or_serial_and_lists_them_when_missing(client):
    assert run(client, "inspection", well="Ector 12-1", equipment="pj-9", status="pass")["payload"]["equipmentId"] == PUMP
    with pytest.raises(UsageError, match="--equipment is required.*Pump jack"):
        run(client, "inspection", well="Ector 12-1", status="PASS")
    with pytest.raises(UsageError, match="unknown equipment"):
        run(client, "inspection", well="Ector 12-2", equipment="Pump jack", status="PASS")


def test_a_status_change_carries_the_cached_wells_version(client):
    payload = run(client, "status", well="Ector 12-1", status="shut-in", reason="leak")["payload"]
    assert (payload["status"], payload["baseVersion"]) == ("SHUT_IN", 4)


def test_a_photo_is_copied_into_the_profile_and_a_non_image_refused(client, tmp_path):
    image = tmp_path / "gauge.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    event = run(client, "photo", well="Ector 12-1", file=str(image), caption="gauge")
    row = client.store.db.execute("SELECT * FROM photos").fetchone()
    assert row["photo_id"] == event["payload"]["photoId"] and row["content_type"] == "image/png"
    assert open(row["path"], "rb").read() == image.read_bytes() and row["path"].startswith(str(client.folder))
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(UsageError, match="not a JPEG, PNG or HEIC"):
        run(client, "photo", well="Ector 12-1", file=str(text))


def test_recording_needs_a_user_on_the_device(client):
    client.store.set_meta({"user_id": None})
    with pytest.raises(NotLoggedIn, match="pumpjack-field login"):
        run(client, "note", well="Ector 12-1", text="x")


@pytest.mark.parametrize("tenant", ["PERMIAN7M3N8K", "PERMIAN-7M3N8", "TOOLONGNAME-7M3N8K", "P3RMIAN-7M3N8K"])
def test_a_wrong_tenant_id_is_refused_before_anything_is_sent(client, tenant):
    with pytest.raises(UsageError, match="not a tenant ID"):
        client.login(tenant_id=tenant, tenant_secret="a" * 64, email="pat@acme.test", password="x")


def test_the_command_line_prints_one_line_on_stderr_and_exits_non_zero(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PUMPJACK_FIELD_HOME", str(tmp_path / "home"))
    code = cli.main(["login", "--tenant", "permian_7m3n8k", "--secret", "a" * 64, "--email", "p@x.test",
                     "--password", "x", "--server", NOWHERE])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and "not a tenant ID" in captured.err

    code = cli.main(["--json", "status"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["loggedIn"] is False and data["unsynced"] == 0

    code = cli.main(["record", "note", "--well", "x", "--text", "hi", "--json"])
    captured = capsys.readouterr()
    assert code == 3 and json.loads(captured.out)["error"]["code"] == "not_logged_in"


def test_edit_appends_a_corrected_copy_of_a_rejected_event(client):
    bad = run(client, "production", well="Ector 12-1", product="OIL", volume="1")
    client.store.mark_pushed(batch_id="b", status="COMPLETED", accepted=[], duplicates=[], events=1, size=1,
                             rejected=[{"eventId": bad["id"], "code": "invalid_payload", "message": "no"}])
    from sync.client.record import edit

    fixed = edit(client.store, bad["id"][:8], {"volume": "2.5"})
    assert fixed["payload"]["volume"] == 2.5 and fixed["id"] != bad["id"]
    assert [e.id for e in client.store.sendable(user_id="u1")] == [fixed["id"]]
    assert client.store.summary(user_id="u1")["rejected"] == 0
    with pytest.raises(UsageError, match="--set colour"):
        edit(client.store, fixed["id"], {"colour": "red"})


@pytest.mark.parametrize(("options", "message"), [
    ({"at": "0001-01-01T00:00:00+14:00"}, "--at '0001-01-01T00:00:00+14:00': a time lies between 1900-01-01"),
    ({"at": "9999-12-31T23:59:59-14:00"}, "a time lies between 1900-01-01 and 10 minutes from now"),
    ({"at": "1899-12-31T23:59:59Z"}, "--at: must be on or after 1900-01-01T00:00:00Z"),
    ({"date": "1899-12-31"}, "--date: must be on or after 1900-01-01"),
    ({"volume": "50001"}, "--volume: must be at most 50,000 BBL per well and day"),
    ({"volume": "8000", "unit": "M3"}, "--volume: must be at most 7,949.4 M3 (50,000 BBL) per well and day"),
    ({"downtime_reason": "bad \udcff byte"}, "--downtime-reason: must not contain NUL characters or lone surrogates"),
])
def test_dates_values_and_text_outside_the_servers_bounds_are_refused_before_storing(client, options, message):
    with pytest.raises(UsageError) as caught:
        run(client, "production", well="Ector 12-1", product="OIL", **{"volume": "10", **options})
    assert message in caught.value.message
    assert client.store.summary(user_id="u1")["events"] == 0


def test_production_after_the_devices_today_is_refused(client):
    from datetime import date, timedelta

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(UsageError, match=rf"--date: must not be in the future \(after {date.today()}\)"):
        run(client, "production", well="Ector 12-1", product="OIL", volume="10", date=tomorrow)
    assert run(client, "production", well="Ector 12-1", product="OIL", volume="10")["payload"]["productionDate"] \
        == date.today().isoformat()


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("reading", {"type": "pressure", "value": "20001"}, "--value: must be between -15 and 20,000 PSI"),
    ("reading", {"type": "temperature", "value": "205", "unit": "C"}, "--value: must be between -51.1 and 204.4 C"),
    ("note", {"text": "nul \x00 here"}, "--text: must not contain NUL characters or lone surrogates"),
])
def test_readings_and_notes_outside_the_bounds_are_refused(client, kind, options, message):
    with pytest.raises(UsageError) as caught:
        run(client, kind, well="Ector 12-1", **options)
    assert message in caught.value.message
