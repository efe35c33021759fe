"""Celery tasks of the sync app. Tasks take ids and run in the tenant's schema (the tenant travels
with the task: tenant-schemas-celery); the services they call refuse the wrong state, so a retry
or a second delivery does no harm."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

import config.celery  # noqa: F401  (the configured app: shared_task binds to it)
from django.core.cache import cache
from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)

def _grace(name: str, default_seconds: int) -> timedelta:
    from django.conf import settings

    return timedelta(seconds=getattr(settings, name, default_seconds))
SWEEP_BATCHES_PER_TENANT = 200
SWEEP_LOCK = "sync-sweeper-lock"
# While a tenant is being moved (status MIGRATING) its batches wait this long between looks.
HOLD_RETRY_SECONDS = 15


def _tenant_migrating() -> bool:
    """Whether the active tenant is being moved (tenants.operations.moves): read fresh, not from a cache."""
    from django.db import DEFAULT_DB_ALIAS, connection

    from tenants.models import Tenant

    return Tenant.objects.using(DEFAULT_DB_ALIAS).filter(schema_name=connection.schema_name,
                                                         status=Tenant.Status.MIGRATING).exists()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8)
def process_batch(self, batch_id: str) -> str:
    from .services.processing import batch_process

    if _tenant_migrating():
        # Its data is being copied: nothing may change it until the move is done. The batch stays
        # QUEUED; it is looked at again (no retry limit: a move ends), or found by the sweeper.
        if self.request.is_eager:
            return "HELD"
        raise self.retry(countdown=HOLD_RETRY_SECONDS, max_retries=None)
    # Eager (in-process) calls apply the whole batch here; a worker spreads a large one, and then
    # has the alerts of the wells of the lane it applied itself evaluated (each lane task its own).
    spread = []
    batch = batch_process(batch_id=batch_id, spread=not self.request.is_eager, lane_done=spread.append)
    if spread:
        _lane_alerts_later(batch_id, spread[0])
    else:
        alerts_after_batch(batch_id)
    return batch.status if batch else "MISSING"


def _lane_alerts_later(batch_id: str, well_ids: list[str] | None) -> None:
    """The alerts of the first lane's wells, as a task sent after the batch's other lanes: a free
    worker process takes it at once, and a worker of one process applies the other lanes first
    (the batch is COMPLETED ~30 ms sooner) instead of evaluating them in between. Evaluated here
    if it cannot be sent."""
    try:
        evaluate_lane_alerts.apply_async(args=[str(batch_id), well_ids])
    except Exception:  # noqa: BLE001 (the broker went away since the lanes were sent)
        log.warning("alerts: could not send the first lane's evaluation of batch %s", batch_id, exc_info=True)
        alerts_after_batch(batch_id, well_ids=well_ids)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def evaluate_lane_alerts(batch_id: str, well_ids: list[str] | None = None) -> int:
    """The alerts of the wells of a batch's lane applied by its ``process_batch`` task (None:
    those of the whole batch, looked up). Skipped while the tenant is being moved: nothing may
    change its data then, and the periodic job (wells.alerts.tasks) evaluates every well after."""
    if _tenant_migrating():
        return 0
    return alerts_after_batch(batch_id, well_ids=well_ids)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8)
def process_lane(self, batch_id: str, event_pks: list[int], well_ids: list[str] | None = None) -> str:
    """One lane of a large batch (sync.services.processing.batch_lanes), sent by ``process_batch``
    so that another worker process applies it meanwhile, with the wells of its events (whose
    alerts it evaluates then; a lane sent without them, by an earlier release, looks them up).
    Its events that are no longer pending (a second delivery, or the sweeper's new run of the
    batch got there first) are skipped."""
    from .services.processing import lane_process

    if _tenant_migrating():
        if self.request.is_eager:
            return "HELD"
        raise self.retry(countdown=HOLD_RETRY_SECONDS, max_retries=None)
    lane_process(batch_id=batch_id, event_pks=event_pks)
    alerts_after_batch(batch_id, event_pks, well_ids=well_ids)
    return "DONE"


def alerts_after_batch(batch_id: str, event_pks: list[int] | None = None, well_ids: list[str] | None = None) -> int:
    """Alerts for the wells of the batch's events just processed (API.md section 15: wells.alerts);
    the number opened. ``well_ids``: those wells, known already (a lane's: evaluating a well whose
    events were all refused costs a little and changes nothing); else they are looked up. A
    failure is logged and never fails the batch: the periodic job catches up."""
    from wells.alerts.evaluation import alerts_evaluate

    from .models import SyncEvent

    try:
        if well_ids is not None:
            return len(alerts_evaluate(well_ids=well_ids).opened) if well_ids else 0
        events = SyncEvent.objects.filter(batch_id=batch_id).exclude(
            outcome__in=[SyncEvent.Outcome.PENDING, SyncEvent.Outcome.REJECTED, SyncEvent.Outcome.DUPLICATE])
        if event_pks is not None:
            events = events.filter(pk__in=event_pks)
        stored = events.values_list("cleaned__well_id", flat=True).distinct()  # "u:<uuid>" (rules.base tags)
        well_ids = {value[2:] for value in stored if isinstance(value, str) and value.startswith("u:")}
        return len(alerts_evaluate(well_ids=well_ids).opened) if well_ids else 0
    except Exception:  # noqa: BLE001 (alerts never fail a batch)
        log.warning("alerts: evaluation after batch %s failed", batch_id, exc_info=True)
        return 0


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def sweep_stuck_batches() -> int:
    """Re-enqueue batches left QUEUED (enqueue lost: broker down at intake) or PROCESSING too long
    (worker died), in every tenant. Bounded per tenant; one sweeper at a time."""
    from tenants.context import for_each_tenant

    from .models import SyncBatch

    if not cache.add(SWEEP_LOCK, "1", timeout=240):
        return 0
    try:
        now = timezone.now()
        queued_grace = _grace("SYNC_SWEEP_QUEUED_AFTER_SECONDS", 60)
        processing_grace = _grace("SYNC_SWEEP_PROCESSING_AFTER_SECONDS", 600)

        def sweep(tenant) -> int:
            stuck = list(
                SyncBatch.objects.filter(
                    Q(status=SyncBatch.Status.QUEUED, received_at__lt=now - queued_grace)
                    | Q(status=SyncBatch.Status.PROCESSING, started_at__lt=now - processing_grace)
                ).order_by("received_at").values_list("pk", flat=True)[:SWEEP_BATCHES_PER_TENANT]
            )
            for batch_id in stuck:
                process_batch.apply_async(args=[str(batch_id)])
            return len(stuck)

        # Active tenants only (tenants.context): a moved tenant's batches wait for the move, a
        # suspended one's for its reactivation; one tenant's outage never stops the sweep.
        sent = sum(for_each_tenant(sweep, purpose="sync sweeper").values())
        if sent:
            log.info("sync sweeper: re-enqueued %s batches", sent)
        return sent
    finally:
        cache.delete(SWEEP_LOCK)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def prune_change_log() -> int:
    """Drop pull-feed changes past the retention window, in every tenant (bounded per run)."""
    from tenants.context import for_each_tenant

    from wells.changelog.services import changes_prune

    return sum(for_each_tenant(lambda tenant: changes_prune(), purpose="change log prune").values())
