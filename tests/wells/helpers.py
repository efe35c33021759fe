"""Builders and assertions of the wells tests. Rows are written in the session tenants inside the
test's transaction, so they are rolled back after each test."""

from __future__ import annotations

import importlib
import itertools
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.db import connections, router
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tokens import access_token_issue
from tests.factories import TenantHandle
from wells.models import Equipment, QuarantinedRecord, Well
from wells.services import wells_assign

_well_numbers = itertools.count(1)


def next_api_number() -> str:
    """A valid, unused API number: Texas (42), Midland county (329), a fresh well identifier."""
    return f"42329{next(_well_numbers):05d}0000"


def make_well(handle: TenantHandle, **fields) -> Well:
    values = {"api_number": next_api_number(), "name": "Well", "lease": "", "field": "",
              "county": "Midland", "state": "TX", "status": "ACTIVE"}
    values.update(fields)
    with schema_context(handle.tenant.schema_name):
        return Well.objects.create(**values)


def make_equipment(handle: TenantHandle, well: Well, **fields) -> Equipment:
    values = {"type": "PUMP_JACK", "name": "Pump jack", "serial_number": "PJ-1"}
    values.update(fields)
    with schema_context(handle.tenant.schema_name):
        return Equipment.objects.create(well=well, **values)


def tenant_user(handle: TenantHandle, role_or_email: str) -> User:
    email = handle.users.get(role_or_email, role_or_email)
    with schema_context(handle.tenant.schema_name):
        return User.objects.get(email=email)


def assign(handle: TenantHandle, user: User | str, wells) -> int:
    user = user if isinstance(user, User) else tenant_user(handle, user)
    with schema_context(handle.tenant.schema_name):
        return wells_assign(user=user, well_ids=[well.pk for well in wells])


@dataclass
class Api:
    """The Django test client speaking JSON with one user's three credentials."""

    client: Client
    handle: TenantHandle
    user: User

    def _headers(self) -> dict:
        token = access_token_issue(user=self.user, tenant_public_id=self.handle.public_id, now=timezone.now())
        return self.handle.headers(token=token)

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, **self._headers())

    def post(self, path: str, body=None, *, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json", **self._headers())

    def patch(self, path: str, body=None, *, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.patch(path, data, content_type="application/json", **self._headers())

    def put(self, path: str, body=None):
        return self.client.put(path, json.dumps(body or {}), content_type="application/json", **self._headers())

    def delete(self, path: str):
        return self.client.delete(path, **self._headers())


def assert_invalid(response, *fields: str) -> dict:
    """400 invalid_request naming each of ``fields`` in details; returns the details."""
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request", error
    for field in fields:
        assert field in error["details"], error
        assert error["details"][field] and all(isinstance(m, str) for m in error["details"][field])
    return error["details"]


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def production_values(well: Well, **fields) -> dict:
    values = {"well": well, "production_date": date(2026, 1, 15), "product": "OIL", "volume": Decimal("120.5"),
              "unit": "BBL", "volume_normalized": Decimal("120.5")}
    values.update(fields)
    return values


def run_data_migration(app: str, name: str, handle) -> None:
    """The migration's own function, with the models as they were at that migration."""
    module = importlib.import_module(f"{app}.migrations.{name}")
    with schema_context(handle.tenant.schema_name):
        alias = router.db_for_write(QuarantinedRecord)
        connection = connections[alias]
        apps = MigrationLoader(connection).project_state((app, name)).apps
        module.quarantine(apps, SimpleNamespace(connection=connection))
