"""Browser sessions: login on the tenant's sub-domain with CSRF, never valid on another tenant's."""

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import SecurityEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def portal_login(client: Client, handle, email: str, password: str = PASSWORD):
    page = client.get("/login/", HTTP_HOST=handle.host)
    assert page.status_code == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    return client.post("/login/", {"email": email, "password": password, "csrfmiddlewaretoken": token},
                       HTTP_HOST=handle.host)


def test_the_portal_asks_for_a_login_first(tenant_a):
    client = Client()
    response = client.get("/", HTTP_HOST=tenant_a.host)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_logs_in_on_their_tenant_subdomain(tenant_a):
    client = Client(enforce_csrf_checks=True)
    response = portal_login(client, tenant_a, tenant_a.users["MANAGER"])
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/", HTTP_HOST=tenant_a.host)
    assert home.status_code == 200
    assert tenant_a.tenant.name.encode() in home.content
    assert b"MANAGER" in home.content
    with schema_context(tenant_a.tenant.schema_name):
        row = SecurityEvent.objects.get(kind="LOGIN_SUCCEEDED")
    assert row.detail == {"channel": "portal"}


def test_login_without_the_csrf_token_is_refused(tenant_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"email": tenant_a.users["MANAGER"], "password": PASSWORD},
                           HTTP_HOST=tenant_a.host)
    assert response.status_code == 403


def test_a_wrong_password_shows_an_error_and_is_audited(tenant_a):
    client = Client(enforce_csrf_checks=True)
    response = portal_login(client, tenant_a, tenant_a.users["MANAGER"], password="wrong-password")
    assert response.status_code == 401
    assert b"do not match" in response.content
    with schema_context(tenant_a.tenant.schema_name):
        assert SecurityEvent.objects.filter(kind="LOGIN_FAILED", detail__channel="portal").exists()


def test_a_session_of_tenant_a_is_not_valid_on_tenant_b(tenant_a, tenant_b):
    client = Client(enforce_csrf_checks=True)
    portal_login(client, tenant_a, tenant_a.users["ADMIN"])
    assert client.get("/", HTTP_HOST=tenant_a.host).status_code == 200
    # Browsers keep the cookie host-only; here it is copied by hand to tenant B's sub-domain.
    intruder = Client()
    intruder.cookies["sessionid"] = client.cookies["sessionid"].value
    response = intruder.get("/", HTTP_HOST=tenant_b.host)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    # Tenant A's session is untouched by the attempt.
    assert client.get("/", HTTP_HOST=tenant_a.host).status_code == 200


def test_a_session_cannot_be_used_for_the_api(tenant_a):
    client = Client()
    portal_login(client, tenant_a, tenant_a.users["ADMIN"])
    response = client.get("/api/v1/me", HTTP_HOST=tenant_a.host)
    assert response.status_code == 401


def test_logout_ends_the_session(tenant_a):
    client = Client()
    portal_login(client, tenant_a, tenant_a.users["OPERATOR"])
    assert client.post("/logout/", HTTP_HOST=tenant_a.host).status_code == 302
    assert client.get("/", HTTP_HOST=tenant_a.host).status_code == 302


def test_a_staff_user_of_the_public_schema_cannot_use_a_tenant_portal(tenant_a):
    from accounts.models import User

    User.objects.create_superuser("root@pumpjack.test", PASSWORD)
    client = Client()
    response = portal_login(client, tenant_a, "root@pumpjack.test")
    assert response.status_code == 401


def test_a_session_recorded_for_another_tenant_is_ended(tenant_a, tenant_b):
    from django.contrib.sessions.backends.db import SessionStore

    client = Client()
    portal_login(client, tenant_a, tenant_a.users["ADMIN"])
    key = client.cookies["sessionid"].value
    with schema_context(tenant_a.tenant.schema_name):
        session = SessionStore(session_key=key)
        assert session["tid"] == tenant_a.public_id
        session["tid"] = tenant_b.public_id
        session.save()
    assert client.get("/", HTTP_HOST=tenant_a.host).status_code == 302
