"""Issue 10 findings on sync intake, each on the real servers: times outside 1900 .. now + 10 minutes,
production after the tenant's today, implausible values, and text no database stores (NUL, lone
surrogates): only the event holding it is rejected (and kept), the others are accepted."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, timedelta, timezone

import pytest
from django_tenants.utils import schema_context

from sync.models import RejectedEvent, SyncBatch, SyncEvent
from sync.schemas import SCHEMAS, parse_datetime
from tests.factories import api_login
from tests.sync.conftest import event, production

pytestmark = pytest.mark.django_db

YEAR_ONE = "0001-01-01T00:00:00+14:00"  # stored by PostgreSQL as 1 BC; psycopg cannot read it back
AT = "2026-11-20T15:00:00Z"


def payload_of(event_type: str, route) -> dict:
    """A valid payload of each type, for the route's well and equipment."""
    well, equipment = str(route.well.pk), str(route.equipment.pk)
    return {
        "WELL_READING_RECORDED": {"wellId": well, "readingType": "PRESSURE", "value": 120, "unit": "PSI",
                                  "recordedAt": AT},
        "PRODUCTION_LOGGED": {"wellId": well, "productionDate": "2026-11-20", "product": "OIL", "volume": 10,
                              "unit": "BBL", "recordedAt": AT},
        "EQUIPMENT_INSPECTED": {"wellId": well, "equipmentId": equipment, "inspectionType": "ROUTINE",
                                "status": "PASS", "inspectedAt": AT},
        "EQUIPMENT_REPAIRED": {"wellId": well, "equipmentId": equipment, "description": "belt", "repairedAt": AT},
        "NOTES_ADDED": {"wellId": well, "notes": "all good", "recordedAt": AT},
        "PHOTO_ATTACHED": {"wellId": well, "photoId": str(uuid.uuid4()), "takenAt": AT},
        "WELL_STATUS_CHANGED": {"wellId": well, "status": "SHUT_IN", "changedAt": AT},
        # A tank's events (API.md section 13): the schema is checked before the tank is looked up.
        "TANK_GAUGED": {"tankId": str(uuid.uuid4()), "level": 10, "unit": "IN", "gaugedAt": AT},
        "RUN_TICKET_RECORDED": {"ticketNumber": "T-1", "tankId": str(uuid.uuid4()), "kind": "LACT", "closedAt": AT,
                                "observedGravityApi": 40, "observedTemperatureF": 60, "bswPercent": 0.2,
                                "disposition": "0", "openingTotalizerBbl": 1, "closingTotalizerBbl": 2,
                                "meterFactor": 1},
    }[event_type]


TIME_FIELDS = [(event_type, spec.wire) for event_type, schema in SCHEMAS.items() for spec in schema.fields
               if spec.parse is parse_datetime]


def reading(route, value=120, unit="PSI", reading_type="PRESSURE") -> dict:
    return event("WELL_READING_RECORDED", {"wellId": str(route.well.pk), "readingType": reading_type,
                                           "value": value, "unit": unit, "recordedAt": AT})


def only_rejection(body: dict, event_id: str) -> dict:
    [rejection] = body["rejected"]
    assert rejection["eventId"] == event_id
    return rejection


# ------------------------------------------------------------------ dates and times


@pytest.mark.parametrize(("event_type", "field"), TIME_FIELDS + [("PRODUCTION_LOGGED", "productionDate")])
def test_a_date_or_time_before_1900_is_rejected_and_the_wells_lists_still_read(
        push_and_process, route, tenant_a, operator_tokens, client, event_type, field):
    payload = payload_of(event_type, route)
    payload[field] = "1899-12-31" if field == "productionDate" else YEAR_ONE
    poisoned, good = event(event_type, payload), reading(route)
    body = push_and_process([poisoned, good])
    rejection = only_rejection(body, poisoned["id"])
    assert rejection["code"] == "invalid_payload"
    assert any("1900-01-01" in message for message in rejection["details"][f"payload.{field}"])
    assert body["accepted"] == [good["id"]]
    with schema_context(tenant_a.tenant.schema_name):
        assert SyncEvent.objects.get(event_id=poisoned["id"]).outcome == "REJECTED"  # not a processing_error
        assert SyncEvent.objects.get(event_id=good["id"]).outcome == "APPLIED"
    for records in ("readings", "production", "inspections", "repairs", "notes", "photos"):
        response = client.get(f"/api/v1/wells/{route.well.pk}/{records}/",
                              **tenant_a.headers(token=operator_tokens["access"]))
        assert response.status_code == 200, (records, response.content)


