"""Where the sync side calls in (sync.tasks): evaluate the alerts of the wells a batch touched,
right after it is processed. A failure here is logged and never fails the batch: the periodic
job evaluates every well again."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def _well_ids(stored) -> set:
    import uuid

    ids = set()
    for value in stored:
        if isinstance(value, str) and value.startswith("u:"):
            try:
                ids.add(uuid.UUID(value[2:]))
            except ValueError:
                continue
    return ids


def alerts_after_batch(*, batch_id, event_pks=None) -> int:
    """Evaluate the alerts of the wells of the batch's processed events (or of ``event_pks``);
    the number of alerts opened."""
    from sync.models import SyncEvent

    from .evaluation import alerts_evaluate

    try:
        events = SyncEvent.objects.filter(batch_id=batch_id).exclude(
            outcome__in=[SyncEvent.Outcome.PENDING, SyncEvent.Outcome.REJECTED, SyncEvent.Outcome.DUPLICATE])
        if event_pks is not None:
            events = events.filter(pk__in=event_pks)
        well_ids = _well_ids(events.values_list("cleaned__well_id", flat=True).distinct())
        if not well_ids:
            return 0
        return len(alerts_evaluate(well_ids=well_ids).opened)
    except Exception:  # noqa: BLE001 (alerts never fail a batch; the periodic job catches up)
        log.warning("alerts: evaluation after batch %s failed", batch_id, exc_info=True)
        return 0


def alerts_evaluate_all() -> int:
    """The periodic job's work for the active tenant: every rule, every well and tank."""
    from .evaluation import alerts_evaluate

    return len(alerts_evaluate().opened)
