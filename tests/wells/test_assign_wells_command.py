"""python manage.py assign_wells (API.md section 10), run as a real process: --json on stdout,
clear errors on stderr with a non-zero exit. The command's process sees only committed rows, so
this module commits its own tenant and wells (tests never share the session tenants' rows)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from tests.factories import make_tenant
from tests.wells.helpers import next_api_number
from wells.models import Well, WellAssignment

pytestmark = [pytest.mark.django_db, pytest.mark.live]


_made: dict = {}


@pytest.fixture(scope="module")
def routes(django_db_setup, django_db_blocker):
    """A committed tenant with four wells (one deleted). Made once even when pytest splits this
    module's tests by isolation level (the test with tenant_b runs once per level)."""
    if _made:
        return _made
    with django_db_blocker.unblock():
        handle = make_tenant(name="Route Runners", slug="routes")
        with schema_context(handle.tenant.schema_name):
            wells = [Well.objects.create(api_number=next_api_number(), name=f"Route {n}") for n in range(3)]
            deleted = Well.objects.create(api_number=next_api_number(), name="Gone", deleted_at=timezone.now())
            operator = User.objects.get(email=handle.users["OPERATOR"])
    _made.update(handle=handle, wells=[str(w.pk) for w in wells], deleted=str(deleted.pk),
                 operator=str(operator.pk))
    return _made


def run(live_env, routes, *args, tenant: str | None = None, user: str | None = None, check: bool = True):
    handle = routes["handle"]
    return live_env.manage("assign_wells", "--tenant", tenant or handle.public_id,
                           "--user", user or handle.users["OPERATOR"], *args, check=check)


def route_of(routes) -> set[str]:
    handle = routes["handle"]
    with schema_context(handle.tenant.schema_name):
        return {str(pk) for pk in WellAssignment.objects.filter(user_id=routes["operator"])
                .values_list("well_id", flat=True)}


def assert_fails(result, message: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr, result.stderr


def test_assign_wells_prints_the_user_and_the_route_size(live_env, routes):
    wells = routes["wells"]
    result = run(live_env, routes, "--wells", ",".join(wells[:2]), "--replace", "--json")
    assert json.loads(result.stdout) == {"userId": routes["operator"], "assigned": 2}
    assert route_of(routes) == set(wells[:2])


def test_assign_wells_adds_to_the_route_unless_told_to_replace_it(live_env, routes):
    first, second, third = routes["wells"]
    run(live_env, routes, "--wells", first, "--replace", "--json")
    added = json.loads(run(live_env, routes, "--wells", f"{second}, {third},{second}", "--json").stdout)
    assert added["assigned"] == 3
    replaced = json.loads(run(live_env, routes, "--wells", third, "--replace", "--json").stdout)
    assert replaced["assigned"] == 1
    assert route_of(routes) == {third}


def test_assigning_a_well_already_on_the_route_changes_nothing(live_env, routes):
    first = routes["wells"][0]
    run(live_env, routes, "--wells", first, "--replace", "--json")
    assert json.loads(run(live_env, routes, "--wells", first, "--json").stdout)["assigned"] == 1


def test_replace_with_no_wells_clears_the_route(live_env, routes):
    run(live_env, routes, "--wells", routes["wells"][0], "--json")
    assert json.loads(run(live_env, routes, "--wells", "", "--replace", "--json").stdout)["assigned"] == 0
    assert route_of(routes) == set()


def test_the_tenant_may_be_named_by_slug_and_the_user_in_any_case(live_env, routes):
    result = run(live_env, routes, "--wells", routes["wells"][1], "--replace", "--json", tenant="routes",
                 user=routes["handle"].users["OPERATOR"].upper())
    assert json.loads(result.stdout) == {"userId": routes["operator"], "assigned": 1}


def test_without_json_the_command_says_what_it_did(live_env, routes):
    result = run(live_env, routes, "--wells", routes["wells"][0], "--replace")
    assert "1 well(s) on their route" in result.stdout


def test_the_assigned_wells_are_what_the_operator_then_lists(live_env, routes, client):
    from tests.factories import api_login

    run(live_env, routes, "--wells", ",".join(routes["wells"][1:]), "--replace", "--json")
    token = api_login(client, routes["handle"])["access"]
    body = client.get("/api/v1/wells/", **routes["handle"].headers(token=token)).json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == set(routes["wells"][1:])


def test_an_unknown_tenant_is_a_clear_error(live_env, routes):
    assert_fails(run(live_env, routes, "--wells", routes["wells"][0], "--json", tenant="ghost", check=False),
                 "No tenant with ID or slug 'ghost'")


def test_an_unknown_user_is_a_clear_error(live_env, routes):
    assert_fails(run(live_env, routes, "--wells", routes["wells"][0], "--json", user="nobody@routes.test",
                     check=False), "No user with email 'nobody@routes.test'")


@pytest.mark.parametrize("role", ["MANAGER", "ADMIN"])
def test_only_operators_have_routes(live_env, routes, role):
    result = run(live_env, routes, "--wells", routes["wells"][0], "--json", user=routes["handle"].users[role],
                 check=False)
    assert_fails(result, "only OPERATORs have routes")


def test_unknown_deleted_or_malformed_well_ids_are_named_and_nothing_is_assigned(live_env, routes):
    run(live_env, routes, "--wells", routes["wells"][0], "--replace", "--json")
    unknown = str(uuid.uuid4())
    result = run(live_env, routes, "--wells", f"{routes['wells'][1]},{unknown},{routes['deleted']},not-a-well",
                 "--json", check=False)
    assert_fails(result, "No such well")
    for name in (unknown, routes["deleted"], "not-a-well"):
        assert name in result.stderr
    assert route_of(routes) == {routes["wells"][0]}


def test_a_well_of_another_tenant_is_unknown_here(live_env, routes, tenant_a):
    result = run(live_env, routes, "--wells", routes["wells"][0], "--json", tenant=tenant_a.public_id,
                 user=tenant_a.users["OPERATOR"], check=False)
    assert_fails(result, "No such well")


def test_no_wells_without_replace_is_refused(live_env, routes):
    assert_fails(run(live_env, routes, "--wells", " , ", "--json", check=False), "at least one well")


def test_missing_arguments_are_reported(live_env):
    result = live_env.manage("assign_wells", "--tenant", "routes", "--json", check=False)
    assert result.returncode != 0 and "--user" in result.stderr and "--wells" in result.stderr
