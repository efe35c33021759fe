"""POST /api/v1/sync/batches per API.md section 6: validation per event, idempotency, limits."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django_tenants.utils import schema_context

from sync.models import RejectedEvent, SyncBatch, SyncEvent
from tests.sync.conftest import event, production

pytestmark = pytest.mark.django_db


def codes(body):
    return {r["eventId"]: r["code"] for r in body["rejected"]}


def test_a_valid_batch_is_stored_and_answered_202(push, route, tenant_a):
    events = [production(route.well, 120.5), production(route.well, 30, product="WATER")]
    response = push(events)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "QUEUED"
    assert body["statusUrl"] == f"/api/v1/sync/batches/{body['batchId']}"
    assert sorted(body["accepted"]) == sorted(e["id"] for e in events)
    assert body["duplicates"] == [] and body["rejected"] == []
    with schema_context(tenant_a.tenant.schema_name):
        stored = SyncEvent.objects.filter(batch_id=body["batchId"])
        assert stored.count() == 2 and set(stored.values_list("outcome", flat=True)) == {"PENDING"}
        assert SyncBatch.objects.get(pk=body["batchId"]).device.device_id == "tablet-07"


def test_one_bad_event_never_fails_the_others(push, route, tenant_a):
    good = production(route.well, 10)
    bad = production(route.well, -5)
    body = push([good, bad]).json()
    assert body["accepted"] == [good["id"]]
    [rejection] = body["rejected"]
    assert rejection["eventId"] == bad["id"] and rejection["code"] == "invalid_payload"
    assert rejection["details"] == {"payload.volume": ["must be >= 0"]}
    with schema_context(tenant_a.tenant.schema_name):  # kept for review, never dropped
        assert SyncEvent.objects.get(event_id=bad["id"]).outcome == "REJECTED"


@pytest.mark.parametrize(
    ("payload_change", "field"),
    [({"unit": "MCF"}, "payload.unit"), ({"product": "CONDENSATE"}, "payload.product"),
     ({"volume": "lots"}, "payload.volume"), ({"productionDate": "2026-02-30"}, "payload.productionDate"),
     ({"downtimeHours": 25}, "payload.downtimeHours"), ({"extra": 1}, "payload")],
)
def test_payload_violations_name_the_field(push, route, payload_change, field):
    bad = production(route.well, 10)
    bad["payload"].update(payload_change)
    body = push([bad]).json()
    [rejection] = body["rejected"]
    assert rejection["code"] == "invalid_payload" and field in rejection["details"]


def test_events_for_wells_off_the_route_or_unknown_are_rejected(push, route):
    off = production(route.off_route_well, 10)
    unknown = production(type("W", (), {"pk": uuid.uuid4()}), 10)
    body = push([off, unknown]).json()
    assert codes(body) == {off["id"]: "unknown_well", unknown["id"]: "unknown_well"}


def test_times_more_than_ten_minutes_ahead_are_rejected(push, route):
    ahead = datetime.now(timezone.utc) + timedelta(minutes=30)
    future = event("NOTES_ADDED", {"wellId": str(route.well.pk), "notes": "from the future",
                                   "recordedAt": ahead.isoformat()}, occurred=ahead)
    body = push([future]).json()
    [rejection] = body["rejected"]
    assert rejection["code"] == "invalid_payload"
    assert "occurredAt" in rejection["details"] and "payload.recordedAt" in rejection["details"]


def test_a_user_id_of_someone_else_is_user_mismatch(push, route):
    forged = production(route.well, 10, )
    forged["userId"] = str(route.manager.pk)
    mine = production(route.well, 11, product="GAS", unit="MCF")
    mine["userId"] = str(route.operator.pk)
    body = push([forged, mine]).json()
    assert codes(body) == {forged["id"]: "user_mismatch"}
    assert body["accepted"] == [mine["id"]]


def test_unknown_types_and_malformed_events_are_rejected_and_kept(push, route, tenant_a):
    unknown_type = event("WELL_EXPLODED", {"wellId": str(route.well.pk)})
    no_id = {"type": "NOTES_ADDED", "payload": {}}
    not_an_object = "hello"
    body = push([unknown_type, no_id, not_an_object]).json()
    rejected = body["rejected"]
    assert [r["code"] for r in rejected] == ["unknown_event_type", "invalid_event", "invalid_event"]
    with schema_context(tenant_a.tenant.schema_name):
        assert RejectedEvent.objects.filter(batch_id=body["batchId"]).count() == 2
        assert SyncEvent.objects.get(event_id=unknown_type["id"]).outcome == "REJECTED"


def test_the_same_batch_twice_is_all_duplicates(push, route, tenant_a):
    events = [production(route.well, 10), production(route.well, 3, product="WATER")]
    first = push(events).json()
    second = push(events).json()
    assert second["accepted"] == [] and sorted(second["duplicates"]) == sorted(first["accepted"])
    with schema_context(tenant_a.tenant.schema_name):
        assert SyncEvent.objects.filter(event_id__in=[e["id"] for e in events]).count() == 2


def test_the_same_event_in_two_batches_is_a_duplicate_in_the_second(push, route):
    shared = production(route.well, 10)
    push([shared])
    body = push([shared, production(route.well, 4, product="WATER")]).json()
    assert body["duplicates"] == [shared["id"]] and len(body["accepted"]) == 1


def test_an_id_reused_with_other_content_is_rejected(push, route, tenant_a):
    original = production(route.well, 10)
    push([original])
    reused = dict(original, payload=dict(original["payload"], volume=99))
    body = push([reused]).json()
    assert codes(body) == {original["id"]: "event_id_reused"}
    with schema_context(tenant_a.tenant.schema_name):
        assert RejectedEvent.objects.filter(code="event_id_reused").count() == 1
        assert SyncEvent.objects.get(event_id=original["id"]).payload["volume"] == 10


def test_a_rejected_event_sent_again_is_rejected_again_not_a_duplicate(push, route):
    bad = production(route.well, -1)
    push([bad])
    body = push([bad]).json()
    assert body["duplicates"] == [] and codes(body) == {bad["id"]: "invalid_payload"}


def test_more_than_5000_events_is_batch_too_large(push, route):
    response = push([production(route.well, 1)] * 5001)
    assert response.status_code == 413
    body = response.json()["error"]
    assert body["code"] == "batch_too_large" and body["details"]["maxEvents"] == ["5000"]


def test_more_than_8_mib_is_batch_too_large(client, tenant_a, operator_tokens, route):
    note = event("NOTES_ADDED", {"wellId": str(route.well.pk), "notes": "x" * 9000,
                                 "recordedAt": "2026-11-20T15:00:00Z"})
    body = json.dumps({"device": {"deviceId": "t", "platform": "cli"}, "events": [note] * 1000})
    assert len(body) > 8 * 1024 * 1024
    response = client.post("/api/v1/sync/batches", body, content_type="application/json",
                           **tenant_a.headers(token=operator_tokens["access"]))
    assert response.status_code == 413 and response.json()["error"]["code"] == "batch_too_large"


@pytest.mark.parametrize(
    "body",
    [{}, {"events": []}, {"device": {"deviceId": "x", "platform": "nokia"}, "events": [{}]},
     {"device": "tablet", "events": [{}]}, {"device": {"deviceId": "", "platform": "cli"}, "events": [{}]},
     {"device": {"deviceId": "x", "platform": "cli"}, "events": "many"}, []],
)
def test_a_bad_envelope_is_invalid_request(client, tenant_a, operator_tokens, body):
    response = client.post("/api/v1/sync/batches", body, content_type="application/json",
                           **tenant_a.headers(token=operator_tokens["access"]))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_batch_status_is_readable_by_its_sender_and_managers_only(client, push, route, tenant_a):
    from tests.factories import api_login, make_user

    body = push([production(route.well, 10)]).json()
    url = body["statusUrl"]
    operator = client.get(url, **tenant_a.headers(token=api_login(client, tenant_a)["access"]))
    assert operator.status_code == 200 and operator.json()["status"] == "QUEUED"
    manager = api_login(client, tenant_a, email=tenant_a.users["MANAGER"])
    assert client.get(url, **tenant_a.headers(token=manager["access"])).status_code == 200
    other = make_user(tenant_a, role="OPERATOR")
    other_tokens = api_login(client, tenant_a, email=other.email)
    assert client.get(url, **tenant_a.headers(token=other_tokens["access"])).status_code == 404


def test_the_content_hash_of_an_event_never_changes():
    """An event sent again after an upgrade must hash as it did when it was stored, or it would be
    taken for a reused id: the canonical text (keys sorted, no spaces, text as itself) and its
    SHA-256 are pinned here, computed by hand from that definition."""
    import hashlib

    from sync.services.intake import content_hash

    raw = {"type": "NOTES_ADDED", "id": "6f1c2a4e-8b7d-4c3e-9a1f-0d2e3c4b5a69", "occurredAt": "2026-11-26T14:03:00Z",
           "payload": {"wellId": "11111111-2222-4333-8444-555555555555", "notes": "Géant \u2014 ok", "n": [1, 2.5, None]}}
    canonical = ('{"id":"6f1c2a4e-8b7d-4c3e-9a1f-0d2e3c4b5a69","occurredAt":"2026-11-26T14:03:00Z",'
                 '"payload":{"n":[1,2.5,null],"notes":"Géant \u2014 ok","wellId":"11111111-2222-4333-8444-555555555555"},'
                 '"type":"NOTES_ADDED"}')
    assert content_hash(raw) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert content_hash(raw) == "4ca8e6644dc58592fbf25dcd9008d7347bbb75ac0790a5a27f9049aeb71f2d8c"
