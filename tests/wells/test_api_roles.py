"""Who may do what on the wells API (API.md section 4): the role table, endpoint by endpoint.

Rules: reads of things you may not see are 404 (an OPERATOR's off-route well and everything under
it); writes you may not make on things you can see are 403; writes to collections your role may not
write are 403; a method an endpoint does not have is 405; no credentials at all is 401."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from tests.wells.helpers import assert_error, make_equipment, make_well, next_api_number, tenant_user
from wells.models import Equipment, Well
from wells.services import wells_assign

pytestmark = pytest.mark.django_db

ADMIN, MANAGER, ON_ROUTE, OFF_ROUTE = "ADMIN", "MANAGER", "OPERATOR with the well on route", "OPERATOR off route"
ACTORS = (ADMIN, MANAGER, ON_ROUTE, OFF_ROUTE)
NESTED = ("equipment", "production", "readings", "inspections", "repairs", "notes", "photos")


def _new_well(scene):
    return {"apiNumber": next_api_number(), "name": "Fresh 1H"}


def _new_equipment(scene):
    return {"wellId": str(scene["well"].pk), "type": "TANK", "name": "Oil tank 2"}


# (method, path, body, expected status for ADMIN, MANAGER, OPERATOR on route, OPERATOR off route)
ROLE_TABLE = [
    ("GET", "/api/v1/wells/", None, (200, 200, 200, 200)),
    ("POST", "/api/v1/wells/", _new_well, (201, 201, 403, 403)),
    ("GET", "/api/v1/wells/{well}/", None, (200, 200, 200, 404)),
    ("PATCH", "/api/v1/wells/{well}/", lambda scene: {"name": "Renamed 2H"}, (200, 200, 403, 404)),
    ("DELETE", "/api/v1/wells/{well}/", None, (204, 403, 403, 404)),
    ("PUT", "/api/v1/wells/{well}/", lambda scene: {"name": "Whole"}, (405, 405, 405, 405)),
    *[("GET", f"/api/v1/wells/{{well}}/{what}/", None, (200, 200, 200, 404)) for what in NESTED],
    ("POST", "/api/v1/wells/{well}/notes/", lambda scene: {"notes": "x"}, (405, 405, 405, 405)),
    ("GET", "/api/v1/equipment/", None, (405, 405, 405, 405)),
    ("POST", "/api/v1/equipment/", _new_equipment, (201, 201, 403, 403)),
    ("GET", "/api/v1/equipment/{equipment}/", None, (200, 200, 200, 404)),
    ("PATCH", "/api/v1/equipment/{equipment}/", lambda scene: {"status": "OUT_OF_SERVICE"}, (200, 200, 403, 404)),
    ("DELETE", "/api/v1/equipment/{equipment}/", None, (204, 204, 403, 404)),
]
CASES = [
    pytest.param(actor, method, path, body, expected[n], id=f"{actor}-{method} {path}-{expected[n]}")
    for method, path, body, expected in ROLE_TABLE
    for n, actor in enumerate(ACTORS)
]
ERROR_CODES = {403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}


@pytest.fixture
def scene(tenant_a):
    """Two wells with a pump jack each; tenant_a's OPERATOR has only the first on their route."""
    on_route = make_well(tenant_a, name="Route 1H")
    off_route = make_well(tenant_a, name="Elsewhere 1H")
    equipment = {on_route.pk: make_equipment(tenant_a, on_route), off_route.pk: make_equipment(tenant_a, off_route)}
    with schema_context(tenant_a.tenant.schema_name):
        wells_assign(user=tenant_user(tenant_a, "OPERATOR"), well_ids=[on_route.pk])
    return {"on_route": on_route, "off_route": off_route, "equipment": equipment}


def _target(scene, actor):
    # MANAGERs and ADMINs are shown the off-route well: they see every well, route or not.
    well = scene["on_route"] if actor == ON_ROUTE else scene["off_route"]
    return {"well": well, "equipment": scene["equipment"][well.pk]}


def _state(tenant, target):
    with schema_context(tenant.tenant.schema_name):
        well = Well.objects.get(pk=target["well"].pk)
        equipment = Equipment.objects.get(pk=target["equipment"].pk)
    return (well.version, well.deleted_at, equipment.version, equipment.deleted_at)


@pytest.mark.parametrize(("actor", "method", "path", "body", "expected"), CASES)
def test_each_role_gets_the_status_of_the_role_table(api, tenant_a, scene, actor, method, path, body, expected):
    target = _target(scene, actor)
    role = "OPERATOR" if actor in (ON_ROUTE, OFF_ROUTE) else actor
    url = path.format(well=target["well"].pk, equipment=target["equipment"].pk)
    before = _state(tenant_a, target)

    client = api(tenant_a, role)
    payload = body(target) if body else None
    response = getattr(client, method.lower())(url, payload) if payload is not None else \
        getattr(client, method.lower())(url)

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert_error(response, expected, ERROR_CODES[expected])
        assert _state(tenant_a, target) == before, "a refused request changed nothing"


