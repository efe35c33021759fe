"""``migrate`` / ``migrate_schemas`` for many tenants: keep the template schema migrated and skip
every tenant schema that has nothing to apply (one small query per schema instead of a full
migrate run), then bring role groups up to date in the schemas that were migrated."""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors.base import run_migrations
from django_tenants.migration_executors.standard import StandardExecutor
from django_tenants.utils import schema_context


def expected_migrations() -> set[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return set(loader.graph.nodes.keys())


def missing_migrations(schema_names: list[str]) -> dict[str, set[tuple[str, str]]]:
    """For each schema among ``schema_names`` that lacks migrations from disk (or the table),
    which ones (in the order given; schemas up to date are left out)."""
    if not schema_names:
        return {}
    expected = expected_migrations()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [list(schema_names)],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        missing = {}
        for name in schema_names:
            applied: set = set()
            if name in with_table:
                cursor.execute(f'SELECT app, name FROM "{name}".django_migrations')
                applied = set(cursor.fetchall())
            if not expected <= applied:
                missing[name] = expected - applied
    return missing


def schemas_with_pending(schema_names: list[str]) -> list[str]:
    """The schemas among ``schema_names`` that lack a migration from disk (or lack the table)."""
    return list(missing_migrations(schema_names))


class SkipUnchangedExecutor(StandardExecutor):
    """The standard executor, minus the schemas that are already up to date."""

    codename = "standard"

    def run_migrations(self, tenants=None):
        from accounts.roles import roles_sync

        from .schemas import template_schema_ensure

        explicit = isinstance(tenants, list)  # --schema NAME (or public): run exactly what was asked
        schemas = list(tenants or [])
        if self.PUBLIC_SCHEMA_NAME in schemas:
            run_migrations(self.args, self.options, self.codename, self.PUBLIC_SCHEMA_NAME)
            schemas.remove(self.PUBLIC_SCHEMA_NAME)
            if not schemas:
                return
        own_databases = []
        if not explicit:
            from tenants.models import Tenant

            own_databases = list(Tenant.objects.filter(isolation=Tenant.IsolationLevel.DATABASE,
                                                       deleted_at__isnull=True))
            in_databases = {t.schema_name for t in own_databases}
            schemas = [name for name in schemas if name not in in_databases]
            template_schema_ensure()
            schemas.insert(0, settings.TENANT_BASE_SCHEMA)
        targeted = self.args or self.options.get("fake") or self.options.get("app_label")
        todo = schemas if targeted else schemas_with_pending(schemas)
        skipped = len(schemas) - len(todo)
        verbosity = int(self.options.get("verbosity", 1))
        if verbosity >= 1 and skipped:
            sys.stdout.write(f"{skipped} of {len(schemas)} tenant schemas are up to date: skipped.\n")
        for index, schema_name in enumerate(todo):
            run_migrations(self.args, self.options, self.codename, schema_name, idx=index, count=len(todo))
            with schema_context(schema_name):
                roles_sync()
        migrated_databases = 0
        if own_databases:
            migrated_databases = databases_migrate_reported(own_databases, verbosity=verbosity)
        if todo or migrated_databases:
            from tenants.directory import bump_generation

            bump_generation()  # role permissions may have changed: running processes reload users


def databases_migrate_reported(tenants, *, verbosity: int = 1, parallel: int | None = None) -> int:
    """Migrate the tenants' own databases in parallel, one line per tenant; raise if any failed."""
    from django.core.management.base import CommandError

    from .own_database import databases_migrate

    def progress(done, total, outcome):
        if verbosity >= 1:
            state = (f"FAILED: {outcome.error}" if outcome.error
                     else f"{outcome.applied} migrations applied" if outcome.applied else "up to date")
            sys.stdout.write(f"[{done}/{total}] tenant database of {outcome.tenant.public_id}: {state}\n")

    outcomes = databases_migrate(tenants, parallel=parallel or settings.TENANT_MIGRATE_PARALLEL, progress=progress)
    failed = [o for o in outcomes if o.error]
    if failed:
        raise CommandError(f"{len(failed)} tenant database(s) could not be migrated: "
                           + ", ".join(o.tenant.public_id for o in failed))
    return sum(1 for o in outcomes if o.applied)


def get_executor(codename=None):
    return SkipUnchangedExecutor
