"""Periodic upkeep of authentication data, bounded per run."""

from datetime import timedelta

from celery import shared_task

import config.celery  # noqa: F401  (the configured app: shared_task binds to it)
from django.utils import timezone
from django_tenants.utils import schema_context

PRUNE_BATCH = 5_000


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def prune_refresh_tokens() -> int:
    """Delete refresh tokens that expired more than a day ago, in every tenant schema."""
    from accounts.models import RefreshToken
    from tenants.models import Tenant

    cutoff = timezone.now() - timedelta(days=1)
    removed = 0
    for schema_name in Tenant.objects.filter(deleted_at__isnull=True).values_list("schema_name", flat=True):
        with schema_context(schema_name):
            ids = list(RefreshToken.objects.filter(expires_at__lt=cutoff).values_list("pk", flat=True)[:PRUNE_BATCH])
            removed += RefreshToken.objects.filter(pk__in=ids).delete()[0]
    return removed
