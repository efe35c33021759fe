"""Reads of the sync app that depend on who asks (STYLE.md: selectors decide what a user sees):
a batch's report, the conflicts under review, a photo's image. The API views and the portal
pages call these and build no queries of their own."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from accounts.models import Role
from wells.models import Photo
from wells.selectors import wells_for_user

from .models import Conflict, Device, SyncBatch, SyncEvent
from .rules.base import Outcome


def batch_for_reader(*, user, batch_id) -> SyncBatch | None:
    """The batch if ``user`` sent it or reviews conflicts (MANAGER, ADMIN); else None (a 404)."""
    batch = SyncBatch.objects.filter(pk=batch_id).first()
    if batch is None or (batch.user_id != user.pk and not user.has_perm("sync.view_conflict")):
        return None
    return batch


def batch_report(*, batch: SyncBatch) -> dict:
    """A batch's status, counts and per-event results (GET /api/v1/sync/batches/{id}), read so
    that they agree although processing commits meanwhile: the events first, then the status,
    then the conflicts. COMPLETED commits with the last outcomes, so events read before it never
    show all decided beside a PROCESSING batch; a batch read COMPLETED after events read PENDING
    has its events read again (they are all decided now). Counts come from the same rows."""
    for _ in range(2):
        rows = list(batch.events.order_by("occurred_at", "id").values_list("pk", "event_id", "outcome", "errors"))
        status = SyncBatch.objects.filter(pk=batch.pk).values_list("status", flat=True).first() or batch.status
        if status != SyncBatch.Status.COMPLETED or all(row[2] != SyncEvent.Outcome.PENDING for row in rows):
            break
    conflicts = dict(Conflict.objects.filter(event__batch=batch).values_list("event_id", "id"))
    results = [
        {"eventId": str(event_id), "outcome": outcome,
         "conflict": conflicts.get(pk) if outcome != SyncEvent.Outcome.PENDING else None, "errors": errors}
        for pk, event_id, outcome, errors in rows
    ]
    kept_aside = list(batch.rejected_events.values_list("raw", "code", "message", "details"))
    results += [
        {"eventId": None if not isinstance(raw, dict) else str(raw.get("id"))[:80], "outcome": "REJECTED",
         "conflict": None, "errors": [{"code": code, "message": message, "details": details}]}
        for raw, code, message, details in kept_aside
    ]
    results += [{"eventId": eid, "outcome": "DUPLICATE", "conflict": None, "errors": []}
                for eid in batch.duplicate_event_ids]
    outcomes: dict[str, int] = defaultdict(int)
    for row in rows:
        outcomes[row[2]] += 1
    counts = {
        "applied": outcomes[Outcome.APPLIED],
        "autoResolved": outcomes[Outcome.AUTO_RESOLVED],
        "pendingReview": outcomes[Outcome.PENDING_REVIEW],
        "rejected": outcomes[Outcome.REJECTED] + len(kept_aside),
        "duplicates": len(batch.duplicate_event_ids),
    }
    return {"batchId": str(batch.pk), "status": status, "counts": counts, "results": results}


def conflict_list(*, user, status: str = "") -> QuerySet[Conflict]:
    """MANAGERs and ADMINs review every conflict (including those whose well was deleted since);
    anyone else sees the conflicts on the wells they may see."""
    if user.role in (Role.MANAGER, Role.ADMIN):
        conflicts = Conflict.objects.all()
    else:
        conflicts = Conflict.objects.filter(well__in=wells_for_user(user=user))
    if status:
        conflicts = conflicts.filter(status=status)
    return conflicts.order_by("-created_at")


def conflicts_pending_count(*, user) -> int:
    return conflict_list(user=user, status=Conflict.Status.PENDING_REVIEW).count()


def photo_for_user(*, user, photo_id) -> Photo | None:
    """The photo if ``user`` may see its well and its image has arrived; else None (a 404)."""
    photo = Photo.objects.filter(photo_id=photo_id, well__in=wells_for_user(user=user)).first()
    return photo if photo is not None and photo.file else None


def last_sync_per_operator() -> list[dict]:
    """Every active OPERATOR with the last time one of their devices synced (None: never), the
    longest silent first: the manager's "who has not synced" list. Read from the devices (one row
    per device, its last user), not from the batches."""
    from django.db.models import Max

    from accounts.models import User

    last = dict(Device.objects.filter(last_user__isnull=False).values("last_user_id")
                .annotate(at=Max("last_seen_at")).values_list("last_user_id", "at"))
    rows = [{"name": name or email, "at": last.get(pk)} for pk, name, email in
            User.objects.filter(role=Role.OPERATOR, is_active=True).values_list("pk", "name", "email")]
    return sorted(rows, key=lambda row: (row["at"] is not None, row["at"].timestamp() if row["at"] else 0))
