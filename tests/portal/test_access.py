"""Who may open which portal page: the menu hides what a role may not use, and the server refuses
it too (403 for a logged-in user, the login page for an anonymous visitor)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from tests.portal.conftest import PortalClient, make_well

pytestmark = pytest.mark.django_db

PAGES = ["/", "/wells/", "/conflicts/", "/team/", "/settings/secrets/"]
EXPECTED = {
    "ADMIN": {"/": 200, "/wells/": 200, "/conflicts/": 200, "/team/": 200, "/settings/secrets/": 200},
    "MANAGER": {"/": 200, "/wells/": 200, "/conflicts/": 200, "/team/": 403, "/settings/secrets/": 403},
    "OPERATOR": {"/": 200, "/wells/": 200, "/conflicts/": 403, "/team/": 403, "/settings/secrets/": 403},
}


def menu(response) -> list[str]:
    nav = re.search(rb'<nav aria-label="Main">(.*?)</nav>', response.content, re.S).group(1).decode()
    return re.findall(r">([^<]+)</a>", nav)


@pytest.mark.parametrize("role", ["ADMIN", "MANAGER", "OPERATOR"])
def test_each_page_answers_each_role_as_its_permissions_say(portal_as, role):
    client = portal_as(role)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == EXPECTED[role][path], (role, path)
        if response.status_code == 403:
            assert b"Not allowed" in response.content
            assert "Dashboard" in menu(response)  # the 403 page keeps the portal around it


@pytest.mark.parametrize(
    ("role", "expected"),
    [("ADMIN", ["Dashboard", "Wells", "Leases", "Alerts", "Conflicts", "Team", "Tenant secrets"]),
     ("MANAGER", ["Dashboard", "Wells", "Leases", "Alerts", "Conflicts"]),
     ("OPERATOR", ["Dashboard", "Wells", "Leases", "Alerts"])],
)
def test_the_menu_shows_a_role_only_its_pages(portal_as, role, expected):
    assert menu(portal_as(role).get("/")) == expected


def test_the_menu_and_the_me_api_list_the_same_pages(portal_as, tenant_a, in_tenant):
    from accounts.models import User
    from accounts.selectors import navigation_for

    response = portal_as("ADMIN").get("/")
    with in_tenant(tenant_a):
        expected = [item["name"] for item in navigation_for(user=User.objects.get(email=tenant_a.users["ADMIN"]))]
    assert menu(response) == expected


@pytest.mark.parametrize("path", PAGES + ["/wells/00000000-0000-0000-0000-000000000000/",
                                          "/settings/secrets/new/", "/team/00000000-0000-0000-0000-000000000000/route/"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(tenant_a, path):
    response = Client().get(path, HTTP_HOST=tenant_a.host)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_an_anonymous_post_is_sent_to_the_login_page_and_changes_nothing(tenant_a):
    client = PortalClient(tenant_a)
    response = client.submit("/settings/secrets/rotate/", {"grace_hours": "0"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert tenant_a.tenant.secrets.filter(replaced_by__isnull=False).count() == 0


@pytest.mark.parametrize("role", ["MANAGER", "OPERATOR"])
def test_admin_actions_are_refused_to_other_roles(portal_as, tenant_a, in_tenant, role):
    from accounts.models import User

    client = portal_as(role)
    with in_tenant(tenant_a):
        admin = User.objects.get(email=tenant_a.users["ADMIN"])
    for path, data in (
        ("/team/", {"email": "new@x.test", "role": "ADMIN", "password": "Long-enough-password-1"}),
        (f"/team/{admin.pk}/role/", {"role": "OPERATOR"}),
        (f"/team/{admin.pk}/deactivate/", {}),
        (f"/team/{admin.pk}/route/", {"api_numbers": "42317401010000"}),
        ("/settings/secrets/issue/", {"label": "mine"}),
        ("/settings/secrets/rotate/", {"grace_hours": "0"}),
    ):
        assert client.submit(path, data).status_code == 403, path
    with in_tenant(tenant_a):
        assert not User.objects.filter(email="new@x.test").exists()
        assert User.objects.get(pk=admin.pk).role == "ADMIN" and User.objects.get(pk=admin.pk).is_active
    assert not tenant_a.tenant.secrets.filter(label="mine").exists()


def test_a_post_without_the_csrf_token_is_refused(portal_as, tenant_a, in_tenant):
    from accounts.models import User

    client = portal_as("ADMIN")
    response = client.post("/team/", {"email": "no-token@x.test", "role": "OPERATOR",
                                      "password": "Long-enough-password-1"})
    assert response.status_code == 403
    assert b"security token" in response.content
    response = client.post("/settings/secrets/rotate/", {"grace_hours": "0"})
    assert response.status_code == 403
    with in_tenant(tenant_a):
        assert not User.objects.filter(email="no-token@x.test").exists()
    assert not tenant_a.tenant.secrets.filter(replaced_by__isnull=False).exists()


def test_every_portal_form_carries_a_csrf_token(portal_as, tenant_a, in_tenant):
    client = portal_as("ADMIN")
    with in_tenant(tenant_a):
        from accounts.models import User

        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
    for path in ("/", "/wells/", "/team/", f"/team/{operator.pk}/route/", "/settings/secrets/"):
        html = client.get(path).content.decode()
        posts = re.findall(r'<form method="post".*?</form>', html, re.S)
        assert posts, path
        assert all("csrfmiddlewaretoken" in form for form in posts), path


def test_a_well_of_another_tenant_is_not_found(portal_as, tenant_b):
    well = make_well(tenant_b, name="Bakken Only 1H")
    client = portal_as("ADMIN")
    assert client.get(f"/wells/{well.pk}/").status_code == 404
    assert client.get(f"/wells/{uuid.uuid4()}/").status_code == 404
