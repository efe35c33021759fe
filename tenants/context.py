"""Which tenant is active, and the one loop over tenants (STYLE.md "One way for tenant-wide things").

``current_tenant()`` answers "whose data is active" everywhere: a request's tenant, or the one
that ``schema_context`` (tasks, commands, the staff pages) switched to. ``for_each_tenant`` is the
loop of every periodic job, with one rule for which tenants it visits and one error policy.
"""

from __future__ import annotations

import logging
import zoneinfo
from typing import Callable, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django_tenants.utils import schema_context

from .models import Tenant

log = logging.getLogger(__name__)
T = TypeVar("T")


def current_tenant() -> Tenant | None:
    """The tenant whose data the connection points at; None on the public schema."""
    schema_name = connection.schema_name
    if not schema_name or schema_name == settings.PUBLIC_SCHEMA_NAME:
        return None
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant) and tenant.schema_name == schema_name:
        return tenant
    # schema_context() activates a schema by name (django-tenants' stand-in object): read the row.
    tenant = Tenant.objects.using(DEFAULT_DB_ALIAS).filter(schema_name=schema_name).first()
    return tenant


def current_time_zone() -> zoneinfo.ZoneInfo:
    """The active tenant's time zone, which decides what a "day" is (API.md section 7)."""
    tenant = current_tenant()
    return zoneinfo.ZoneInfo(tenant.time_zone if tenant is not None else Tenant._meta.get_field("time_zone").default)


def tenants_live():
    """The tenants a periodic job visits: not deleted, not suspended, not being moved (MIGRATING:
    their rows are being copied to the new place)."""
    return Tenant.objects.using(DEFAULT_DB_ALIAS).filter(deleted_at__isnull=True, status=Tenant.Status.ACTIVE)


def for_each_tenant(job: Callable[[Tenant], T], *, purpose: str) -> dict[str, T]:
    """Run ``job(tenant)`` for every live tenant (``tenants_live``), with its data active.

    One tenant's failure (its own database down, say) never stops the others: it is logged with
    ``purpose`` and the tenant's id, and the loop goes on. Returns each successful tenant's result
    by schema name; the next run of the job retries the ones that failed.
    """
    results: dict[str, T] = {}
    for tenant in tenants_live().order_by("created_at"):
        try:
            # Each tenant's job in a transaction of its own (a savepoint when the caller holds one):
            # a failed statement of one tenant never leaves the next ones an aborted transaction.
            with schema_context(tenant.schema_name), transaction.atomic(using=DEFAULT_DB_ALIAS):
                results[tenant.schema_name] = job(tenant)
        except Exception:  # noqa: BLE001 (the policy: one tenant never stops the others)
            log.warning("%s: tenant %s failed; the others go on", purpose, tenant.public_id, exc_info=True)
    return results
