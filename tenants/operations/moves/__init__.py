"""Moving a tenant between isolation levels: from its schema in the shared database to a database
of its own (PostgreSQL or MySQL/MariaDB) and back. Used by the ``move_tenant`` command.

``tenant_move`` goes step by step, and any failure before the switch leaves the tenant where and
as it was (its level, its status, its data), with the target cleaned up:

1. refuse what cannot work, before anything changes (same level, suspended or deleted tenant, a
   move already under way, a target that is unreachable or holds another tenant's data);
2. status MIGRATING, announced to every process at once (``bump_generation``): writes answer 503,
   reads go on from the old place; sync batches being processed (and ETL runs) are waited for,
   new ones are held by the worker (``sync.tasks.process_batch`` re-schedules itself);
3. the target is made ready (a database migrated, a schema cloned from the template) and the rows
   that made (content types, permissions, role groups) are removed, so the copy keeps the source's
   primary keys and every reference stays valid;
4. every table of the tenant apps is copied in chunks (bounded memory), in one transaction on the
   target, with foreign keys checked at the end (deferred on PostgreSQL, switched off and then
   checked on MySQL: rows that point at each other or at themselves load in any order);
5. the row counts of every table, source and target, must be equal (a late write would show here);
6. the registry row switches in one transaction (level, encrypted URL, the old status back), and
   every process is told;
7. the source is kept (a schema is renamed ``<schema>_moved_<UTC yyyymmddHHMMSS>``, freeing its
   name for a move back; a database is left as it is) or dropped.

A schema already under the tenant's name (moving back to SCHEMA) is refused when it holds users;
one without users is what a crashed earlier move leaves (cloned, not filled) and is replaced.
Uploaded photo files live in MEDIA_ROOT and do not move. URLs are logged and reported masked."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from accounts.audit import Outcome, audit_record
from config.crypto import decrypt, encrypt
from config.database_urls import scrub_urls
from tenants.databases import masked, parse_url, tenant_databases
from tenants.directory import bump_generation
from tenants.models import Tenant

from ..own_database import temporary_alias
from .base import (
    AUDIT_KIND,
    DATABASE,
    SCHEMA,
    SCHEMA_NAME_PATTERN,
    WAIT_POLL_SECONDS,
    MoveReport,
    TenantMoveFailed,
    copy_order,
    drop_tables,
    failure_message,
    schema_drop,
    tenant_models,
)
from .table_copy import copy_verify, tables_copy
from .targets import prepared_target, source_alias

log = logging.getLogger(__name__)


def tenant_move(*, tenant: Tenant, to: str, database_url: str = "", actor: str = "", progress=None,
                keep_source: bool = True, wait_seconds: float = 60.0,
                settle_seconds: float | None = None) -> MoveReport:
    """Move the tenant's data to ``to`` ("DATABASE", at ``database_url``, or "SCHEMA") and switch it
    there. ``progress(table, rows)`` is called after each table is copied. Raises ValidationError
    when the move is refused (nothing changed) and TenantMoveFailed when it stopped on the way
    (the tenant is back as it was, the target cleaned up).

    ``wait_seconds`` bounds the wait for sync batches being processed; ``settle_seconds`` (default
    TENANT_MOVE_SETTLE_SECONDS, 2) is the pause that lets requests already under way finish, once
    after writes are refused and once after the switch, before the old copy is renamed or dropped."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        raise RuntimeError("tenant_move commits on several databases: call it outside a transaction.")
    started = time.monotonic()
    settle = _settle_seconds() if settle_seconds is None else settle_seconds
    to = (to or "").strip().upper()
    database_url = (database_url or "").strip()
    with schema_context(get_public_schema_name()):
        tenant.refresh_from_db()
        _refuse_unless_possible(tenant, to=to, database_url=database_url)
        source_url = _source_url(tenant)
        previous_status = tenant.status
        report = MoveReport(tenant=tenant, from_level=tenant.isolation, to_level=to)
        _status_set(tenant, old=previous_status, new=Tenant.Status.MIGRATING)
        log.info("tenant %s: moving from %s to %s%s", tenant.public_id, report.from_level, to,
                 f" ({masked(database_url)})" if database_url else "")
        try:
            with source_alias(tenant, source_url) as source, prepared_target(tenant, to, database_url) as target:
                _pause(settle)  # requests already past the 503 check finish their writes
                _wait_until_idle(source, tenant=tenant, seconds=wait_seconds)
                target.prepare()
                report.tables = tables_copy(source, target.alias, progress=progress)
                copy_verify(source, target.alias, report.tables)
                _switch(tenant, to=to, database_url=database_url, status=previous_status)
                target.keep()
        except BaseException as exc:  # Ctrl-C too: the tenant must not stay MIGRATING
            message = scrub_urls(failure_message(exc), database_url, source_url)
            _status_set(tenant, old=Tenant.Status.MIGRATING, new=previous_status)
            _audit(tenant, Outcome.FAILURE, actor,
                   {"from": report.from_level, "to": to, "error": message[:500],
                    **({"database": masked(database_url)} if database_url else {})})
            log.warning("tenant %s: move to %s failed, nothing changed: %s", tenant.public_id, to, message)
            if not isinstance(exc, Exception):
                raise
            raise TenantMoveFailed(message, table=getattr(exc, "table", "")) from None
        tenant_databases.forget_tenant(tenant)
        tenant.refresh_from_db()
        # Requests that read the old place just before the switch finish before it goes away.
        _pause(settle)
        report.source_kept_at = _source_after(tenant, report, source_url=source_url, keep=keep_source)
        report.seconds = time.monotonic() - started
        _audit(tenant, Outcome.SUCCESS, actor, {
            "from": report.from_level, "to": to, "tables": len(report.tables), "rows": sum(report.tables.values()),
            "seconds": round(report.seconds, 1), "sourceKeptAt": report.source_kept_at,
            **({"database": masked(database_url)} if database_url else {})})
    log.info("tenant %s: moved to %s in %.1fs (%s rows)", tenant.public_id, to, report.seconds,
             sum(report.tables.values()))
    return report