@pytest.mark.parametrize("occurred_at", [YEAR_ONE, "1899-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00"])
def test_an_occurred_at_outside_the_bounds_rejects_the_event(push, route, tenant_a, occurred_at):
    poisoned, good = event("NOTES_ADDED", payload_of("NOTES_ADDED", route)), reading(route)
    poisoned["occurredAt"] = occurred_at
    body = push([poisoned, good]).json()
    assert "occurredAt" in only_rejection(body, poisoned["id"])["details"]
    assert body["accepted"] == [good["id"]]
    with schema_context(tenant_a.tenant.schema_name):
        stored = SyncEvent.objects.get(event_id=poisoned["id"])
        assert stored.outcome == "REJECTED" and stored.occurred_at is None  # kept, its time left out


def test_production_after_the_tenants_today_is_rejected_and_today_is_accepted(push, route, tenant_a):
    today = datetime.now(zoneinfo.ZoneInfo(tenant_a.tenant.time_zone)).date()
    tomorrow = production(route.well, 10, day=(today + timedelta(days=1)).isoformat())
    on_the_day = production(route.well, 10, day=today.isoformat())
    body = push([tomorrow, on_the_day]).json()
    rejection = only_rejection(body, tomorrow["id"])
    assert rejection["code"] == "invalid_payload"
    assert rejection["details"]["payload.productionDate"] == [f"must not be in the future (after {today})"]
    assert body["accepted"] == [on_the_day["id"]]


# ------------------------------------------------------------------ plausible values


@pytest.mark.parametrize(("make", "field"), [
    (lambda r: production(r.well, 50_001), "volume"),
    (lambda r: production(r.well, 7_950, unit="M3"), "volume"),
    (lambda r: production(r.well, 500_001, product="GAS", unit="MCF"), "volume"),
    (lambda r: production(r.well, 50_001, product="WATER"), "volume"),
    (lambda r: reading(r, 20_001), "value"),
    (lambda r: reading(r, 137_900, unit="KPA"), "value"),
    (lambda r: reading(r, 1_400, unit="BAR"), "value"),
    (lambda r: reading(r, 401, unit="F", reading_type="TEMPERATURE"), "value"),
    (lambda r: reading(r, -61, unit="F", reading_type="TEMPERATURE"), "value"),
    (lambda r: reading(r, 205, unit="C", reading_type="TEMPERATURE"), "value"),
    (lambda r: reading(r, 721, unit="IN", reading_type="TANK_LEVEL"), "value"),
    (lambda r: reading(r, -1, unit="FT", reading_type="TANK_LEVEL"), "value"),
    (lambda r: reading(r, 50_001, unit="BBL_D", reading_type="FLOW_RATE"), "value"),
    (lambda r: reading(r, 500_001, unit="MCF_D", reading_type="FLOW_RATE"), "value"),
])
def test_values_beyond_what_a_well_produces_or_a_gauge_reads_are_invalid_payload(push, route, make, field):
    implausible, good = make(route), production(route.well, 50_000, product="OIL", day="2026-11-19")
    body = push([implausible, good]).json()
    rejection = only_rejection(body, implausible["id"])
    assert rejection["code"] == "invalid_payload"
    assert rejection["details"][f"payload.{field}"][0].startswith(("must be at most", "must be between"))
    assert body["accepted"] == [good["id"]]


@pytest.mark.parametrize("make", [
    lambda r: production(r.well, 7_949, unit="M3"), lambda r: production(r.well, 500_000, product="GAS", unit="MCF"),
    lambda r: reading(r, 20_000), lambda r: reading(r, -60, unit="F", reading_type="TEMPERATURE"),
    lambda r: reading(r, 204, unit="C", reading_type="TEMPERATURE"), lambda r: reading(r, 60, "FT", "TANK_LEVEL"),
])
def test_values_at_the_bounds_are_accepted(push, route, make):
    accepted = make(route)
    assert push([accepted]).json()["accepted"] == [accepted["id"]]


