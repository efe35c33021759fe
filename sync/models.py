"""The sync event log, in each tenant's schema (API.md sections 6-8). Nothing a device sends is
ever dropped: accepted and rejected events are both stored, with their outcome."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Device(models.Model):
    class Platform(models.TextChoices):
        ELECTRON = "electron"
        IOS = "ios"
        ANDROID = "android"
        WEB = "web"
        CLI = "cli"
        INTEGRATION = "integration"

    id = models.BigAutoField(primary_key=True)
    device_id = models.CharField(max_length=100, unique=True)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    app_version = models.CharField(max_length=40, blank=True, default="")
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.device_id} ({self.platform})"


class SyncBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        PROCESSING = "PROCESSING"
        COMPLETED = "COMPLETED"
        FAILED = "FAILED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device = models.ForeignKey(Device, null=True, on_delete=models.SET_NULL, related_name="batches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    received_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # Events of this request already stored by an earlier one (same id, same content).
    duplicate_event_ids = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["QUEUED", "PROCESSING", "COMPLETED", "FAILED"]), name="batch_status_valid"
            )
        ]


class SyncEvent(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "PENDING"  # stored, not processed yet
        APPLIED = "APPLIED"
        AUTO_RESOLVED = "AUTO_RESOLVED"
        PENDING_REVIEW = "PENDING_REVIEW"
        REJECTED = "REJECTED"
        DUPLICATE = "DUPLICATE"

    id = models.BigAutoField(primary_key=True)
    # The device's event id: unique in the tenant, which makes intake idempotent.
    event_id = models.UUIDField(unique=True)
    # Indexed by (batch, occurred_at) below, which serves every lookup by batch.
    batch = models.ForeignKey(SyncBatch, on_delete=models.CASCADE, related_name="events", db_index=False)
    type = models.CharField(max_length=40)
    payload = models.JSONField()
    # The payload as validated at intake (typed values, tagged: sync.rules.base.cleaned_json);
    # processing uses it instead of validating again. Null for rejected events.
    cleaned = models.JSONField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the event as sent, to spot reused ids.")
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # The batch's device and user, copied (intake writes them from the batch it makes). The database
    # checks the batch's own references, and with them these: a check of their own for every event
    # was 10,000 row checks at the commit of a 5,000-event batch (50-80 ms of its intake). Django's
    # on_delete still sets them NULL when a device or user goes, as it does the batch's.
    device = models.ForeignKey(Device, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                             db_constraint=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    errors = models.JSONField(default=list, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A correction (API.md section 6): the id of the earlier event of the same type and well it corrects.
    # Indexed only where set (below): nearly every event is no correction.
    corrects_event_id = models.UUIDField(null=True, blank=True)
    # A correction whose target was not decided yet when its batch was processed: it waits (outcome
    # PENDING, its batch completes without it) until the target is decided (sync.rules.corrections).
    # Cleared when the event is decided, so that the waiting index below holds only the corrections
    # still waiting, not every one that ever waited (``waiting_ready`` reads it after every lane).
    waiting_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Every event is written once (intake, COPY) and updated once (its outcome, by processing).
        # Neither outcome, errors nor processed_at is indexed, and the table keeps half of each page
        # free (fillfactor 50, migration 0012): the outcome's new row version goes into the same
        # page without touching the table's indexes (a HOT update), which halves what marking a
        # chunk's outcomes costs. The waiting corrections have a small index of their own, and so do
        # the corrections (an index of every event's null corrects_event_id was one more index entry
        # for intake to write per event; PostgreSQL only: MySQL/MariaDB have no partial index).
        indexes = [
            models.Index(fields=["batch", "occurred_at"]),
            models.Index(fields=["waiting_since"], condition=models.Q(waiting_since__isnull=False),
                         name="sync_event_waiting_idx"),
            models.Index(fields=["corrects_event_id"], condition=models.Q(corrects_event_id__isnull=False),
                         name="sync_event_corrects_idx"),
        ]


class Correction(models.Model):
    """The audit of one applied correction: who corrected which event, the values before and after,
    and the records (or the conflict) they live in. ``root_event_id`` names the first event of a
    chain of corrections, whose place in the order (occurredAt, receipt) every version keeps."""

    id = models.BigAutoField(primary_key=True)
    event = models.OneToOneField(SyncEvent, on_delete=models.CASCADE, related_name="correction")
    corrected_event_id = models.UUIDField(db_index=True)
    root_event_id = models.UUIDField(db_index=True)
    event_type = models.CharField(max_length=40)
    well_id = models.UUIDField(null=True, blank=True)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    old_values = models.JSONField(default=dict, blank=True)
    new_values = models.JSONField(default=dict, blank=True)
    # The record the corrected values replaced and the one holding them now (null: the values wait in
    # ``conflict`` for review, or the type changes the well itself).
    old_record_id = models.UUIDField(null=True, blank=True, db_index=True)
    new_record_id = models.UUIDField(null=True, blank=True)
    conflict = models.ForeignKey("Conflict", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class RejectedEvent(models.Model):
    """An event refused at intake whose id could not be stored as a SyncEvent (a malformed id, or
    an id already used for other content): kept verbatim for review, never silently dropped."""

    id = models.BigAutoField(primary_key=True)
    batch = models.ForeignKey(SyncBatch, on_delete=models.CASCADE, related_name="rejected_events")
    raw = models.JSONField()
    code = models.CharField(max_length=40)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)


class Conflict(models.Model):
    class Status(models.TextChoices):
        PENDING_REVIEW = "PENDING_REVIEW"
        AUTO_RESOLVED = "AUTO_RESOLVED"
        RESOLVED = "RESOLVED"
        IGNORED = "IGNORED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A conflict comes from a sync event, or (no event) from another source named in ``source``:
    # "etl:<EtlSource id>" for an ETL pull, whose side is local_data (the field's is server_data).
    event = models.ForeignKey(SyncEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=64, blank=True, default="")
    well = models.ForeignKey("wells.Well", null=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False)  # (well, status) serves its lookups
    event_type = models.CharField(max_length=40)
    reason = models.TextField()
    strategy = models.CharField(max_length=20)
    status = models.CharField(max_length=16, choices=Status.choices)
    local_data = models.JSONField(default=dict)
    server_data = models.JSONField(default=dict)
    resolution_action = models.CharField(max_length=16, blank=True, default="")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["well", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PENDING_REVIEW", "AUTO_RESOLVED", "RESOLVED", "IGNORED"]),
                name="conflict_status_valid",
            ),
            models.CheckConstraint(condition=Q(event__isnull=False) | ~Q(source=""), name="conflict_event_or_source"),
        ]


class ConflictPolicy(models.Model):
    """A tenant ADMIN's choice of strategy for a configurable event type (see sync.rules)."""

    event_type = models.CharField(max_length=40, unique=True)
    strategy = models.CharField(max_length=20)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)