def test_an_operator_is_told_nothing_about_an_off_route_well_that_a_missing_one_would_not_tell(api, tenant_a, scene):
    operator = api(tenant_a, "OPERATOR")
    off_route = operator.patch(f"/api/v1/wells/{scene['off_route'].pk}/", {"name": "x"})
    missing = operator.patch(f"/api/v1/wells/{uuid.uuid4()}/", {"name": "x"})
    assert off_route.status_code == missing.status_code == 404
    assert off_route.json() == missing.json()


def test_the_permission_denied_message_names_the_role_and_the_missing_permission(api, tenant_a, scene):
    response = api(tenant_a, "MANAGER").delete(f"/api/v1/wells/{scene['off_route'].pk}/")
    assert_error(response, 403, "permission_denied")
    assert "MANAGER" in response.json()["error"]["message"]
    assert "wells.delete_well" in response.json()["error"]["message"]


ALL_ENDPOINTS = [(method, path) for method, path, _, _ in ROLE_TABLE]


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS, ids=[f"{m} {p}" for m, p in ALL_ENDPOINTS])
def test_every_endpoint_refuses_a_request_without_a_user_token(client, tenant_a, scene, method, path):
    url = path.format(well=scene["on_route"].pk, equipment=scene["equipment"][scene["on_route"].pk].pk)
    response = getattr(client, method.lower())(url, content_type="application/json", **tenant_a.headers())
    assert_error(response, 401, "invalid_credentials")


def test_a_token_of_another_tenant_is_refused(api, tenant_a, tenant_b, scene, client):
    from django.utils import timezone

    from accounts.tokens import access_token_issue

    token = access_token_issue(user=tenant_user(tenant_a, "ADMIN"), tenant_public_id=tenant_a.public_id,
                               now=timezone.now())
    response = client.get("/api/v1/wells/", **tenant_b.headers(token=token))
    assert_error(response, 401, "invalid_credentials")


def test_a_well_of_another_tenant_is_not_found_even_for_an_admin(api, tenant_a, tenant_b):
    elsewhere = make_well(tenant_b, name="Bakken 1H")
    equipment = make_equipment(tenant_b, elsewhere)
    admin = api(tenant_a, "ADMIN")
    assert_error(admin.get(f"/api/v1/wells/{elsewhere.pk}/"), 404, "not_found")
    assert_error(admin.get(f"/api/v1/wells/{elsewhere.pk}/production/"), 404, "not_found")
    assert_error(admin.get(f"/api/v1/equipment/{equipment.pk}/"), 404, "not_found")
    assert_error(admin.delete(f"/api/v1/wells/{elsewhere.pk}/"), 404, "not_found")
    assert admin.get("/api/v1/wells/").json()["count"] == 0


def test_an_admin_deleting_a_well_hides_it_from_every_role(api, tenant_a, scene):
    well = scene["on_route"]
    assert api(tenant_a, "ADMIN").delete(f"/api/v1/wells/{well.pk}/").status_code == 204
    for role in ("ADMIN", "MANAGER", "OPERATOR"):
        assert_error(api(tenant_a, role).get(f"/api/v1/wells/{well.pk}/"), 404, "not_found")
        assert_error(api(tenant_a, role).get(f"/api/v1/wells/{well.pk}/equipment/"), 404, "not_found")
        listed = api(tenant_a, role).get("/api/v1/wells/").json()["results"]
        assert str(well.pk) not in {row["id"] for row in listed}
    assert_error(api(tenant_a, "ADMIN").delete(f"/api/v1/wells/{well.pk}/"), 404, "not_found")
    # Soft delete: the row and its equipment stay for the record.
    with schema_context(tenant_a.tenant.schema_name):
        assert Well.objects.get(pk=well.pk).deleted_at is not None
        assert Equipment.objects.filter(well=well).exists()


def test_a_manager_deleting_equipment_hides_it_but_keeps_the_row(api, tenant_a, scene):
    equipment = scene["equipment"][scene["off_route"].pk]
    manager = api(tenant_a, "MANAGER")
    assert manager.delete(f"/api/v1/equipment/{equipment.pk}/").status_code == 204
    assert_error(manager.get(f"/api/v1/equipment/{equipment.pk}/"), 404, "not_found")
    assert manager.get(f"/api/v1/wells/{scene['off_route'].pk}/equipment/").json()["count"] == 0
    with schema_context(tenant_a.tenant.schema_name):
        assert Equipment.objects.get(pk=equipment.pk).deleted_at is not None


def test_a_manager_cannot_add_equipment_to_a_deleted_well(api, tenant_a, scene):
    well = scene["off_route"]
    api(tenant_a, "ADMIN").delete(f"/api/v1/wells/{well.pk}/")
    response = api(tenant_a, "MANAGER").post("/api/v1/equipment/",
                                             {"wellId": str(well.pk), "type": "TANK", "name": "Tank"})
    assert response.status_code == 400
    assert "wellId" in response.json()["error"]["details"]