# ------------------------------------------------------------------ text no database stores


def _set_payload_key(e):
    e["payload"]["no\ud800tes"] = e["payload"].pop("notes")


@pytest.mark.parametrize(("where", "spoil", "path"), [
    ("a lone surrogate in the id", lambda e: e.update(id=e["id"][:-1] + "\ud800"), "id"),
    ("a lone surrogate in the type", lambda e: e.update(type="NOTES_ADDED\udfff"), "type"),
    ("a NUL in the type", lambda e: e.update(type="NOTES\x00ADDED"), "type"),
    ("a lone surrogate in a payload key", _set_payload_key, "payload.no\ufffdtes"),
    ("a lone surrogate in a text value", lambda e: e["payload"].update(notes="pump \ud83d ok"), "payload.notes"),
    ("a NUL in a text value", lambda e: e["payload"].update(notes="pump \x00 ok"), "payload.notes"),
    ("a lone surrogate in occurredAt", lambda e: e.update(occurredAt=AT + "\udc00"), "occurredAt"),
    ("a lone surrogate in userId", lambda e: e.update(userId="\ud800"), "userId"),
    ("a lone surrogate in an unknown key", lambda e: e.update({"x\ud800": 1}), "x\ufffd"),
])
def test_bad_text_in_one_event_rejects_only_that_event_and_keeps_it_storable(
        push, route, tenant_a, operator_tokens, client, where, spoil, path):
    bad = event("NOTES_ADDED", payload_of("NOTES_ADDED", route))
    spoil(bad)
    good = reading(route)
    response = push([bad, good])
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["accepted"] == [good["id"]]
    [rejection] = body["rejected"]
    assert rejection["code"] in ("invalid_event", "invalid_payload")
    assert path in rejection["details"], rejection
    with schema_context(tenant_a.tenant.schema_name):
        if path == "id":
            kept = RejectedEvent.objects.get(batch_id=body["batchId"]).raw
            assert kept["id"].endswith("\ufffd")
        else:
            stored = SyncEvent.objects.get(event_id=bad["id"])
            assert stored.outcome == "REJECTED"
            kept = {"type": stored.type, "payload": stored.payload}
        text = repr(kept)
        assert "\\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)
    status = client.get(body["statusUrl"], **tenant_a.headers(token=operator_tokens["access"]))
    assert status.status_code == 200
    assert {r["outcome"] for r in status.json()["results"]} == {"PENDING", "REJECTED"}


def test_a_rejected_event_whose_text_is_storable_is_kept_as_sent_with_its_rejection(push, route, tenant_a):
    """Intake's shortcut for text it checked: the payload and the rejection (which quotes what
    was sent) are stored as they are, equal to what was sent and to what the device was told."""
    off_route = event("NOTES_ADDED", {**payload_of("NOTES_ADDED", route), "wellId": str(route.off_route_well.pk),
                                      "notes": 'pümp "ok" \\ 🛢\n\u2028'})
    unknown_key = event("NOTES_ADDED", {**payload_of("NOTES_ADDED", route), 'wéird "key"': [1, {"a": None}]})
    body = push([off_route, unknown_key]).json()
    assert body["accepted"] == []
    by_id = {r["eventId"]: r for r in body["rejected"]}
    assert by_id[off_route["id"]]["code"] == "unknown_well"
    assert 'wéird "key"' in by_id[unknown_key["id"]]["details"]["payload"][0]
    with schema_context(tenant_a.tenant.schema_name):
        for sent in (off_route, unknown_key):
            stored = SyncEvent.objects.get(event_id=sent["id"])
            assert stored.outcome == "REJECTED"
            assert stored.payload == sent["payload"]
            assert stored.errors == [by_id[sent["id"]]]


def test_the_same_bad_event_sent_again_is_rejected_again_not_stored_twice(push, route, tenant_a):
    bad = event("NOTES_ADDED", {**payload_of("NOTES_ADDED", route), "notes": "x\ud800"})
    first, second = push([bad]).json(), push([bad]).json()
    assert first["rejected"][0]["code"] == second["rejected"][0]["code"] == "invalid_payload"
    assert second["duplicates"] == []
    with schema_context(tenant_a.tenant.schema_name):
        assert SyncEvent.objects.filter(event_id=bad["id"]).count() == 1


