"""Moving a tenant from its schema to a database of its own (PostgreSQL, MariaDB) and back
(tenants.operations.moves, the move_tenant command), on the real servers.

A move commits on several databases, which no test transaction can roll back, so these tests
commit (``django_db_blocker.unblock()``, like the session tenants of tests/conftest.py; not
``transactional_db``, whose flush would empty the shared tenant registry under the other tests)
and remove what they made afterwards: tenant rows, schemas (kept copies too) and databases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_tenants.utils import schema_context, schema_exists

from accounts.models import SecurityEvent, User
from sync.models import Conflict, SyncBatch, SyncEvent
from sync.services.processing import batch_process
from sync.tasks import process_batch
from tenants.databases import tenant_databases
from tenants.operations.own_database import temporary_alias
from tenants.models import Tenant
from tenants.operations.moves import TenantMoveFailed, tenant_models, tenant_move
from tenants.operations.provisioning import tenant_suspend
from tests import servers
from tests.factories import TenantHandle, api_login, make_tenant
from tests.sync.conftest import later, new_api_number, production
from wells.models import Equipment, ProductionRecord, Well, WellAssignment

# Rows compared one by one before and after a move (every table's count is compared too).
COMPARED = (User, User.groups.through, Well, Equipment, WellAssignment, ProductionRecord, SyncBatch, SyncEvent,
            Conflict)


@dataclass
class Committed:
    """Tenants and databases made (and committed) by one test, removed at its end."""

    tenants: list[TenantHandle] = field(default_factory=list)
    databases: list[tuple[str, str]] = field(default_factory=list)  # (engine, name)

    def tenant(self, slug: str, *, database_url: str = "") -> TenantHandle:
        handle = make_tenant(name=f"Mover {slug}", slug=slug, database_url=database_url)
        self.tenants.append(handle)
        return handle

    def database(self, engine: str, suffix: str) -> str:
        name = f"test_pumpjack_{settings.TEST_RUN_ID}_move_{suffix}"
        if engine == "postgresql":
            servers.pg_database_create(name)
            self.databases.append((engine, name))
            return servers.pg_url(name)
        server = servers.require_mariadb()
        servers.mariadb_database_create(server, name)
        self.databases.append((engine, name))
        return f"{server}/{name}"

    def remove(self) -> None:
        connection.set_schema_to_public()
        for handle in self.tenants:
            tenant_databases.forget_tenant(handle.tenant)
            with connection.cursor() as cursor:
                schema = handle.tenant.schema_name
                cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s",
                               [schema, schema.replace("_", r"\_") + r"\_moved\_%"])
                for (name,) in cursor.fetchall():
                    cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
            Tenant.objects.filter(pk=handle.tenant.pk).delete()
        for engine, name in self.databases:
            if engine == "postgresql":
                servers.pg_database_drop(name)
            else:
                servers.mariadb_database_drop(servers.require_mariadb(), name)


@pytest.fixture
def committed(django_db_setup, django_db_blocker, settings):
    settings.TENANT_MOVE_SETTLE_SECONDS = 0  # no other process serves these tenants
    made = Committed()
    with django_db_blocker.unblock():
        try:
            yield made
        finally:
            made.remove()


def field_data(client, handle: TenantHandle) -> str:
    """Wells on the operator's route and a processed sync batch with a conflict; the operator's
    access token."""
    with schema_context(handle.tenant.schema_name):
        operator = User.objects.get(email=handle.users["OPERATOR"])
        well = Well.objects.create(api_number=new_api_number(), name="Ector 12-1", lease="Ector", field="Permian")
        Well.objects.create(api_number=new_api_number(), name="Midland 3-4", lease="Midland", field="Permian")
        Equipment.objects.create(well=well, type="PUMP_JACK", name="Pump jack 1", serial_number="PJ-1")
        WellAssignment.objects.create(user=operator, well=well)
    token = api_login(client, handle)["access"]
    # 20 m3 (125.8 bbl) beats the 100 bbl logged before: a conflict, the loser superseded.
    response = push(client, handle, token, [production(well, 100), production(well, 20, unit="M3", occurred=later(5))])
    assert response.status_code == 202, response.content
    with schema_context(handle.tenant.schema_name):
        assert batch_process(batch_id=response.json()["batchId"]).status == SyncBatch.Status.COMPLETED
        assert Conflict.objects.count() == 1
    return token


def push(client, handle: TenantHandle, token: str, events: list):
    body = {"device": {"deviceId": "tablet-07", "platform": "android", "appVersion": "1.4.2"}, "events": events}
    return client.post("/api/v1/sync/batches", body, content_type="application/json",
                       **handle.headers(token=token))


def counts(handle: TenantHandle) -> dict[str, int]:
    with schema_context(handle.tenant.schema_name):
        return {m._meta.db_table: m._base_manager.count() for m in tenant_models()}


def rows(handle: TenantHandle) -> dict[str, list]:
    """Every row of the COMPARED tables, by primary key (MariaDB orders its UUID type its own way)."""
    out = {}
    with schema_context(handle.tenant.schema_name):
        for model in COMPARED:
            attnames = [f.attname for f in model._meta.concrete_fields]
            at = attnames.index(model._meta.pk.attname)
            out[model._meta.db_table] = sorted(model._base_manager.values_list(*attnames), key=lambda r: str(r[at]))
    return out


def moves_logged(handle: TenantHandle, outcome: str = "SUCCESS") -> int:
    with schema_context(handle.tenant.schema_name):
        return SecurityEvent.objects.filter(kind="TENANT_MOVED", outcome=outcome).count()


def plus_one_move_logged(table_counts: dict[str, int]) -> dict[str, int]:
    return {**table_counts, "accounts_securityevent": table_counts["accounts_securityevent"] + 1}


def tables_in(url: str) -> list[str]:
    with temporary_alias(url) as alias:
        return connections[alias].introspection.table_names()


# --------------------------------------------------------------------------- there and back


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"])
def test_a_schema_tenant_moves_to_its_own_database_and_back_with_nothing_lost(engine, committed, client):
    handle = committed.tenant(f"mover-{engine[:2]}")
    url = committed.database(engine, engine[:2])
    token = field_data(client, handle)
    schema = handle.tenant.schema_name
    well = Well(pk=rows(handle)["wells_well"][0][0])
    queued = push(client, handle, token, [production(well, 90, day="2026-11-21")]).json()["batchId"]  # no worker
    counts_before, rows_before = counts(handle), rows(handle)
    seen_during = []

    def during(table, copied):
        if not seen_during:  # the tenant is MIGRATING: writes refused, reads from the old place, batches held
            write = push(client, handle, token, [production(well, 5)])
            read = client.get("/api/v1/wells/", **handle.headers(token=token))
            with schema_context(schema):
                worker = process_batch.apply(args=[queued]).get()
            seen_during.append((write.status_code, write.headers.get("Retry-After"), read.status_code, worker))

    there = tenant_move(tenant=handle.tenant, to="DATABASE", database_url=url, actor="ops@pumpjack.test",
                        progress=during)

    assert seen_during == [(503, "30", 200, "HELD")]
    assert (handle.tenant.isolation, handle.tenant.status) == ("DATABASE", "ACTIVE")
    assert there.tables == counts_before and counts(handle) == plus_one_move_logged(counts_before)
    assert rows(handle) == rows_before
    assert there.source_kept_at.startswith(f"{schema}_moved_") and schema_exists(there.source_kept_at)
    assert not schema_exists(schema)
    assert moves_logged(handle) == 1
    api_login(client, handle)  # from the tenant's own database now
    with schema_context(schema):
        assert process_batch.apply(args=[queued]).get() == "COMPLETED"  # held no longer

    counts_there, rows_there = counts(handle), rows(handle)
    back = tenant_move(tenant=handle.tenant, to="SCHEMA", keep_source=False)

    assert (handle.tenant.isolation, handle.tenant.database_url, handle.tenant.status) == ("SCHEMA", "", "ACTIVE")
    assert back.tables == counts_there and counts(handle) == plus_one_move_logged(counts_there)
    assert rows(handle) == rows_there
    assert back.source_kept_at == "" and tables_in(url) == []
    assert moves_logged(handle) == 2
    api_login(client, handle)


# --------------------------------------------------------------------------- failures


def test_a_write_slipping_in_during_the_copy_stops_the_move_and_leaves_the_tenant_as_it_was(committed, client):
    handle = committed.tenant("slipper")
    url = committed.database("postgresql", "slipper")

    def late_write(table, copied):
        if table == SecurityEvent._meta.db_table:  # already copied: this row exists only in the source
            with schema_context(handle.tenant.schema_name):
                SecurityEvent.objects.create(kind="LOGIN_FAILED", outcome="FAILURE")

    with pytest.raises(TenantMoveFailed, match=r"accounts_securityevent: (\d+) in the source, \d+ in the target"
                       ) as failed:
        tenant_move(tenant=handle.tenant, to="DATABASE", database_url=url, progress=late_write)

    assert failed.value.table == "accounts_securityevent"
    handle.tenant.refresh_from_db()
    assert (handle.tenant.isolation, handle.tenant.status, handle.tenant.database_url) == ("SCHEMA", "ACTIVE", "")
    assert schema_exists(handle.tenant.schema_name) and tables_in(url) == []
    assert moves_logged(handle, "FAILURE") == 1
    api_login(client, handle)


@pytest.mark.parametrize("case", ["same level", "unreachable", "holds another tenant", "suspended"])
def test_a_move_that_cannot_work_is_refused_before_anything_changes(case, committed):
    handle = committed.tenant("stayer")
    to, url = "DATABASE", ""
    if case == "same level":
        to = "SCHEMA"
    elif case == "unreachable":
        url = "postgresql://pumpjack:hunter2-secret@127.0.0.1:1/nowhere"
    elif case == "holds another tenant":
        url = committed.database("postgresql", "occupied")
        committed.tenant("occupant", database_url=url)
    else:
        url = committed.database("postgresql", "unused")
        tenant_suspend(tenant=handle.tenant)
    status = handle.tenant.status

    with pytest.raises(ValidationError) as refused:
        tenant_move(tenant=handle.tenant, to=to, database_url=url)

    assert "hunter2-secret" not in str(refused.value)
    handle.tenant.refresh_from_db()
    assert (handle.tenant.isolation, handle.tenant.status) == ("SCHEMA", status)
    assert moves_logged(handle, "FAILURE") == 0


# --------------------------------------------------------------------------- the command


@pytest.mark.live
def test_move_tenant_command_moves_there_with_json_and_back_with_progress_lines(committed, live_env, client):
    handle = committed.tenant("commanded")
    url = committed.database("postgresql", "commanded")
    expected = counts(handle)

    there = live_env.manage("move_tenant", "--tenant", handle.public_id, "--to", "database", "--database-url", url,
                            "--settle-seconds", "0", "--json")
    back = live_env.manage("move_tenant", "--tenant", handle.tenant.slug, "--to", "schema", "--drop-source",
                           "--settle-seconds", "0")

    report = json.loads(there.stdout)
    assert set(report) == {"tenantId", "from", "to", "tables", "seconds", "sourceKeptAt"}
    assert (report["tenantId"], report["from"], report["to"]) == (handle.public_id, "SCHEMA", "DATABASE")
    assert report["tables"] == expected and report["sourceKeptAt"].startswith(f"{handle.tenant.schema_name}_moved_")
    assert "  wells_well: 0 rows" in back.stdout.splitlines()
    assert sum(line.startswith("  ") for line in back.stdout.splitlines()) == len(expected)
    assert "The old copy was dropped." in back.stdout
    handle.tenant.refresh_from_db()
    assert (handle.tenant.isolation, handle.tenant.status) == ("SCHEMA", "ACTIVE")
    assert counts(handle) == plus_one_move_logged(plus_one_move_logged(expected))
    api_login(client, handle)
