"""Migrating one tenant or many, whatever their isolation level: the service behind the
``migrate_tenants`` command and the staff admin's "Migrate" button.

Schema tenants: those whose schema already has every migration are skipped (one small query
each); the others run django-tenants' migrate one after the other, on the shared server.
DATABASE tenants: their own databases are migrated in parallel (``parallel`` at a time).
One failing tenant does not stop the others.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection

from tenants.models import Tenant

from .own_database import MigrateOutcome, database_migrate, databases_migrate


def _pending_counts(schema_names: list[str]) -> dict[str, int]:
    """How many migrations each of these schemas lacks (only schemas lacking some are listed).
    Counted as for a tenant database: the tenant apps' migrations (a schema also records the
    shared apps', which change nothing there)."""
    from tenants.operations.schema_migrations import missing_migrations
    from tenants.routers import _TENANT_APPS

    return {name: len({m for m in lacks if m[0] in _TENANT_APPS}) or len(lacks)
            for name, lacks in missing_migrations(schema_names).items()}


def _migrate_options() -> dict:
    """The options of a plain, quiet ``migrate`` (what django-tenants' run_migrations hands on)."""
    from django_tenants.utils import get_tenant_base_migrate_command_class

    command = get_tenant_base_migrate_command_class()()
    options = vars(command.create_parser("manage.py", "migrate").parse_args([]))
    options.update(verbosity=0, interactive=False, skip_checks=True)
    return options


def schema_migrate(schema_name: str, *, pending: int | None = None) -> int:
    """Bring one schema up to date (then its role groups); returns how many migrations it lacked."""
    from django_tenants.migration_executors.base import run_migrations
    from django_tenants.utils import schema_context

    from accounts.roles import roles_sync

    if pending is None:
        pending = _pending_counts([schema_name]).get(schema_name, 0)
    if not pending:
        return 0
    try:
        run_migrations([], _migrate_options(), "standard", schema_name)
    finally:
        connection.set_schema_to_public()
    with schema_context(schema_name):
        roles_sync()
    return pending


def tenant_migrate(*, tenant: Tenant) -> int:
    """Apply the migrations a tenant lacks, in its schema or its own database; returns how many
    were applied (0: it was up to date and nothing ran)."""
    if tenant.status == Tenant.Status.MIGRATING:
        raise ValidationError(f"Tenant {tenant.public_id} is being moved (status MIGRATING); "
                              "migrate it after the move.")
    applied = database_migrate(tenant) if tenant.has_own_database else schema_migrate(tenant.schema_name)
    if applied:
        from tenants.directory import bump_generation

        bump_generation()  # role permissions may have changed: running processes reload users
    return applied


def tenants_migrate(tenants: list[Tenant], *, parallel: int, progress=None) -> list[MigrateOutcome]:
    """Migrate these tenants: schemas one after the other, own databases ``parallel`` at a time.
    ``progress(done, total, outcome)`` is called as each tenant finishes."""
    from tenants.directory import bump_generation

    total = len(tenants)
    done = 0
    outcomes: list[MigrateOutcome] = []

    def report(outcome: MigrateOutcome) -> None:
        nonlocal done
        done += 1
        outcomes.append(outcome)
        if progress is not None:
            progress(done, total, outcome)

    moving = [t for t in tenants if t.status == Tenant.Status.MIGRATING]
    for tenant in moving:
        report(MigrateOutcome(tenant, error="being moved (status MIGRATING); migrate it after the move"))
    in_schemas = [t for t in tenants if not t.has_own_database and t not in moving]
    in_databases = [t for t in tenants if t.has_own_database and t not in moving]

    counts = _pending_counts([t.schema_name for t in in_schemas])
    for tenant in in_schemas:
        outcome = MigrateOutcome(tenant)
        try:
            outcome.applied = schema_migrate(tenant.schema_name, pending=counts.get(tenant.schema_name, 0))
        except Exception as exc:  # reported per tenant; the others go on
            outcome.error = " ".join(str(exc).split())[:500] or type(exc).__name__
        report(outcome)
    databases_migrate(in_databases, parallel=parallel,
                      progress=lambda _done, _total, outcome: report(_explained(outcome)))
    if any(o.applied for o in outcomes):
        bump_generation()
    return outcomes


def _explained(outcome: MigrateOutcome) -> MigrateOutcome:
    """A tenant database that failed to migrate because it cannot be used at all (down, wrong
    password, ...) gets the connection check's message, which names the problem and the server,
    instead of the driver's (e.g. a pool timeout that says neither)."""
    from config.crypto import DecryptionFailed, decrypt
    from tenants.operations.own_database import connection_check

    if not outcome.error:
        return outcome
    try:
        report = connection_check(decrypt(outcome.tenant.database_url))
    except DecryptionFailed:
        outcome.error = "its database URL cannot be decrypted with PUMPJACK_ENCRYPTION_KEY"
        return outcome
    if not report.ok:
        outcome.error = report.message
    return outcome


def outcome_line(done: int, total: int, outcome: MigrateOutcome) -> str:
    tenant = outcome.tenant
    where = "database" if tenant.has_own_database else "schema"
    if outcome.error:
        state = f"FAILED: {outcome.error}"
    elif outcome.applied:
        state = f"{outcome.applied} migration{'' if outcome.applied == 1 else 's'} applied"
    else:
        state = "up to date"
    return f"[{done}/{total}] {tenant.public_id} ({where}): {state}"


# --------------------------------------------------------------------------- the command
