"""The periodic alert job (beat: config.settings.tasks), over every live tenant. Batches evaluate
their own wells as soon as they are processed (sync.tasks.alerts_after_batch)."""

from __future__ import annotations

from celery import shared_task

import config.celery  # noqa: F401  (the configured app: shared_task binds to it)
from django.core.cache import cache

EVALUATE_LOCK = "alerts-evaluate-lock"


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def alerts_evaluate_tenants() -> int:
    """Evaluate every rule in every tenant (missed visits, and anything a batch did not touch);
    one e-mail per tenant with its new alerts. One run at a time (a run that finds the lock
    taken does nothing: the running one covers it). Returns the number of alerts opened."""
    from tenants.context import for_each_tenant

    from .evaluation import alerts_evaluate

    if not cache.add(EVALUATE_LOCK, "1", timeout=600):
        return 0
    try:
        return sum(for_each_tenant(lambda tenant: len(alerts_evaluate().opened), purpose="alert evaluation").values())
    finally:
        cache.delete(EVALUATE_LOCK)