@pytest.mark.parametrize(("device", "field"), [
    ({"deviceId": "tablet-\ud800", "platform": "android"}, "device.deviceId"),
    ({"deviceId": "tablet-07", "platform": "andr\udfffoid"}, "device.platform"),
    ({"deviceId": "tablet-07", "platform": "android", "appVersion": "1.4\ud800"}, "device.appVersion"),
    ({"deviceId": "tablet-07", "platform": "android", "appVersion": "1.4\x00"}, "device.appVersion"),
    ({"deviceId": "tablet-07", "platform": "android", "mo\ud800del": "x"}, "device.mo\ufffddel"),
])
def test_bad_text_in_the_device_is_400_naming_the_field_and_stores_nothing(
        client, tenant_a, operator_tokens, route, device, field):
    with schema_context(tenant_a.tenant.schema_name):
        batches = SyncBatch.objects.count()
    response = client.post("/api/v1/sync/batches", {"device": device, "events": [reading(route)]},
                           content_type="application/json", **tenant_a.headers(token=operator_tokens["access"]))
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and field in error["details"]
    with schema_context(tenant_a.tenant.schema_name):
        assert SyncBatch.objects.count() == batches


def test_bad_text_in_a_policy_change_is_400_naming_the_field(client, tenant_a):
    admin = api_login(client, tenant_a, email=tenant_a.users["ADMIN"])
    response = client.put("/api/v1/sync/policies/PRODUCTION_LOGGED", {"strategy": "NEWEST\ud800"},
                          content_type="application/json", **tenant_a.headers(token=admin["access"]))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"] == {"strategy": [
        "must not contain NUL characters or lone surrogates (U+D800-U+DFFF)"]}


def test_times_are_compared_in_utc_whatever_their_offset(push, route):
    # 1900-01-01T05:00+06:00 is 1899-12-31T23:00Z: before the bound, although its local date is not.
    early = event("NOTES_ADDED", {**payload_of("NOTES_ADDED", route), "recordedAt": "1900-01-01T05:00:00+06:00"})
    edge = event("NOTES_ADDED", {**payload_of("NOTES_ADDED", route),
                                 "recordedAt": datetime(1900, 1, 1, tzinfo=timezone.utc).isoformat()})
    body = push([early, edge]).json()
    assert only_rejection(body, early["id"])["details"] == {
        "payload.recordedAt": ["must be on or after 1900-01-01T00:00:00Z"]}
    assert body["accepted"] == [edge["id"]]


@pytest.mark.parametrize("offset", ["-23:08", "+15:00", "-12:30", "+16:00"])
def test_a_time_offset_no_time_zone_has_is_rejected_not_a_500(push, route, offset):
    # Found by the schema fuzz run: Python takes any offset under 24 hours, PostgreSQL none beyond
    # 15:59 ("time zone displacement out of range"), so the whole batch answered 500.
    fields = {**payload_of("EQUIPMENT_REPAIRED", route), "repairedAt": f"2026-11-20T12:15:40{offset}"}
    bad_payload = event("EQUIPMENT_REPAIRED", fields)
    bad_occurred = {**event("NOTES_ADDED", payload_of("NOTES_ADDED", route)), "occurredAt": f"2026-11-20T12:15:40{offset}"}
    fine = event("NOTES_ADDED", payload_of("NOTES_ADDED", route))
    response = push([bad_payload, bad_occurred, fine])
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["accepted"] == [fine["id"]]
    rejected = {r["eventId"]: r["details"] for r in body["rejected"]}
    assert rejected == {
        bad_payload["id"]: {"payload.repairedAt": ["needs a time zone offset between -12:00 and +14:00"]},
        bad_occurred["id"]: {"occurredAt": ["needs a time zone offset between -12:00 and +14:00"]},
    }


def test_the_offsets_of_real_time_zones_are_accepted(push, route):
    events = [event("NOTES_ADDED", {**payload_of("NOTES_ADDED", route), "recordedAt": f"2026-11-20T12:15:40{offset}"})
              for offset in ("-12:00", "+14:00", "+05:45", "Z")]
    assert sorted(push(events).json()["accepted"]) == sorted(e["id"] for e in events)
