"""Conflicts API (API.md section 8): list, resolve with each action, 409 on a second resolution,
OPERATOR refused, every resolution audited."""

import pytest
from django_tenants.utils import schema_context

from accounts.models import SecurityEvent
from sync.models import Conflict
from tests.factories import api_login
from tests.sync.conftest import event, later, production
from tests.sync.test_rules import inspection, note
from wells.models import EquipmentInspection, FieldNote, ProductionRecord, Well

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_headers(client, tenant_a):
    tokens = api_login(client, tenant_a, email=tenant_a.users["MANAGER"])
    return tenant_a.headers(token=tokens["access"])


@pytest.fixture
def inspection_conflict(push_and_process, route, tenant_a):
    push_and_process([inspection(route, "PASS")])
    second = inspection(route, "FAIL", occurred=later(5))
    push_and_process([second])
    with schema_context(tenant_a.tenant.schema_name):
        return Conflict.objects.get(event__event_id=second["id"])


def resolve(client, headers, conflict, action, note_text="checked on site"):
    return client.post(f"/api/v1/conflicts/{conflict.pk}/resolve", {"action": action, "note": note_text},
                       content_type="application/json", **headers)


def test_pending_conflicts_are_listed_with_both_sides(client, manager_headers, inspection_conflict):
    response = client.get("/api/v1/conflicts/?status=PENDING_REVIEW", **manager_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item["id"] == str(inspection_conflict.pk)
    assert item["eventType"] == "EQUIPMENT_INSPECTED" and item["strategy"] == "MANUAL_REVIEW"
    assert item["origin"] == "sync"
    assert item["status"] == "PENDING_REVIEW" and item["resolution"] is None
    assert item["localData"]["status"] == "FAIL" and item["serverData"]["status"] == "PASS"


def test_use_local_makes_the_field_value_current_and_keeps_the_other(client, manager_headers, inspection_conflict,
                                                                    route, tenant_a):
    response = resolve(client, manager_headers, inspection_conflict, "USE_LOCAL")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "RESOLVED"
    assert body["resolution"]["action"] == "USE_LOCAL" and body["resolution"]["note"] == "checked on site"
    assert body["resolution"]["resolvedBy"] == str(route.manager.pk)
    with schema_context(tenant_a.tenant.schema_name):
        [current] = EquipmentInspection.objects.filter(well=route.well, superseded_by__isnull=True)
        assert current.status == "FAIL"
        assert EquipmentInspection.objects.get(status="PASS").superseded_by_id == current.pk
        assert SecurityEvent.objects.filter(kind="CONFLICT_RESOLVED", detail__action="USE_LOCAL").exists()


def test_use_server_keeps_the_server_value(client, manager_headers, inspection_conflict, route, tenant_a):
    assert resolve(client, manager_headers, inspection_conflict, "USE_SERVER").status_code == 200
    with schema_context(tenant_a.tenant.schema_name):
        assert list(EquipmentInspection.objects.values_list("status", flat=True)) == ["PASS"]
        assert Conflict.objects.get(pk=inspection_conflict.pk).local_data["status"] == "FAIL"  # still retained


def test_keep_both_makes_both_current(client, manager_headers, inspection_conflict, route, tenant_a):
    assert resolve(client, manager_headers, inspection_conflict, "KEEP_BOTH").status_code == 200
    with schema_context(tenant_a.tenant.schema_name):
        statuses = EquipmentInspection.objects.filter(superseded_by__isnull=True).values_list("status", flat=True)
        assert sorted(statuses) == ["FAIL", "PASS"]


def test_ignore_changes_nothing_and_marks_the_conflict_ignored(client, manager_headers, inspection_conflict, tenant_a):
    body = resolve(client, manager_headers, inspection_conflict, "IGNORE").json()
    assert body["status"] == "IGNORED"
    with schema_context(tenant_a.tenant.schema_name):
        assert EquipmentInspection.objects.count() == 1


def test_resolving_twice_is_409(client, manager_headers, inspection_conflict):
    assert resolve(client, manager_headers, inspection_conflict, "USE_SERVER").status_code == 200
    response = resolve(client, manager_headers, inspection_conflict, "USE_LOCAL")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_merge_is_only_for_notes(client, manager_headers, inspection_conflict):
    response = resolve(client, manager_headers, inspection_conflict, "MERGE")
    assert response.status_code == 400 and "action" in response.json()["error"]["details"]


def test_operators_are_refused(client, tenant_a, inspection_conflict):
    headers = tenant_a.headers(token=api_login(client, tenant_a)["access"])
    assert client.get("/api/v1/conflicts/", **headers).status_code == 403
    assert resolve(client, headers, inspection_conflict, "USE_LOCAL").status_code == 403


def test_an_auto_resolved_production_conflict_can_be_reversed(client, manager_headers, push_and_process, route,
                                                              tenant_a):
    low = production(route.well, 100)
    high = production(route.well, 150, occurred=later(4))
    push_and_process([low])
    push_and_process([high])
    with schema_context(tenant_a.tenant.schema_name):
        conflict = Conflict.objects.get(event__event_id=high["id"])
    assert conflict.status == "AUTO_RESOLVED"
    assert resolve(client, manager_headers, conflict, "USE_SERVER").status_code == 200
    with schema_context(tenant_a.tenant.schema_name):
        [current] = ProductionRecord.objects.filter(well=route.well, superseded_by__isnull=True)
        assert str(current.source_event_id) == low["id"]


def test_a_notes_conflict_under_manual_review_can_be_merged(client, manager_headers, push_and_process, route, tenant_a):
    from sync.models import ConflictPolicy

    with schema_context(tenant_a.tenant.schema_name):
        ConflictPolicy.objects.create(event_type="NOTES_ADDED", strategy="MANUAL_REVIEW")
    push_and_process([note(route, "first", at="2026-11-20T15:00:00Z")])
    second = note(route, "second", at="2026-11-20T16:00:00Z", occurred=later(60))
    push_and_process([second])
    with schema_context(tenant_a.tenant.schema_name):
        conflict = Conflict.objects.get(event__event_id=second["id"])
    assert resolve(client, manager_headers, conflict, "MERGE").status_code == 200
    with schema_context(tenant_a.tenant.schema_name):
        [merged] = FieldNote.objects.filter(well=route.well, superseded_by__isnull=True)
        assert merged.is_merged and merged.notes.index("first") < merged.notes.index("second")


def test_a_status_conflict_resolved_with_use_local_changes_the_well(client, manager_headers, push_and_process, route,
                                                                   tenant_a):
    from wells.services import well_update

    with schema_context(tenant_a.tenant.schema_name):
        well_update(well=Well.objects.get(pk=route.well.pk), data={"lease": "Ector North"})
    change = event("WELL_STATUS_CHANGED", {"wellId": str(route.well.pk), "status": "SHUT_IN",
                                           "changedAt": "2026-11-20T15:00:00Z", "baseVersion": 1})
    push_and_process([change])
    with schema_context(tenant_a.tenant.schema_name):
        conflict = Conflict.objects.get(event__event_id=change["id"])
    assert resolve(client, manager_headers, conflict, "USE_LOCAL").status_code == 200
    with schema_context(tenant_a.tenant.schema_name):
        well = Well.objects.get(pk=route.well.pk)
    assert well.status == "SHUT_IN" and well.version == 3


@pytest.mark.parametrize("body", [{}, {"action": "DELETE"}, {"action": "USE_LOCAL", "note": "x" * 3000}, []])
def test_bad_resolution_bodies_are_invalid_request(client, manager_headers, inspection_conflict, body):
    response = client.post(f"/api/v1/conflicts/{inspection_conflict.pk}/resolve", body,
                           content_type="application/json", **manager_headers)
    assert response.status_code == 400


def test_an_unknown_conflict_is_404(client, manager_headers):
    import uuid

    response = client.post(f"/api/v1/conflicts/{uuid.uuid4()}/resolve", {"action": "IGNORE"},
                           content_type="application/json", **manager_headers)
    assert response.status_code == 404


def test_a_bad_status_and_a_bad_page_size_are_reported_together(client, manager_headers):
    response = client.get("/api/v1/conflicts/?status=OPEN&page_size=500", **manager_headers)
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"status", "page_size"}


def test_an_empty_status_is_not_a_status(client, manager_headers):
    response = client.get("/api/v1/conflicts/?status=", **manager_headers)
    assert response.status_code == 400 and "status" in response.json()["error"]["details"]


def test_a_note_sent_as_a_number_is_refused(client, manager_headers, inspection_conflict):
    response = client.post(f"/api/v1/conflicts/{inspection_conflict.pk}/resolve", {"action": "IGNORE", "note": 7},
                           content_type="application/json", **manager_headers)
    assert response.status_code == 400 and "note" in response.json()["error"]["details"]
