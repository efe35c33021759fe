"""The sync figures of /metrics (API.md section 12), read from the database at scrape time:
events by type and outcome, batches by status, the oldest pending batch, conflicts waiting for
review, across every schema tenant in one statement per 200 schemas and every DATABASE tenant on
its own server, whose reachability is ``pumpjack_tenant_database_up``. Cached for
METRICS_DATABASE_CACHE_SECONDS. Registered with config.metrics when the app is ready."""

from __future__ import annotations

import logging
import threading
import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from config.metrics import scrape_collector

log = logging.getLogger(__name__)

_SCHEMAS_PER_STATEMENT = 200
_PENDING_BATCH = ("QUEUED", "PROCESSING")


class _SyncFigures:
    def __init__(self) -> None:
        self.events: dict[tuple[str, str], int] = {}
        self.batches: dict[str, int] = {}
        self.oldest_pending: float | None = None  # a timestamp
        self.conflicts_pending = 0
        self.database_up: dict[str, int] = {}

    def add(self, cursor, schemas: list[str]) -> None:
        """Add the figures of these schemas, read through ``cursor`` (one server)."""
        from psycopg import sql

        for start in range(0, len(schemas), _SCHEMAS_PER_STATEMENT):
            part = schemas[start:start + _SCHEMAS_PER_STATEMENT]
            self._add_events(cursor, sql, part)
            self._add_batches(cursor, sql, part)
            union = sql.SQL(" UNION ALL ").join(
                sql.SQL("SELECT count(*) FROM {}.sync_conflict WHERE status = 'PENDING_REVIEW'").format(
                    sql.Identifier(s)) for s in part)
            cursor.execute(sql.SQL("SELECT coalesce(sum(count), 0) FROM ({}) t").format(union).as_string(cursor.connection))
            self.conflicts_pending += int(cursor.fetchone()[0])

    def _add_events(self, cursor, sql, schemas: list[str]) -> None:
        union = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT type, outcome, count(*) FROM {}.sync_syncevent GROUP BY 1, 2").format(sql.Identifier(s))
            for s in schemas)
        cursor.execute(union.as_string(cursor.connection))
        for event_type, outcome, count in cursor.fetchall():
            key = (event_type, outcome)
            self.events[key] = self.events.get(key, 0) + count

    def _add_batches(self, cursor, sql, schemas: list[str]) -> None:
        union = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT status, count(*), min(received_at) FILTER (WHERE status IN ('QUEUED', 'PROCESSING')) "
                    "FROM {}.sync_syncbatch GROUP BY 1").format(sql.Identifier(s))
            for s in schemas)
        cursor.execute(union.as_string(cursor.connection))
        for status, count, oldest in cursor.fetchall():
            self.batches[status] = self.batches.get(status, 0) + count
            if oldest is not None:
                stamp = oldest.timestamp()
                self.oldest_pending = stamp if self.oldest_pending is None else min(self.oldest_pending, stamp)


def _read_sync_figures() -> _SyncFigures:
    from django.db import connection, connections

    from tenants.databases import TenantDatabaseError, TenantDatabaseUnavailable, tenant_databases
    from tenants.models import Tenant

    figures = _SyncFigures()
    tenants = list(Tenant.objects.filter(deleted_at__isnull=True).exclude(schema_name="public")
                   .values_list("schema_name", "isolation", "public_id"))
    schema_tenants = [schema for schema, isolation, _ in tenants if isolation == Tenant.IsolationLevel.SCHEMA]
    with connection.cursor() as cursor:
        figures.add(cursor, _existing_schemas(cursor, schema_tenants))
    for tenant in Tenant.objects.filter(deleted_at__isnull=True, isolation=Tenant.IsolationLevel.DATABASE):
        try:
            alias = tenant_databases.ensure(tenant)
            tenant_databases.check_available(alias)
            with connections[alias].cursor() as cursor:
                figures.add(cursor, _existing_schemas(cursor, [tenant.schema_name]))
            figures.database_up[tenant.public_id] = 1
        except (TenantDatabaseError, TenantDatabaseUnavailable):
            figures.database_up[tenant.public_id] = 0
        except Exception as exc:  # its server is down or refuses us: that is the figure
            log.warning("metrics: tenant %s database: %s", tenant.public_id, type(exc).__name__)
            figures.database_up[tenant.public_id] = 0
    return figures


def _existing_schemas(cursor, schemas: list[str]) -> list[str]:
    """The schemas that exist and hold the sync tables (a tenant being provisioned may not yet)."""
    if not schemas:
        return []
    cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = 'sync_syncevent' "
                   "AND table_schema = ANY(%s)", [schemas])
    return sorted(row[0] for row in cursor.fetchall())


class SyncCollector:
    """The sync figures, read from the database at scrape time (cached a few seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: _SyncFigures | None = None
        self._read_at = 0.0

    def figures(self) -> _SyncFigures:
        from django.conf import settings

        with self._lock:
            if self._figures is None or time.monotonic() - self._read_at > settings.METRICS_DATABASE_CACHE_SECONDS:
                self._figures = _read_sync_figures()
                self._read_at = time.monotonic()
            return self._figures

    def clear(self) -> None:
        with self._lock:
            self._figures = None

    def collect(self):
        figures = self.figures()
        events = CounterMetricFamily("pumpjack_sync_events", "Sync events stored, by type and outcome.",
                                     labels=["type", "outcome"])
        for (event_type, outcome), count in sorted(figures.events.items()):
            events.add_metric([event_type, outcome], count)
        yield events
        batches = GaugeMetricFamily("pumpjack_sync_batches", "Sync batches, by status.", labels=["status"])
        for status in ("QUEUED", "PROCESSING", "COMPLETED", "FAILED"):
            batches.add_metric([status], figures.batches.get(status, 0))
        yield batches
        oldest = 0.0 if figures.oldest_pending is None else max(0.0, time.time() - figures.oldest_pending)
        yield GaugeMetricFamily("pumpjack_sync_oldest_pending_seconds",
                                "Age of the oldest batch still queued or processing (0 when none).", value=oldest)
        yield GaugeMetricFamily("pumpjack_conflicts_pending", "Conflicts waiting for review.",
                                value=figures.conflicts_pending)
        up = GaugeMetricFamily("pumpjack_tenant_database_up",
                               "Whether a DATABASE tenant's own database answers (1) or not (0).", labels=["tenant"])
        for public_id, value in sorted(figures.database_up.items()):
            up.add_metric([public_id], value)
        yield up


sync_collector = scrape_collector(SyncCollector())
