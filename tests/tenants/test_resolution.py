"""Tenant resolution per API.md section 2: header, sub-domain, both, mismatch, unknown,
suspended, reserved names, malformed and hostile values."""

import pytest
from django_tenants.utils import schema_context

from accounts.models import SecurityEvent
from tenants.directory import directory
from tenants.operations.provisioning import tenant_reactivate, tenant_suspend
from tests.factories import api_login

pytestmark = pytest.mark.django_db


def error_code(response):
    return response.json()["error"]["code"]


def test_header_routing_reaches_the_tenant(client, tenant_a):
    tokens = api_login(client, tenant_a)
    response = client.get("/api/v1/me", **tenant_a.headers(token=tokens["access"]))
    assert response.status_code == 200
    assert response.json()["user"]["email"] == tenant_a.users["OPERATOR"]


def test_header_is_accepted_in_lower_case(client, tenant_a):
    tokens = api_login(client, tenant_a)
    headers = tenant_a.headers(token=tokens["access"])
    headers["HTTP_X_TENANT_ID"] = tenant_a.public_id.lower()
    assert client.get("/api/v1/me", **headers).status_code == 200


def test_header_routing_works_on_an_ip_address_host(client, tenant_a):
    tokens = api_login(client, tenant_a)
    response = client.get("/api/v1/me", HTTP_HOST="127.0.0.1:8000", **tenant_a.headers(token=tokens["access"]))
    assert response.status_code == 200


def test_subdomain_routing_reaches_the_tenant(client, tenant_a):
    tokens = api_login(client, tenant_a)
    headers = tenant_a.headers(token=tokens["access"])
    del headers["HTTP_X_TENANT_ID"]
    response = client.get("/api/v1/me", HTTP_HOST=f"{tenant_a.host}:8000", **headers)
    assert response.status_code == 200
    assert response.json()["user"]["email"] == tenant_a.users["OPERATOR"]


def test_header_and_subdomain_agreeing_is_fine(client, tenant_a):
    tokens = api_login(client, tenant_a)
    response = client.get("/api/v1/me", HTTP_HOST=tenant_a.host, **tenant_a.headers(token=tokens["access"]))
    assert response.status_code == 200


def test_header_and_subdomain_naming_different_tenants_is_a_mismatch(client, tenant_a, tenant_b):
    response = client.get("/api/v1/me", HTTP_HOST=tenant_b.host, **tenant_a.headers())
    assert response.status_code == 400
    assert error_code(response) == "tenant_mismatch"


def test_unknown_tenant_in_header_is_invalid_credentials_and_audited_publicly(client):
    response = client.get("/api/v1/me", HTTP_X_TENANT_ID="NOSUCH-ABC123", HTTP_X_TENANT_SECRET="0" * 64)
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    row = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TENANT_ID_REJECTED).latest("id")
    assert row.layer == "1" and row.detail["tenantId"] == "NOSUCH-ABC123"


def test_unknown_subdomain_is_not_found(client):
    response = client.get("/api/v1/me", HTTP_HOST="nosuch.localhost")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    page = client.get("/", HTTP_HOST="nosuch.localhost")
    assert page.status_code == 404 and b"No tenant here" in page.content


@pytest.mark.parametrize("label", ["www", "api", "admin", "app"])
def test_reserved_subdomains_mean_no_tenant(client, label, tenant_a):
    response = client.get("/api/v1/me", HTTP_HOST=f"{label}.localhost")
    # No tenant: the API refuses without credentials naming a tenant, and the public site is served.
    assert response.status_code in (401, 404)
    assert client.get("/healthz", HTTP_HOST=f"{label}.localhost").status_code == 200
    # With a tenant header, the reserved host does not count as a second tenant.
    assert client.get("/api/v1/me", HTTP_HOST=f"{label}.localhost", **tenant_a.headers()).status_code == 401


def test_base_domain_is_the_public_site(client):
    assert client.get("/healthz", HTTP_HOST="localhost:8000").json() == {"status": "ok"}
    response = client.get("/api/v1/me", HTTP_HOST="localhost")
    assert response.status_code == 401 and error_code(response) == "invalid_credentials"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "permian",
        "TOOLONGNAME-ABC123",
        "ABC-12345",
        "ABC-1234567",
        "ABC_123456",
        "' OR 1=1 --",
        "ÄBC-123456",
        "x" * 5000,
        "../../etc/passwd",
        "<script>alert(1)</script>",
    ],
)
def test_malformed_and_hostile_tenant_ids_are_invalid_credentials(client, value):
    response = client.get("/api/v1/me", HTTP_X_TENANT_ID=value, HTTP_X_TENANT_SECRET="0" * 64)
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "invalid_credentials"
    assert value not in response.content.decode() or not value.strip()


def test_a_tenant_id_holding_a_nul_is_refused_as_text_before_any_look_up(client):
    # API.md v1.1, section 1: text holding a NUL is a 400 naming where it was, in any header.
    response = client.get("/api/v1/me", HTTP_X_TENANT_ID="ABC-12345\u0000", HTTP_X_TENANT_SECRET="0" * 64)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and list(error["details"]) == ["X-Tenant-Id"]
    assert "ABC-12345" not in response.content.decode()


@pytest.mark.parametrize("host", ["evil..localhost", "a" * 300 + ".localhost", "-x.localhost:99999", "[::1]:8000"])
def test_hostile_hosts_never_error(client, host):
    response = client.get("/api/v1/me", HTTP_HOST=host)
    assert response.status_code in (400, 401, 404)
    assert response.json()["error"]["code"] in ("invalid_request", "invalid_credentials", "not_found")


def test_suspended_tenant_is_refused_with_tenant_suspended(client, tenant_b):
    tokens = api_login(client, tenant_b)
    tenant_suspend(tenant=tenant_b.tenant, actor="test")
    try:
        response = client.get("/api/v1/me", **tenant_b.headers(token=tokens["access"]))
        assert response.status_code == 403
        assert error_code(response) == "tenant_suspended"
        page = client.get("/login/", HTTP_HOST=tenant_b.host)
        assert page.status_code == 403
    finally:
        tenant_reactivate(tenant=tenant_b.tenant, actor="test")
    assert client.get("/api/v1/me", **tenant_b.headers(token=tokens["access"])).status_code == 200
    with schema_context(tenant_b.tenant.schema_name):
        kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {"TENANT_SUSPENDED", "TENANT_REACTIVATED"} <= kinds


def test_resolution_does_not_query_the_registry_on_every_request(client, tenant_a, django_assert_max_num_queries):
    tokens = api_login(client, tenant_a)
    headers = tenant_a.headers(token=tokens["access"])
    client.get("/api/v1/me", **headers)  # warm the process's directory
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me", **headers).status_code == 200
    registry = [q["sql"] for q in queries if "tenants_tenant" in q["sql"] or "tenants_tenantsecret" in q["sql"]
                or "tenants_domain" in q["sql"]]
    assert registry == []
    assert directory.by_public_id(tenant_a.public_id) is not None
