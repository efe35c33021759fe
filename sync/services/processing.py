"""Batch processing (in a Celery worker, in the tenant's schema).

Events are applied in occurredAt order, each in its own transaction together with its outcome:
an event is either applied and marked, or neither. A retry (a second delivery, a worker killed
mid-batch) finds the applied events marked and skips them, so nothing is applied twice. The
well row of an event is locked while the event is decided, so parallel workers on overlapping
batches serialise per well and reach the state one worker would have reached.
"""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.db.models import Count
from django.utils import timezone

from tenants import databases as tenant_db
from tenants.models import Tenant
from wells.models import Well

from ..models import Change, Conflict, ConflictPolicy, SyncBatch, SyncEvent
from ..rules import RULES
from ..rules.base import ApplyContext, EventRejected, Outcome
from ..schemas import validate_event_payload
from .changes import change_record

log = logging.getLogger(__name__)


def strategy_for(event_type: str) -> str:
    rule = RULES[event_type]
    if not rule.configurable:
        return rule.default_strategy
    chosen = ConflictPolicy.objects.filter(event_type=event_type).values_list("strategy", flat=True).first()
    return chosen if chosen in rule.strategies else rule.default_strategy


def _tenant_time_zone() -> str:
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    zone = getattr(tenant, "time_zone", None)
    if zone:
        return zone
    return (Tenant.objects.filter(schema_name=connection.schema_name).values_list("time_zone", flat=True).first()
            or "America/Chicago")


def batch_process(*, batch_id) -> SyncBatch | None:
    """Apply the batch's pending events. Safe to call any number of times, concurrently too."""
    updated = SyncBatch.objects.filter(pk=batch_id, status__in=[SyncBatch.Status.QUEUED, SyncBatch.Status.PROCESSING,
                                                                SyncBatch.Status.FAILED])
    if not updated.exists():
        return SyncBatch.objects.filter(pk=batch_id).first()
    from django.db.models import F

    updated.update(status=SyncBatch.Status.PROCESSING, started_at=timezone.now(), attempts=F("attempts") + 1)
    time_zone = _tenant_time_zone()
    strategies: dict[str, str] = {}
    pending = list(
        SyncEvent.objects.filter(batch_id=batch_id, outcome=SyncEvent.Outcome.PENDING)
        .order_by("occurred_at", "received_at", "id")
        .values_list("pk", flat=True)
    )
    for event_pk in pending:
        with tenant_db.atomic():
            # skip_locked: another worker holding this event is applying it right now.
            event = (SyncEvent.objects.select_for_update(skip_locked=True, of=tenant_db.lock_of("self"))
                     .filter(pk=event_pk, outcome=SyncEvent.Outcome.PENDING).select_related("user").first())
            if event is None:
                continue
            if event.type not in strategies and event.type in RULES:
                strategies[event.type] = strategy_for(event.type)
            _apply(event, time_zone=time_zone, strategy=strategies.get(event.type, ""))
    return _finish(batch_id)


def _apply(event: SyncEvent, *, time_zone: str, strategy: str) -> None:
    now = timezone.now()
    rule = RULES.get(event.type)
    cleaned, errors = validate_event_payload(event.type, event.payload, now=event.received_at)
    outcome, conflict = None, None
    if rule is None or errors:
        _reject(event, "invalid_payload", "The event does not match its schema.", errors, now)
        return
    well = Well.objects.select_for_update().filter(pk=cleaned["well_id"], deleted_at__isnull=True).first()
    if well is None:
        _reject(event, "unknown_well", "The well no longer exists.", {}, now)
        return
    ctx = ApplyContext(event=event, payload=cleaned, well=well, user=event.user, time_zone=time_zone,
                       strategy=strategy)
    try:
        with tenant_db.atomic():  # the rule's writes, undone together if it refuses the event
            result = rule.apply(ctx)
    except EventRejected as exc:
        _reject(event, exc.code, exc.message, {}, now)
        return
    except OperationalError:
        raise  # the database went away: let the task retry; nothing of this event was kept
    except Exception as exc:  # a bug must not stop the batch: the event is kept, rejected, and logged
        log.exception("sync: event %s could not be applied", event.event_id)
        _reject(event, "processing_error", f"The server could not apply this event ({type(exc).__name__}).", {}, now)
        return
    outcome = result.outcome
    if result.conflict is not None:
        draft = result.conflict
        conflict = Conflict.objects.create(
            event=event, well=well, event_type=event.type, reason=draft.reason, strategy=strategy,
            status=draft.status, local_data=draft.local_data, server_data=draft.server_data,
        )
        change_record(entity=Change.Entity.CONFLICT, entity_id=conflict.pk, well_id=well.pk)
    event.outcome = outcome
    event.errors = []
    event.processed_at = now
    event.save(update_fields=["outcome", "errors", "processed_at"])
    if conflict is not None and conflict.status == Conflict.Status.PENDING_REVIEW:
        log.info("sync: event %s waits for review (conflict %s)", event.event_id, conflict.pk)


def _reject(event: SyncEvent, code: str, message: str, details: dict, now) -> None:
    event.outcome = SyncEvent.Outcome.REJECTED
    event.errors = [{"eventId": str(event.event_id), "code": code, "message": message, "details": details}]
    event.processed_at = now
    event.save(update_fields=["outcome", "errors", "processed_at"])


def _finish(batch_id) -> SyncBatch:
    left = SyncEvent.objects.filter(batch_id=batch_id, outcome=SyncEvent.Outcome.PENDING).exists()
    if not left:
        SyncBatch.objects.filter(pk=batch_id).exclude(status=SyncBatch.Status.COMPLETED).update(
            status=SyncBatch.Status.COMPLETED, finished_at=timezone.now())
    return SyncBatch.objects.get(pk=batch_id)


def batch_counts(*, batch: SyncBatch) -> dict[str, int]:
    rows = dict(batch.events.values("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    return {
        "applied": rows.get(Outcome.APPLIED, 0),
        "autoResolved": rows.get(Outcome.AUTO_RESOLVED, 0),
        "pendingReview": rows.get(Outcome.PENDING_REVIEW, 0),
        "rejected": rows.get(Outcome.REJECTED, 0) + batch.rejected_events.count(),
        "duplicates": len(batch.duplicate_event_ids),
    }
