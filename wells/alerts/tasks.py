"""The periodic alert job (beat: config.settings.tasks), over every live tenant."""

from __future__ import annotations

from celery import shared_task

import config.celery  # noqa: F401  (the configured app: shared_task binds to it)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def alerts_evaluate_tenants() -> int:
    """Evaluate every rule in every tenant (missed visits, and anything a batch did not touch);
    one e-mail per tenant with its new alerts. Returns the number of alerts opened."""
    from tenants.context import for_each_tenant

    from .hooks import alerts_evaluate_all

    return sum(for_each_tenant(lambda tenant: alerts_evaluate_all(), purpose="alert evaluation").values())
