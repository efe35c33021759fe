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


@pytest.mark.parametrize("set_every_query", [False, True], ids=["set-once", "set-every-query (PgBouncer)"])
def test_a_failed_first_statement_after_a_tenant_switch_rolls_back_to_its_savepoint_and_the_transaction_goes_on(
        settings, set_every_query):
    """The statement that fails carries the tenant's SET search_path with it (the tenancy backend,
    tenants.backends.postgresql); the savepoint's ROLLBACK TO must then run without a SET in front
    of it, which the aborted transaction would refuse (and Django would mark the whole transaction
    broken). Behind PgBouncer a SET precedes every cursor's first statement, so any caught database
    error inside atomic() met this (found running the suites through PgBouncer)."""
    from django.db import DatabaseError, transaction

    settings.TENANT_LIMIT_SET_CALLS = not set_every_query  # DATABASE_POOLER=pgbouncer turns it off
    one, two = _tenant("savepoint-one"), _tenant("savepoint-two")
    with transaction.atomic():
        for tenant in (one, two):
            with schema_context(tenant.schema_name):
                with pytest.raises(DatabaseError), transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT * FROM no_such_table")
                with connection.cursor() as cursor:  # the outer transaction still works, in this tenant
                    cursor.execute("SELECT current_schema()")
                    assert cursor.fetchone()[0] == tenant.schema_name
