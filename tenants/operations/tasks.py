"""Periodic tenancy housekeeping."""

from __future__ import annotations

import logging

from celery import shared_task

import config.celery  # noqa: F401  (the configured app: shared_task binds to it)

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def spare_schemas_fill() -> int:
    """Keep TENANT_SPARE_SCHEMAS ready schemas for fast tenant provisioning."""
    from django.core.cache import cache

    from .spare_schemas import spare_schemas_fill as fill

    if not cache.add("tenant-spare-schemas-lock", "1", timeout=600):
        return 0  # another worker is filling
    try:
        made = fill()
    finally:
        cache.delete("tenant-spare-schemas-lock")
    if made:
        log.info("made %s ready tenant schemas", made)
    return made
