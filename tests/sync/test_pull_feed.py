"""GET /api/v1/sync/changes (API.md section 9): snapshot, cursor, scoping, tombstones, expiry."""

import pytest
from django_tenants.utils import schema_context

from sync.services.changes import changes_prune
from tests.factories import api_login
from tests.sync.conftest import new_api_number
from wells import services as well_services
from wells.models import Equipment, Well

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_operator(client, tenant_a):
    headers = tenant_a.headers(token=api_login(client, tenant_a)["access"])
    return lambda path: client.get(path, **headers)


@pytest.fixture
def as_manager(client, tenant_a):
    headers = tenant_a.headers(token=api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"])
    return lambda path: client.get(path, **headers)


def pull_all(get, cursor=None, limit=500):
    changes = []
    while True:
        url = f"/api/v1/sync/changes?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["hasMore"]:
            return changes, cursor


def ids(changes, entity, op="upsert"):
    return {c["id"] for c in changes if c["entity"] == entity and c["op"] == op}


def test_the_snapshot_holds_an_operators_route_only(as_operator, route):
    changes, _ = pull_all(as_operator)
    assert ids(changes, "well") == {str(route.well.pk)}
    assert ids(changes, "equipment") == {str(route.equipment.pk)}
    [well] = [c for c in changes if c["entity"] == "well"]
    assert well["version"] == 1 and well["data"]["apiNumber"] == route.well.api_number


def test_the_snapshot_holds_every_well_for_a_manager_and_pages(as_manager, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        for n in range(9):
            Well.objects.create(api_number=new_api_number(), name=f"Extra {n}")
        expected = {str(pk) for pk in Well.objects.values_list("pk", flat=True)}
    changes, _ = pull_all(as_manager, limit=8)  # two wells a page
    assert ids(changes, "well") == expected


def test_changes_after_the_snapshot_arrive_with_tombstones(as_operator, route, tenant_a):
    _, cursor = pull_all(as_operator)
    with schema_context(tenant_a.tenant.schema_name):
        well = Well.objects.get(pk=route.well.pk)
        well_services.well_update(well=well, data={"name": "Ector 12-1 (renamed)"})
        new_equipment = well_services.equipment_create(well=well, data={"type": "TANK", "name": "Tank 2"})
        well_services.equipment_delete(equipment=Equipment.objects.get(pk=route.equipment.pk))
        well_services.well_update(well=Well.objects.get(pk=route.off_route_well.pk), data={"name": "Not yours"})
    changes, cursor = pull_all(as_operator, cursor)
    [renamed] = [c for c in changes if c["entity"] == "well"]
    assert renamed["data"]["name"] == "Ector 12-1 (renamed)" and renamed["version"] == 2
    assert ids(changes, "equipment") == {str(new_equipment.pk)}
    assert ids(changes, "equipment", "delete") == {str(route.equipment.pk)}
    assert str(route.off_route_well.pk) not in {c["id"] for c in changes}  # not on the route
    again, _ = pull_all(as_operator, cursor)
    assert again == []


def test_unassignment_and_deletion_reach_the_operator_as_tombstones(as_operator, route, tenant_a):
    _, cursor = pull_all(as_operator)
    with schema_context(tenant_a.tenant.schema_name):
        well_services.wells_assign(user=route.operator, well_ids=[route.off_route_well.pk])
    changes, cursor = pull_all(as_operator, cursor)
    assert str(route.off_route_well.pk) in ids(changes, "well")  # newly on the route: sent whole
    with schema_context(tenant_a.tenant.schema_name):
        well_services.wells_unassign(user=route.operator, well_ids=[route.off_route_well.pk])
        well_services.well_delete(well=Well.objects.get(pk=route.well.pk))
    changes, _ = pull_all(as_operator, cursor)
    assert ids(changes, "well", "delete") == {str(route.off_route_well.pk), str(route.well.pk)}
    assert ids(changes, "assignment", "delete") == {str(route.off_route_well.pk)}


def test_a_cursor_older_than_the_retention_window_is_410(as_operator, route, tenant_a):
    _, cursor = pull_all(as_operator)
    with schema_context(tenant_a.tenant.schema_name):
        well_services.well_update(well=Well.objects.get(pk=route.well.pk), data={"lease": "Ector South"})
        well_services.well_update(well=Well.objects.get(pk=route.well.pk), data={"lease": "Ector West"})
        assert changes_prune(older_than_days=-1) >= 2
    response = as_operator(f"/api/v1/sync/changes?cursor={cursor}")
    assert response.status_code == 410 and response.json()["error"]["code"] == "cursor_expired"
    fresh, _ = pull_all(as_operator)  # re-snapshot works
    assert fresh[0]["data"]["lease"] == "Ector West"


@pytest.mark.parametrize("query", ["cursor=garbage", "limit=0", "limit=1001", "limit=ten"])
def test_bad_cursors_and_limits_are_invalid_request(as_operator, route, query):
    response = as_operator(f"/api/v1/sync/changes?{query}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_a_cursor_of_another_user_is_refused(as_operator, as_manager, route):
    _, cursor = pull_all(as_manager)
    assert as_operator(f"/api/v1/sync/changes?cursor={cursor}").status_code == 400