def photo_blob_path(instance: "PhotoBlob", filename: str) -> str:
    from django.db import connection

    return f"tenants/{connection.schema_name}/photo-uploads/{instance.photo_id}"


class PhotoBlob(models.Model):
    """An uploaded image, kept by its photoId until (and after) a PHOTO_ATTACHED event names it."""

    photo_id = models.UUIDField(primary_key=True)
    file = models.FileField(upload_to=photo_blob_path, max_length=300)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


# =========================================================================== ETL (sync.etl)
# A tenant's own "source of truth" database, pulled read-only into its tables on a schedule.


class EtlSource(models.Model):
    """One external database of the tenant, with its mapping and cursor. The URL (with its
    password) is stored only encrypted (config.crypto); ``url_masked`` is what anyone sees."""

    class Engine(models.TextChoices):
        POSTGRESQL = "postgresql", "PostgreSQL"
        MYSQL = "mysql", "MySQL/MariaDB"
        SQLITE = "sqlite", "SQLite"
        MSSQL = "mssql", "SQL Server"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    engine = models.CharField(max_length=16, choices=Engine.choices)
    url_encrypted = models.TextField(help_text="Fernet token of the connection URL; never shown.")
    url_masked = models.CharField(max_length=500, help_text="The URL with its password replaced by •••.")
    interval_minutes = models.PositiveIntegerField(default=15)
    enabled = models.BooleanField(default=True)
    mapping = models.JSONField(default=dict, blank=True)
    # entity -> {"type": ..., "value": ...}: the incremental column's last value read (sync.etl.loader).
    cursor = models.JSONField(default=dict, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, help_text="Empty: due at the next beat.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(interval_minutes__gte=1, interval_minutes__lte=1440),
                                   name="etl_source_interval_1_1440"),
            models.CheckConstraint(condition=Q(engine__in=["postgresql", "mysql", "sqlite", "mssql"]),
                                   name="etl_source_engine_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url_masked})"

    def __repr__(self) -> str:
        return f"<EtlSource {self.name!r} {self.url_masked}>"


class EtlRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "RUNNING"
        SUCCEEDED = "SUCCEEDED"
        FAILED = "FAILED"

    class Trigger(models.TextChoices):
        SCHEDULE = "SCHEDULE"
        MANUAL = "MANUAL"

    REJECTED_ROWS_KEPT = 200

    id = models.BigAutoField(primary_key=True)
    source = models.ForeignKey(EtlSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    conflicts_created = models.PositiveIntegerField(default=0)
    # The first REJECTED_ROWS_KEPT rejected rows: {"entity", "key", "reason"}.
    rejected_rows = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["RUNNING", "SUCCEEDED", "FAILED"]),
                                   name="etl_run_status_valid"),
        ]

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None

    def __str__(self) -> str:
        return f"{self.source.name} run {self.pk} ({self.status})"