def _refuse_unless_possible(tenant: Tenant, *, to: str, database_url: str) -> None:
    from ..provisioning import database_url_check

    if to not in (SCHEMA, DATABASE):
        raise ValidationError({"to": ["Move a tenant to SCHEMA or DATABASE."]})
    if tenant.is_deleted:
        raise ValidationError({"tenant": ["This tenant is deleted."]})
    if tenant.status == Tenant.Status.SUSPENDED:
        raise ValidationError({"tenant": ["This tenant is suspended: reactivate it before moving it."]})
    if tenant.status == Tenant.Status.MIGRATING:
        raise ValidationError({"tenant": [
            "This tenant is already being moved (if no move is running, an earlier one was interrupted: its "
            "data is still where its isolation level says; set its status back to ACTIVE or TRIAL)."]})
    if tenant.isolation == to:
        where = "its own database" if to == DATABASE else "a schema of the shared database"
        raise ValidationError({"to": [f"This tenant already lives in {where}."]})
    if to == DATABASE:
        if not database_url:
            raise ValidationError({"database_url": ["A move to DATABASE needs the URL of the tenant's database."]})
        if _engine_of(database_url) == "mssql":
            raise ValidationError({"database_url": ["Moving a tenant to SQL Server is not supported; use "
                                                    "PostgreSQL or MySQL/MariaDB."]})
        database_url_check(database_url)  # reachable, writable, holding no tenant's data
        return
    if database_url:
        raise ValidationError({"database_url": ["A move to SCHEMA takes no database URL."]})
    if not SCHEMA_NAME_PATTERN.fullmatch(tenant.schema_name):
        raise ValidationError({"tenant": [f"{tenant.schema_name!r} is not a usable schema name."]})
    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        raise ValidationError({"to": ["The tenant template schema is missing: run `python manage.py "
                                      "migrate_schemas`."]})
    if schema_exists(tenant.schema_name, case_sensitive=False) and _schema_holds_users(tenant.schema_name):
        raise ValidationError({"to": [
            f"A schema named {tenant.schema_name} already holds users in the shared database; rename or drop "
            "it before moving this tenant back."]})


def _source_url(tenant: Tenant) -> str:
    if not tenant.has_own_database:
        return ""
    from config.crypto import DecryptionFailed

    try:
        return decrypt(tenant.database_url)
    except DecryptionFailed:
        raise ValidationError({"tenant": ["The database URL of this tenant cannot be decrypted with "
                                          "PUMPJACK_ENCRYPTION_KEY."]}) from None


def _engine_of(url: str) -> str:
    try:
        return parse_url(url).engine
    except Exception:
        return ""  # database_url_check says what is wrong with it


def _settle_seconds() -> float:
    return float(settings.TENANT_MOVE_SETTLE_SECONDS)


