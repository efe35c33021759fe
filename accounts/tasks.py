"""Periodic upkeep of authentication data, bounded per run."""

from datetime import timedelta

from celery import shared_task

import config.celery  # noqa: F401  (the configured app: shared_task binds to it)
from django.utils import timezone

PRUNE_BATCH = 5_000


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def prune_refresh_tokens() -> int:
    """Delete refresh tokens that expired more than a day ago, in every tenant schema."""
    from accounts.models import RefreshToken
    from tenants.context import for_each_tenant

    cutoff = timezone.now() - timedelta(days=1)

    def prune(tenant) -> int:
        ids = list(RefreshToken.objects.filter(expires_at__lt=cutoff).values_list("pk", flat=True)[:PRUNE_BATCH])
        return RefreshToken.objects.filter(pk__in=ids).delete()[0]

    return sum(for_each_tenant(prune, purpose="refresh token prune").values())
