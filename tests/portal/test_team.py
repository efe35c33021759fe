"""The tenant ADMIN's team page: users with role and state, create, change role, deactivate and
reactivate (audited, with the service's refusals shown next to the field), and operators' routes."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD
from tests.portal.conftest import make_well

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(portal_as):
    return portal_as("ADMIN")


def user(handle, in_tenant, email):
    from accounts.models import User

    with in_tenant(handle):
        return User.objects.filter(email=email).first()


def audit(handle, in_tenant, kind):
    """Audit rows of ``kind`` written by the tenant's ADMIN (the session's setup wrote others)."""
    from accounts.models import SecurityEvent

    with in_tenant(handle):
        return list(SecurityEvent.objects.filter(kind=kind, actor=handle.users["ADMIN"]))


def row(response, email: str) -> str:
    return re.search(rf'<tr data-email="{re.escape(email)}">.*?</tr>', response.content.decode(), re.S).group(0)


def test_the_team_page_lists_users_with_role_and_state(admin, tenant_a, in_tenant):
    from accounts.services import user_deactivate

    with in_tenant(tenant_a):
        from accounts.models import User

        user_deactivate(user=User.objects.get(email=tenant_a.users["MANAGER"]))
    response = admin.get("/team/")
    assert response.status_code == 200
    manager_row = row(response, tenant_a.users["MANAGER"])
    assert '<option value="MANAGER" selected>' in manager_row and "Deactivated" in manager_row
    assert "Reactivate" in manager_row
    operator_row = row(response, tenant_a.users["OPERATOR"])
    assert "Active" in operator_row and "0 wells" in operator_row
    assert "every well" in row(response, tenant_a.users["ADMIN"])


def test_an_admin_creates_a_user_and_it_is_audited(admin, tenant_a, in_tenant):
    response = admin.submit("/team/", {"email": "New.Pumper@permian.test", "name": "New Pumper",
                                       "role": "OPERATOR", "password": "Long-enough-password-1"})
    assert response.status_code == 302 and response["Location"] == "/team/"
    created = user(tenant_a, in_tenant, "new.pumper@permian.test")
    assert created.role == "OPERATOR" and created.name == "New Pumper" and created.is_active
    (event,) = audit(tenant_a, in_tenant, "USER_CREATED")
    assert event.actor == tenant_a.users["ADMIN"] and event.user_id == created.pk
    page = admin.get("/team/")
    assert b"new.pumper@permian.test can now log in as OPERATOR" in page.content
    assert "0 wells" in row(page, "new.pumper@permian.test")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [({"email": "weak@permian.test", "role": "OPERATOR", "password": "short"}, "password", "too short"),
     ({"email": "admin@permian.test", "role": "MANAGER", "password": "Long-enough-password-1"}, "email",
      "already exists"),
     ({"email": "not-an-email", "role": "MANAGER", "password": "Long-enough-password-1"}, "email", "valid email"),
     ({"email": "x@permian.test", "role": "OWNER", "password": "Long-enough-password-1"}, "role",
      "valid choice")],
)
def test_user_creation_errors_are_shown_next_to_their_field(admin, tenant_a, in_tenant, data, field, message):
    response = admin.submit("/team/", data)
    assert response.status_code == 400
    error = re.search(rf'data-field-error="{field}">(.*?)</div>', response.content.decode(), re.S)
    assert error and message in error.group(1), response.content.decode()[-3000:]
    assert f'value="{data["email"]}"'.encode() in response.content  # what was typed is kept
    assert b"Long-enough-password-1" not in response.content  # a password is never echoed
    assert not audit(tenant_a, in_tenant, "USER_CREATED")


def test_an_admin_changes_a_role_and_it_is_audited(admin, tenant_a, in_tenant):
    manager = user(tenant_a, in_tenant, tenant_a.users["MANAGER"])
    response = admin.submit(f"/team/{manager.pk}/role/", {"role": "OPERATOR"})
    assert response.status_code == 302
    assert user(tenant_a, in_tenant, manager.email).role == "OPERATOR"
    (event,) = audit(tenant_a, in_tenant, "ROLE_CHANGED")
    assert event.actor == tenant_a.users["ADMIN"] and event.detail == {"from": "MANAGER", "to": "OPERATOR"}


def test_the_last_admin_cannot_be_demoted_and_the_page_says_why(admin, tenant_a, in_tenant):
    me = user(tenant_a, in_tenant, tenant_a.users["ADMIN"])
    response = admin.submit(f"/team/{me.pk}/role/", {"role": "MANAGER"})
    assert response.status_code == 400
    admin_row = row(response, me.email)
    assert "data-row-error" in admin_row and "last active ADMIN" in admin_row
    assert user(tenant_a, in_tenant, me.email).role == "ADMIN"
    assert not audit(tenant_a, in_tenant, "ROLE_CHANGED")


def test_an_admin_who_demotes_themselves_lands_on_the_dashboard(admin, tenant_a, in_tenant):
    from accounts.services import user_create

    with in_tenant(tenant_a):
        user_create(email="second-admin@permian.test", password=PASSWORD, role="ADMIN")
    me = user(tenant_a, in_tenant, tenant_a.users["ADMIN"])
    response = admin.submit(f"/team/{me.pk}/role/", {"role": "MANAGER"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert admin.get("/team/").status_code == 403


def test_an_admin_deactivates_and_reactivates_a_user_and_both_are_audited(admin, tenant_a, in_tenant, portal_as):
    operator_session = portal_as("OPERATOR")
    operator = user(tenant_a, in_tenant, tenant_a.users["OPERATOR"])
    assert admin.submit(f"/team/{operator.pk}/deactivate/").status_code == 302
    assert not user(tenant_a, in_tenant, operator.email).is_active
    assert operator_session.get("/").status_code == 302  # their session ends at once
    assert admin.submit(f"/team/{operator.pk}/reactivate/").status_code == 302
    assert user(tenant_a, in_tenant, operator.email).is_active
    for kind in ("USER_DEACTIVATED", "USER_REACTIVATED"):
        (event,) = audit(tenant_a, in_tenant, kind)
        assert event.actor == tenant_a.users["ADMIN"] and event.user_id == operator.pk


def test_the_last_admin_cannot_be_deactivated(admin, tenant_a, in_tenant):
    me = user(tenant_a, in_tenant, tenant_a.users["ADMIN"])
    response = admin.submit(f"/team/{me.pk}/deactivate/")
    assert response.status_code == 400
    assert "last active ADMIN" in row(response, me.email)
    assert user(tenant_a, in_tenant, me.email).is_active


def test_team_actions_answer_404_for_an_unknown_user_and_405_for_a_get(admin):
    assert admin.submit("/team/00000000-0000-0000-0000-000000000000/role/", {"role": "ADMIN"}).status_code == 404
    assert admin.get("/team/00000000-0000-0000-0000-000000000000/route/").status_code == 404
    me_role = admin.get("/team/00000000-0000-0000-0000-000000000000/deactivate/")
    assert me_role.status_code == 405


# ----------------------------------------------------------------------------- routes


@pytest.fixture
def leases(tenant_a):
    return {
        "tarzan": [make_well(tenant_a, name=f"Tarzan {n}H", lease="Tarzan Unit") for n in range(1, 4)],
        "toyah": [make_well(tenant_a, name=f"Toyah {n}H", lease="Toyah Draw") for n in range(1, 3)],
    }


def route_of(handle, in_tenant, email) -> set[str]:
    from wells.models import WellAssignment

    with in_tenant(handle):
        return set(WellAssignment.objects.filter(user__email=email).values_list("well__name", flat=True))


def test_an_admin_puts_wells_on_a_route_by_api_number_or_lease(admin, portal_as, tenant_a, in_tenant, leases):
    operator = user(tenant_a, in_tenant, tenant_a.users["OPERATOR"])
    first, second = leases["tarzan"][:2]
    typed = f"{first.api_number[:2]}-{first.api_number[2:5]}-{first.api_number[5:10]}-00-00,\n{second.api_number}"
    response = admin.submit(f"/team/{operator.pk}/route/", {"api_numbers": typed})
    assert response.status_code == 302
    assert route_of(tenant_a, in_tenant, operator.email) == {"Tarzan 1H", "Tarzan 2H"}
    response = admin.submit(f"/team/{operator.pk}/route/", {"lease": "Toyah Draw"})
    assert response.status_code == 302
    assert route_of(tenant_a, in_tenant, operator.email) == {"Tarzan 1H", "Tarzan 2H", "Toyah 1H", "Toyah 2H"}
    page = admin.get(f"/team/{operator.pk}/route/")
    assert b"route now holds 4 wells" in page.content and b"Wells on the route (4)" in page.content
    # ... and the operator sees exactly those wells.
    names = re.findall(rb'<a href="/wells/[0-9a-f-]{36}/">([^<]+)</a>', portal_as("OPERATOR").get("/wells/").content)
    assert names == [b"Tarzan 1H", b"Tarzan 2H", b"Toyah 1H", b"Toyah 2H"]


def test_an_unknown_api_number_is_shown_next_to_the_field_and_nothing_is_assigned(admin, tenant_a, in_tenant, leases):
    operator = user(tenant_a, in_tenant, tenant_a.users["OPERATOR"])
    response = admin.submit(f"/team/{operator.pk}/route/",
                            {"api_numbers": f"{leases['tarzan'][0].api_number} 42-999-99999-00-00"})
    assert response.status_code == 400
    error = re.search(r'data-field-error="api_numbers">(.*?)</div>', response.content.decode(), re.S).group(1)
    assert "No well with API number 42999999990000" in error
    assert route_of(tenant_a, in_tenant, operator.email) == set()


def test_an_admin_takes_wells_off_a_route(admin, tenant_a, in_tenant, leases):
    from wells.services import wells_assign

    operator = user(tenant_a, in_tenant, tenant_a.users["OPERATOR"])
    with in_tenant(tenant_a):
        wells_assign(user=operator, well_ids=[w.pk for w in leases["tarzan"]])
    response = admin.submit(f"/team/{operator.pk}/route/remove/",
                            {"well": [str(leases["tarzan"][0].pk), str(leases["tarzan"][2].pk), "not-a-uuid"]})
    assert response.status_code == 302
    assert route_of(tenant_a, in_tenant, operator.email) == {"Tarzan 2H"}
    response = admin.submit(f"/team/{operator.pk}/route/remove/", {})
    assert response.status_code == 400 and b"Tick the wells" in response.content


def test_managers_and_admins_have_no_route(admin, tenant_a, in_tenant, leases):
    manager = user(tenant_a, in_tenant, tenant_a.users["MANAGER"])
    page = admin.get(f"/team/{manager.pk}/route/")
    assert b"only OPERATORs have routes" in page.content and b"<textarea" not in page.content
    response = admin.submit(f"/team/{manager.pk}/route/", {"lease": "Tarzan Unit"})
    assert response.status_code == 400
    assert route_of(tenant_a, in_tenant, manager.email) == set()


# --------------------------------------------------------------------------- last login, last sync


def _cell(row_html: str, name: str) -> str:
    return re.search(rf"<td data-{name}[^>]*>(.*?)</td>", row_html, re.S).group(1).strip()


def _local(handle, moment) -> str:
    import zoneinfo

    from django.utils import timezone

    local = timezone.localtime(moment, zoneinfo.ZoneInfo(handle.tenant.time_zone))
    return local.strftime("%Y-%m-%d %H:%M ") + local.tzname()


def test_the_team_page_shows_last_login_and_last_sync_in_the_tenant_s_zone(admin, client, tenant_a, in_tenant):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from sync.models import SyncBatch
    from tests.factories import api_login

    api_login(client, tenant_a, email=tenant_a.users["OPERATOR"])  # a device login counts
    with in_tenant(tenant_a):
        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        manager = User.objects.get(email=tenant_a.users["MANAGER"])
        assert operator.last_login is not None
        older, newer = timezone.now() - timedelta(days=3, hours=5), timezone.now() - timedelta(hours=2)
        for moment in (older, newer):
            batch = SyncBatch.objects.create(user=operator)
            SyncBatch.objects.filter(pk=batch.pk).update(received_at=moment)
    response = admin.get("/team/")
    operator_row = row(response, tenant_a.users["OPERATOR"])
    assert _cell(operator_row, "last-login") == _local(tenant_a, operator.last_login)
    assert _cell(operator_row, "last-sync") == _local(tenant_a, newer)
    manager_row = row(response, tenant_a.users["MANAGER"])
    assert "never" in _cell(manager_row, "last-sync") and manager.last_login is None
    assert "never" in _cell(manager_row, "last-login")
    # The ADMIN's own portal login counts too.
    with in_tenant(tenant_a):
        admin_user = User.objects.get(email=tenant_a.users["ADMIN"])
    assert _cell(row(response, tenant_a.users["ADMIN"]), "last-login") == _local(tenant_a, admin_user.last_login)


def test_the_team_page_costs_the_same_queries_for_more_users(admin, tenant_a, in_tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.services import user_create
    from sync.models import SyncBatch

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get("/team/").status_code == 200
        return len(queries)

    count()  # warm (session, permissions)
    before = count()
    with in_tenant(tenant_a):
        for number in range(4):
            crew = user_create(email=f"crew{number}@permian.test", password=PASSWORD, role="OPERATOR")
            SyncBatch.objects.create(user=crew)
    assert count() == before
