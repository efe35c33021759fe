"""Celery tasks of the ETL: the beat job (every minute) enqueues the sources that are due, in
every tenant; each run task pulls one source under that source's lock (sync.etl.loader), so
two runs of one source never overlap, while different sources run in parallel.

Registered through CELERY_IMPORTS (config/settings/tasks.py): autodiscovery only finds
``<app>.tasks`` modules."""

from __future__ import annotations

import logging

from celery import shared_task

import config.celery  # noqa: F401  (the configured app: shared_task binds to it)
from django.core.cache import cache
from django.utils import timezone

from .loader import LOCK_SECONDS

log = logging.getLogger(__name__)

SCHEDULE_LOCK = "etl-scheduler-lock"


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def etl_schedule() -> int:
    """Enqueue the due ETL sources of every tenant (not deleted, not suspended). One at a time."""
    from tenants.context import for_each_tenant

    from .services import etl_sources_schedule

    if not cache.add(SCHEDULE_LOCK, "1", timeout=110):
        return 0
    try:
        now = timezone.now()
        sent = sum(for_each_tenant(lambda tenant: etl_sources_schedule(now=now), purpose="etl schedule").values())
        if sent:
            log.info("etl: enqueued %s source runs", sent)
        return sent
    finally:
        cache.delete(SCHEDULE_LOCK)


@shared_task(acks_late=True, time_limit=LOCK_SECONDS, soft_time_limit=LOCK_SECONDS - 60)
def etl_run_source(source_id: str, trigger: str = "SCHEDULE") -> str:
    """Pull one source of the tenant the task travels with (tenant-schemas-celery, as every task).
    A second delivery while the first runs is skipped by the lock."""
    from tenants.context import current_tenant
    from tenants.models import Tenant

    from .loader import etl_source_run

    tenant = current_tenant()
    if tenant is None or tenant.status == Tenant.Status.MIGRATING:
        return "SKIPPED"  # being moved (the next schedule after the move runs it), or no tenant
    run = etl_source_run(source_id=source_id, trigger=trigger)
    return run.status if run is not None else "SKIPPED"