def _pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def _status_set(tenant: Tenant, *, old: str, new: str) -> None:
    """Change the status only if it still is ``old`` (two moves started at once: one wins)."""
    updated = Tenant.objects.filter(pk=tenant.pk, status=old, deleted_at__isnull=True).update(
        status=new, updated_at=timezone.now())
    bump_generation()  # every process refuses writes (or accepts them again) from its next request
    if not updated and new == Tenant.Status.MIGRATING:
        raise ValidationError({"tenant": ["The tenant changed meanwhile; look at it again and retry."]})
    tenant.status = new if updated else tenant.status


def _audit(tenant: Tenant, outcome: str, actor: str, detail: dict) -> None:
    """In the tenant's security log, wherever its data lives now."""
    try:
        with schema_context(tenant.schema_name):
            audit_record(kind=AUDIT_KIND, outcome=outcome, actor=actor or "move_tenant",
                         tenant_public_id=tenant.public_id, detail=detail)
    except Exception:  # the move itself is decided; a log row must not undo or hide it
        log.exception("tenant %s: could not write the move to its audit log", tenant.public_id)


def _wait_until_idle(source: str, *, tenant: Tenant, seconds: float) -> None:
    """Until no sync batch is being processed and no ETL run is running in the source (the
    processing of a worker that died long ago does not count: the sweeper would restart it)."""
    from sync.etl.loader import LOCK_SECONDS
    from sync.models import EtlRun, SyncBatch

    deadline = time.monotonic() + seconds
    while True:
        now = timezone.now()
        processing_grace = timedelta(seconds=getattr(settings, "SYNC_SWEEP_PROCESSING_AFTER_SECONDS", 600))
        busy_batches = (SyncBatch.objects.using(source)
                        .filter(status=SyncBatch.Status.PROCESSING, started_at__gte=now - processing_grace).count())
        busy_runs = (EtlRun.objects.using(source)
                     .filter(status=EtlRun.Status.RUNNING, started_at__gte=now - timedelta(seconds=LOCK_SECONDS))
                     .count())
        if not busy_batches and not busy_runs:
            return
        if time.monotonic() >= deadline:
            raise TenantMoveFailed(
                f"After {seconds:g}s, {busy_batches} sync batch(es) and {busy_runs} ETL run(s) of tenant "
                f"{tenant.public_id} are still being processed; nothing was moved. Try again later.")
        time.sleep(WAIT_POLL_SECONDS)


def _switch(tenant: Tenant, *, to: str, database_url: str, status: str) -> None:
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        updated = Tenant.objects.filter(pk=tenant.pk, status=Tenant.Status.MIGRATING, deleted_at__isnull=True).update(
            isolation=to, database_url=encrypt(database_url) if to == DATABASE else "", status=status,
            updated_at=timezone.now())
        if updated != 1:
            raise TenantMoveFailed("The tenant was changed (suspended or deleted) during the move; not switched.")
        bump_generation()  # after commit: every process forgets where the tenant was


def _source_after(tenant: Tenant, report: MoveReport, *, source_url: str, keep: bool) -> str:
    """Keep (a schema renamed out of the way) or drop the old copy; where it was kept, or ""."""
    try:
        if report.from_level == SCHEMA:
            if keep:
                kept = f"{tenant.schema_name}_moved_{timezone.now():%Y%m%d%H%M%S}"[:63]
                with connection.cursor() as cursor:
                    cursor.execute(f'ALTER SCHEMA "{tenant.schema_name}" RENAME TO "{kept}"')
                return kept
            schema_drop(tenant.schema_name)
            return ""
        if keep:
            return masked(source_url)
        with temporary_alias(source_url) as alias:
            present = set(connections[alias].introspection.table_names())
            drop_tables(alias, ({m._meta.db_table for m in tenant_models()} | {"django_migrations"}) & present)
        return ""
    except Exception as exc:  # the tenant has moved; the old copy is only left where it was
        where = tenant.schema_name if report.from_level == SCHEMA else masked(source_url)
        message = scrub_urls(f"the old copy at {where} could not be {'renamed' if keep else 'dropped'}: "
                            f"{failure_message(exc)}", source_url)
        log.error("tenant %s: %s", tenant.public_id, message)
        report.warnings.append(message)
        return where


def _schema_holds_users(schema_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".accounts_user'])
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{schema_name}".accounts_user)')
        return bool(cursor.fetchone()[0])


__all__ = ["MoveReport", "TenantMoveFailed", "copy_order", "tenant_models", "tenant_move"]
