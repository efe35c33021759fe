"""Test data builders. Tenants come from the real provisioning service (cloned schema)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field

from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import Role, User
from accounts.services import user_create
from tenants.models import Tenant
from tenants.operations.provisioning import tenant_create

PASSWORD = "Correct-Horse-Battery-9"
STAFF_EMAIL = "staff-test@pumpjack.test"  # the admin tests' staff user (seed_demo makes staff@)
_sequence = itertools.count(1)


@dataclass
class TenantHandle:
    tenant: Tenant
    secret: str
    admin_email: str
    users: dict[str, str] = field(default_factory=dict)  # role -> email

    @property
    def public_id(self) -> str:
        return self.tenant.public_id

    @property
    def host(self) -> str:
        from django.conf import settings

        return f"{self.tenant.slug}.{settings.BASE_DOMAIN}"

    def headers(self, *, secret: str | None = None, token: str | None = None) -> dict[str, str]:
        """Django test-client keyword arguments for the three credentials."""
        out = {"HTTP_X_TENANT_ID": self.public_id, "HTTP_X_TENANT_SECRET": secret or self.secret}
        if token:
            out["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return out


def make_tenant(*, name: str, slug: str, database_url: str = "") -> TenantHandle:
    admin_email = f"admin@{slug}.test"
    created = tenant_create(name=name, slug=slug, admin_email=admin_email, admin_password=PASSWORD,
                            database_url=database_url)
    handle = TenantHandle(tenant=created.tenant, secret=created.secret, admin_email=admin_email)
    handle.users[Role.ADMIN] = admin_email
    with schema_context(created.tenant.schema_name):
        for role in (Role.MANAGER, Role.OPERATOR):
            email = f"{role.lower()}@{slug}.test"
            user_create(email=email, password=PASSWORD, role=role, name=f"{role.title()} of {name}")
            handle.users[role] = email
    return handle


def make_user(handle: TenantHandle, *, role: str = Role.OPERATOR, password: str = PASSWORD) -> User:
    with schema_context(handle.tenant.schema_name):
        return user_create(email=f"user{next(_sequence)}-{secrets.token_hex(3)}@example.test",
                           password=password, role=role)


def api_login(client: Client, handle: TenantHandle, *, email: str | None = None, password: str = PASSWORD) -> dict:
    response = client.post(
        "/api/v1/auth/login",
        {"email": email or handle.users[Role.OPERATOR], "password": password},
        content_type="application/json",
        **handle.headers(),
    )
    assert response.status_code == 200, response.content
    return response.json()
