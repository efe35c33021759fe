"""Where a moved tenant's data goes: a database of its own (migrated) or a schema of the
shared database (cloned from the template), prepared and, if the move fails, cleaned up."""

from __future__ import annotations

import contextlib
import logging
import uuid

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django_tenants.utils import schema_exists

from tenants.databases import registered_alias
from tenants.models import Tenant

from ..own_database import temporary_alias
from .base import (
    DATABASE,
    TenantMoveFailed,
    drop_tables,
    empty_tables,
    schema_drop,
    tenant_models,
)

log = logging.getLogger(__name__)


@contextlib.contextmanager
def schema_alias(schema_name: str):
    """A connection alias on the shared database that sees only ``schema_name`` (no public
    fallback: a table missing there is an error, never another schema's rows). The search_path is
    the tenancy backend's, sent with the queries (tenants.backends.postgresql), not a setting of the
    session: behind PgBouncer in transaction pooling mode (DATABASE_POOLER=pgbouncer) a session's
    setting stays on whichever server connection it was made on, and PgBouncer ignores the
    ``options`` a client starts with."""
    base = connections[DEFAULT_DB_ALIAS].settings_dict
    options = {k: v for k, v in (base.get("OPTIONS") or {}).items() if k != "pool"}
    entry = {key: base[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS")
             if key in base}
    entry.update(ENGINE=base["ENGINE"], OPTIONS=options, CONN_MAX_AGE=0, TIME_ZONE=None, CONN_HEALTH_CHECKS=False)
    with registered_alias(f"move-{schema_name}-{uuid.uuid4().hex[:8]}", entry) as alias:
        connections[alias].set_schema(schema_name, include_public=False)
        yield alias


@contextlib.contextmanager
def source_alias(tenant: Tenant, source_url: str):
    if source_url:
        with temporary_alias(source_url) as alias:
            yield alias
    else:
        with schema_alias(tenant.schema_name) as alias:
            yield alias


class DatabaseTarget:
    """The tenant's future own database, reached through a temporary (unpooled) alias."""

    def __init__(self, alias: str):
        self.alias = alias
        self.tables_before: set[str] | None = None  # None: nothing of ours to clean up

    def prepare(self) -> None:
        from django.core.management import call_command
        from django.core.management.commands.migrate import Command as DjangoMigrate

        self.tables_before = set(connections[self.alias].introspection.table_names())
        # Django's own migrate (django-tenants replaces the `migrate` command with migrate_schemas).
        call_command(DjangoMigrate(), database=self.alias, interactive=False, verbosity=0)
        tables_require(self.alias, "the target database")

    def keep(self) -> None:
        self.tables_before = None

    def clean_up(self) -> None:
        if self.tables_before is None:
            return
        wrapper = connections[self.alias]
        with contextlib.suppress(Exception):
            wrapper.close()  # whatever transaction a failure left open
        made = set(wrapper.introspection.table_names()) - self.tables_before
        if made:
            drop_tables(self.alias, made)  # the database was empty: as it was
        else:
            empty_tables(self.alias)  # its tables were there before (empty of users): empty again


class SchemaTarget:
    """The tenant's future schema in the shared database, cloned from the template."""

    def __init__(self, schema_name: str, alias: str):
        self.schema_name = schema_name
        self.alias = alias
        self.created = False

    def prepare(self) -> None:
        from ..schemas import schema_clone

        if schema_exists(self.schema_name, case_sensitive=False):
            # Checked before: it holds no users, so it is the clone of an interrupted move.
            log.warning("move: replacing schema %s (a leftover without users)", self.schema_name)
            schema_drop(self.schema_name)
        self.created = True
        schema_clone(settings.TENANT_BASE_SCHEMA, self.schema_name)
        tables_require(self.alias, f"the cloned schema {self.schema_name}")

    def keep(self) -> None:
        self.created = False

    def clean_up(self) -> None:
        with contextlib.suppress(Exception):
            connections[self.alias].close()
        if self.created:
            schema_drop(self.schema_name)


@contextlib.contextmanager
def prepared_target(tenant: Tenant, to: str, database_url: str):
    """The prepared target; cleaned up if anything fails before the switch."""
    opened = temporary_alias(database_url) if to == DATABASE else schema_alias(tenant.schema_name)
    with opened as alias:
        target = DatabaseTarget(alias) if to == DATABASE else SchemaTarget(tenant.schema_name, alias)
        try:
            yield target
        except BaseException:
            try:
                target.clean_up()
            except Exception:
                log.exception("move: the target could not be cleaned up; remove it by hand")
            raise


def tables_require(alias: str, where: str) -> None:
    present = set(connections[alias].introspection.table_names())
    missing = sorted(m._meta.db_table for m in tenant_models() if m._meta.db_table not in present)
    if missing:
        raise TenantMoveFailed(f"{where} lacks tables after it was prepared: {', '.join(missing)}.")
