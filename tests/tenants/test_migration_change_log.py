"""The change log's models moved from the sync app to ``wells.changelog`` (issue 13) by
migrations that touch only Django's state: a tenant migrated up to the sync app's 0012 (the state
before the move, with change rows in its tables) is brought up to date by the usual migrate
(``tenant_migrate``, behind ``migrate_tenants``), in a schema, in its own PostgreSQL database and
in its own MariaDB database, and keeps every row."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import schema_context

from tenants.databases import tenant_databases
from tenants.operations.migrate import tenant_migrate
from tests.tenants.test_moves import committed  # noqa: F401  (tenants and databases made and removed here)
from wells.changelog.models import Change, ChangeRetention
from wells.changelog.services import change_record
from wells.models import Well

MOVE = {("changelog", "0001_initial"), ("sync", "0013_change_log_moves_to_changelog")}
# Undone with the move (they come after it) and applied again with it: no rows of their own.
AFTER_MOVE = {("sync", "0014_event_fillfactor_in_cloned_schemas"), ("sync", "0015_no_single_column_conflict_well_index"),
              ("sync", "0016_corrections_index_only_where_set"),
              ("sync", "0017_event_device_and_user_checked_through_the_batch"),
              ("sync", "0018_decided_events_wait_no_longer")}
WELL_ID = "3f6a1c2e-5b7d-4e8f-9a01-23456789abcd"


def _connection_of(tenant):
    return connections[tenant_databases.ensure(tenant)] if tenant.has_own_database else connection


def _applied(tenant) -> set[tuple[str, str]]:
    return set(MigrationRecorder(_connection_of(tenant)).applied_migrations())


def _rows(tenant) -> list[tuple]:
    with _connection_of(tenant).cursor() as cursor:
        cursor.execute("SELECT entity, well_id, version FROM sync_change ORDER BY seq")
        return [(entity, str(well_id).replace("-", ""), version) for entity, well_id, version in cursor.fetchall()]


def test_a_tenant_from_before_the_move_migrates_and_keeps_its_change_log(committed, level):  # noqa: F811
    if level == "schema":
        handle = committed.tenant("ledger-schema")
    else:
        engine = level.removeprefix("database-")
        handle = committed.tenant(f"ledger-{engine[:2]}", database_url=committed.database(engine, "ledger"))
    tenant = handle.tenant
    with schema_context(tenant.schema_name):
        well = Well.objects.create(api_number="42501201300300", name="Ledger 1", lease="Ledger")
        change_record(entity="well", entity_id=well.pk, well_id=WELL_ID, version=3)
        change_record(entity="assignment", entity_id=well.pk, well_id=WELL_ID, op="delete", version=2)
        ChangeRetention.objects.create(pk=1, pruned_through=7)

        # Back to the state before the move: the sync app owns the tables, nothing else changed.
        executor = MigrationExecutor(_connection_of(tenant))
        executor.migrate([("changelog", None)])
        assert not (MOVE | AFTER_MOVE) & _applied(tenant) and ("sync", "0011_alert_entity") in _applied(tenant)
        before = _rows(tenant)
        assert before == [("well", WELL_ID.replace("-", ""), 3), ("assignment", WELL_ID.replace("-", ""), 2)]

    # exactly the two state-only migrations, and those after them
    assert tenant_migrate(tenant=tenant) == len(MOVE | AFTER_MOVE)

    with schema_context(tenant.schema_name):
        assert MOVE | AFTER_MOVE <= _applied(tenant)
        assert _rows(tenant) == before  # no row lost or rewritten
        assert Change.objects.filter(well_id=WELL_ID, version=3).exists()
        assert ChangeRetention.objects.get(pk=1).pruned_through == 7
        change_record(entity="well", entity_id=well.pk, well_id=WELL_ID, version=4)
        written = Change.objects.get(well_id=WELL_ID, version=4)
        # The database default still fills in the writing transaction's id (PostgreSQL only).
        assert (written.xid is not None) == (level != "database-mariadb")
    assert tenant_migrate(tenant=tenant) == 0


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # SystemExit(1) when they differ
    assert "No changes detected" in out.getvalue()
