"""current_tenant() and for_each_tenant(): one answer to "which tenant is active", one loop over
tenants with one rule (active tenants only) and one error policy (one tenant never stops the others)."""

from __future__ import annotations

import uuid
import zoneinfo

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.context import current_tenant, current_time_zone, for_each_tenant
from tenants.models import Tenant
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def _tenant(slug: str, **changes) -> Tenant:
    # Digits only: hex letters in the e-mail can make the test password "too similar" to it.
    handle = make_tenant(name=f"Context {slug}", slug=f"{slug}-{uuid.uuid4().int % 10 ** 8:08d}")
    if changes:
        Tenant.objects.filter(pk=handle.tenant.pk).update(**changes)
    return Tenant.objects.get(pk=handle.tenant.pk)


def test_current_tenant_is_the_active_one_and_none_on_the_public_schema():
    denver = _tenant("denver")
    Tenant.objects.filter(pk=denver.pk).update(time_zone="America/Denver")
    connection.set_schema_to_public()
    assert current_tenant() is None
    with schema_context(denver.schema_name):  # how tasks and commands switch: by schema name
        assert current_tenant().pk == denver.pk
        assert current_time_zone() == zoneinfo.ZoneInfo("America/Denver")
    assert current_tenant() is None


def test_for_each_tenant_visits_active_tenants_only():
    active = _tenant("active")
    suspended = _tenant("suspended", status=Tenant.Status.SUSPENDED)
    moving = _tenant("moving", status=Tenant.Status.MIGRATING)
    from django.utils import timezone

    deleted = _tenant("deleted", deleted_at=timezone.now())
    seen = for_each_tenant(lambda tenant: current_tenant().pk, purpose="test")
    assert seen[active.schema_name] == active.pk  # the job ran with the tenant's data active
    assert not {suspended.schema_name, moving.schema_name, deleted.schema_name} & set(seen)


def test_one_tenant_whose_job_fails_does_not_stop_the_others(caplog):
    first, second = _tenant("first"), _tenant("second")

    def job(tenant):
        if tenant.pk == first.pk:
            raise RuntimeError("its database is down")
        return "done"

    seen = for_each_tenant(job, purpose="test job")
    assert first.schema_name not in seen and seen[second.schema_name] == "done"
    assert any("test job" in r.getMessage() and first.public_id in r.getMessage() for r in caplog.records)


def test_a_failed_statement_of_one_tenant_does_not_abort_the_next_ones_transaction():
    from django.db import transaction

    first, second = _tenant("sql-first"), _tenant("sql-second")

    def job(tenant):
        with connection.cursor() as cursor:
            if tenant.pk == first.pk:
                cursor.execute("SELECT * FROM no_such_table")  # the statement fails on the server
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0]

    with transaction.atomic():  # a caller inside a transaction (a task's, a test's)
        seen = for_each_tenant(job, purpose="test job")
    assert first.schema_name not in seen and seen[second.schema_name] == 1
