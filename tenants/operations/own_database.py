"""Lifecycle of tenant databases (isolation level DATABASE): checking a URL before it is used,
migrating one database or many. Used by tenant_create, the commands and the staff admin."""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from tenants.databases import (
    ALIAS_PREFIX,
    TenantDatabaseError,
    parse_url,
    registered_alias,
    settings_for_url,
    tenant_databases,
)

log = logging.getLogger(__name__)

PROBE_TABLE = "pumpjack_privilege_probe"


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    kind: str  # "ok", "invalid_url", "unreachable", "bad_credentials", "database_missing", "missing_privileges", ...
    message: str
    engine: str = ""
    server_version: str = ""

    def as_dict(self) -> dict:
        return {"ok": self.ok, "kind": self.kind, "message": self.message, "engine": self.engine,
                "serverVersion": self.server_version}


@contextlib.contextmanager
def temporary_alias(url: str):
    """A connection alias for ``url``, unpooled, removed again on exit."""
    entry = settings_for_url(url)
    entry.get("OPTIONS", {}).pop("pool", None)
    entry["CONN_MAX_AGE"] = 0
    with registered_alias(f"{ALIAS_PREFIX}probe-{uuid.uuid4().hex[:12]}", entry) as alias:
        yield alias


def _classified(exc: Exception, url: str) -> TenantDatabaseError:
    from sync.etl.drivers import classify

    parsed = parse_url(url)
    error = classify(exc.__cause__ or exc, parsed, connecting=True)
    return TenantDatabaseError(error.kind, error.message)


def connection_check(url: str) -> ConnectionReport:
    """Connect to a tenant database and check that its user may create tables there. Every
    failure comes back as a kind and a message a person can act on, without the password."""
    try:
        parsed = parse_url(url)
    except TenantDatabaseError as exc:
        return ConnectionReport(False, exc.kind, exc.message)
    label = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "mssql": "SQL Server"}[parsed.engine]
    where = f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
    try:
        with temporary_alias(url) as alias:
            wrapper = connections[alias]
            try:
                wrapper.ensure_connection()
            except Exception as exc:
                error = _classified(exc, url)
                return ConnectionReport(False, error.kind, error.message, parsed.engine)
            version = _server_version(wrapper)
            try:
                with wrapper.cursor() as cursor:
                    quoted = wrapper.ops.quote_name(PROBE_TABLE)
                    cursor.execute(f"CREATE TABLE {quoted} (id INTEGER)")
                    cursor.execute(f"DROP TABLE {quoted}")
            except Exception as exc:
                detail = " ".join(str(exc.__cause__ or exc).split())[:300]
                for secret in parsed.secrets:
                    detail = detail.replace(secret, "•••")
                return ConnectionReport(
                    False, "missing_privileges",
                    f"Connected to the {label} server at {where} as {parsed.username!r}, but that user cannot "
                    f"create tables in database {parsed.database!r} ({detail}). Grant it all privileges on "
                    f"that database.", parsed.engine, version)
    except (ImportError, ImproperlyConfigured):
        needs = {"mssql": "mssql-django and Microsoft's ODBC driver for SQL Server",
                 "mysql": "PyMySQL", "postgresql": "psycopg[pool]"}[parsed.engine]
        return ConnectionReport(False, "driver_missing", f"{label} tenant databases need {needs}, which this "
                                                         "server does not have installed.", parsed.engine)
    return ConnectionReport(True, "ok", f"Connected to the {label} server at {where} (database "
                                        f"{parsed.database!r}); the user may create tables.", parsed.engine, version)


def _server_version(wrapper) -> str:
    try:
        info = wrapper.get_database_version()
        return ".".join(str(part) for part in info)
    except Exception:
        return ""


def database_holds_tenant(url: str) -> bool:
    """Whether the database already holds Pumpjack tenant tables with users in them."""
    with temporary_alias(url) as alias:
        wrapper = connections[alias]
        tables = wrapper.introspection.table_names()
        if "accounts_user" not in tables:
            return False
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM accounts_user")
            return cursor.fetchone()[0] > 0


# --------------------------------------------------------------------------- migrations


def pending_migrations(alias: str) -> list[tuple[str, str]]:
    """The migrations of the tenant apps not yet applied on ``alias``."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    from tenants.routers import _TENANT_APPS

    return [(m.app_label, m.name) for m, backwards in plan if m.app_label in _TENANT_APPS]


def database_migrate(tenant, *, verbosity: int = 0, stdout=None) -> int:
    """Apply the tenant apps' migrations to the tenant's own database, then bring its role groups
    up to date. Returns how many migrations were applied (0: nothing to do, nothing run)."""
    from django.core.management import call_command
    from django.core.management.commands.migrate import Command as DjangoMigrate
    from django_tenants.utils import schema_context

    from accounts.roles import roles_sync

    alias = tenant_databases.ensure(tenant)
    pending = pending_migrations(alias)
    if not pending:
        return 0
    # Django's own migrate (django-tenants replaces the `migrate` command with migrate_schemas).
    call_command(DjangoMigrate(), database=alias, interactive=False, verbosity=verbosity,
                 **({"stdout": stdout} if stdout is not None else {}))
    with schema_context(tenant.schema_name):
        roles_sync()
    return len(pending)


@dataclass
class MigrateOutcome:
    tenant: object
    applied: int = 0
    error: str = ""

    def as_dict(self) -> dict:
        return {"tenantId": self.tenant.public_id, "isolation": self.tenant.isolation, "applied": self.applied,
                **({"error": self.error} if self.error else {})}


def databases_migrate(tenants, *, parallel: int = 4, progress=None) -> list[MigrateOutcome]:
    """Migrate several tenant databases at once (a thread each, ``parallel`` at a time); those
    with nothing to apply are only checked. One failing database does not stop the others."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from django.db import close_old_connections

    tenants = list(tenants)

    def one(tenant) -> MigrateOutcome:
        outcome = MigrateOutcome(tenant)
        try:
            outcome.applied = database_migrate(tenant)
        except Exception as exc:  # reported per tenant; the others go on
            from config.crypto import decrypt

            log.exception("migrating the database of tenant %s failed", tenant.public_id)
            detail = str(exc.__cause__ or exc)
            try:
                for secret in parse_url(decrypt(tenant.database_url)).secrets:
                    detail = detail.replace(secret, "•••")
            except Exception:
                pass
            outcome.error = " ".join(detail.split())[:500] or type(exc).__name__
        finally:
            close_old_connections()
        return outcome

    outcomes = []
    if not tenants:
        return outcomes
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(tenants))),
                            thread_name_prefix="migrate-tenant-db") as pool:
        futures = [pool.submit(one, tenant) for tenant in tenants]
        for done, future in enumerate(as_completed(futures), start=1):
            outcome = future.result()
            outcomes.append(outcome)
            if progress is not None:
                progress(done, len(tenants), outcome)
    return outcomes
