"""Fixtures of the HTTP hardening tests: a user's three credentials for the test client, and a
live gunicorn (the production server) on the test database with a committed tenant."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tokens import access_token_issue
from bench._gunicorn import GunicornWorker
from tests.factories import TenantHandle, make_tenant


def credentials(handle: TenantHandle, role: str = "MANAGER") -> dict[str, str]:
    """Test-client keyword arguments: X-Tenant-ID, X-Tenant-Secret and a fresh access token."""
    with schema_context(handle.tenant.schema_name):
        user = User.objects.get(email=handle.users[role])
    token = access_token_issue(user=user, tenant_public_id=handle.public_id, now=timezone.now())
    return handle.headers(token=token)


@pytest.fixture
def manager(tenant_a, db) -> dict[str, str]:
    return credentials(tenant_a)


@pytest.fixture(scope="session")
def live_tenant(django_db_setup, django_db_blocker) -> TenantHandle:
    """A tenant committed to the test database, so that the server process sees it."""
    with django_db_blocker.unblock():
        return make_tenant(name="Gunicorn Gas", slug="gunicorn")


@pytest.fixture(scope="session")
def gunicorn(live_env, live_tenant, tmp_path_factory) -> GunicornWorker:
    """One gunicorn sync worker serving config.wsgi with the test settings."""
    server = GunicornWorker(live_env.env, log=tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    yield server
    server.stop()
