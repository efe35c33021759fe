"""Writing the change log and keeping it to its retention window."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from tenants import databases as tenant_db

from .models import Change, ChangeRetention
from .positions import on_postgres, stamp_committed

RETENTION_DAYS_DEFAULT = 30


def change_record(*, entity: str, entity_id, well_id, op: str = Change.Op.UPSERT, version: int = 1,
                  user_id=None) -> None:
    """Log a change for the pull feed (call it inside the transaction that makes the change; the
    database fills in its transaction id, so bulk inserts of Change rows need nothing more)."""
    Change.objects.create(entity=entity, entity_id=entity_id, op=op, well_id=well_id, version=version or 1,
                          user_id=user_id)


def retention_days() -> int:
    return getattr(settings, "SYNC_CHANGE_RETENTION_DAYS", RETENTION_DAYS_DEFAULT)


def changes_prune(*, older_than_days: int | None = None, batch_size: int = 10_000) -> int:
    """Forget changes older than the retention window; cursors that had not seen them answer 410."""
    days = older_than_days if older_than_days is not None else retention_days()
    if not on_postgres():
        stamp_committed()  # every committed row gets its commit position first: pruning must account for it
    cutoff = timezone.now() - timedelta(days=days)
    last = Change.objects.filter(created_at__lt=cutoff).aggregate(m=Max("seq"))["m"]
    if last is None:
        return 0
    rows = Change.objects.filter(seq__lte=last).order_by("seq")[:batch_size]
    ids = list(rows.values_list("seq", flat=True))
    marks = Change.objects.filter(seq__in=ids).aggregate(xid=Max("xid"), commit=Max("commit_seq"))
    removed = Change.objects.filter(seq__in=ids).delete()[0]
    with tenant_db.atomic():
        retention, _ = ChangeRetention.objects.select_for_update().get_or_create(pk=1)
        retention.pruned_through = max(retention.pruned_through, max(ids))
        retention.pruned_xid = max(retention.pruned_xid, marks["xid"] or 0)
        retention.pruned_commit_seq = max(retention.pruned_commit_seq, marks["commit"] or 0)
        retention.save(update_fields=["pruned_through", "pruned_xid", "pruned_commit_seq"])
    return removed
