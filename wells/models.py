"""The well-data core, in each tenant's schema. Rules are database constraints as well as
validation (wells.services), so nothing that bypasses the services can store a bad value."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from .domain import (
    ALL_PRODUCTION_UNITS,
    ALL_READING_UNITS,
    PRODUCT_UNITS,
    READING_UNITS,
    EquipmentStatus,
    EquipmentType,
    InspectionStatus,
    InspectionType,
    Product,
    ReadingType,
    WellStatus,
)
from .leases import Disposition, Lease, StrappingRow, Tank, TankGauge  # noqa: F401  (models of this app)
from .alerts.models import Alert, AlertRule  # noqa: F401,E402  (models of this app: alerts, API.md section 15)


def _choices_check(field: str, values) -> Q:
    return Q(**{f"{field}__in": list(values)})


def _pairs_check(left: str, right: str, table: dict[str, tuple[str, ...]]) -> Q:
    condition = Q()
    for key, units in table.items():
        condition |= Q(**{left: key, f"{right}__in": list(units)})
    return condition


class Well(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_number = models.CharField("API number", max_length=14, unique=True)
    name = models.CharField(max_length=200)
    lease = models.CharField(max_length=200, blank=True, default="")
    # The lease entity (API.md section 13: ``leaseId``); the text ``lease`` above stays its name.
    lease_ref = models.ForeignKey(Lease, null=True, blank=True, on_delete=models.SET_NULL, related_name="wells",
                                  db_column="lease_id")
    field = models.CharField(max_length=200, blank=True, default="")
    county = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=2, blank=True, default="")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(max_length=16, choices=WellStatus.choices, default=WellStatus.ACTIVE)
    spud_date = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "api_number"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["lease"]),
            models.Index(fields=["field"]),
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(api_number__regex=r"^[0-9]{14}$"), name="well_api_number_14_digits"),
            models.CheckConstraint(condition=_choices_check("status", WellStatus.values), name="well_status_valid"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name="well_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="well_longitude_range",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="well_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.api_number})"


class WellAssignment(models.Model):
    """A well on an OPERATOR's route. The route is the only source of "which wells may this
    operator see" (see wells.selectors.wells_for_user)."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="well_assignments")
    well = models.ForeignKey(Well, on_delete=models.CASCADE, related_name="assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "well"], name="assignment_user_well_unique")]
        indexes = [models.Index(fields=["well"])]


class Equipment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    well = models.ForeignKey(Well, on_delete=models.CASCADE, related_name="equipment")
    type = models.CharField(max_length=20, choices=EquipmentType.choices)
    name = models.CharField(max_length=200)
    serial_number = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=20, choices=EquipmentStatus.choices, default=EquipmentStatus.IN_SERVICE)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "equipment"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=_choices_check("type", EquipmentType.values), name="equipment_type_valid"),
            models.CheckConstraint(
                condition=_choices_check("status", EquipmentStatus.values), name="equipment_status_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="equipment_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_type_display()})"


class FieldRecord(models.Model):
    """What every record made in the field has: its well, who recorded it, the sync event it came
    from, and the record that superseded it (null for the current record of its conflict key).
    Losing values are never deleted: they stay as superseded records."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: every record model's (well, its moment) index serves the same lookups,
    # and a chunk of sync events writes thousands of records (each index costs WAL and time).
    well = models.ForeignKey(Well, on_delete=models.CASCADE, related_name="+", db_index=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_event_id = models.UUIDField(null=True, blank=True, db_index=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class ProductionRecord(FieldRecord):
    production_date = models.DateField()
    product = models.CharField(max_length=8, choices=Product.choices)
    volume = models.DecimalField(max_digits=14, decimal_places=3)
    unit = models.CharField(max_length=8, choices=[(u, u) for u in ALL_PRODUCTION_UNITS])
    # In the product's base unit (BBL for oil and water, MCF for gas): comparable and summable.
    volume_normalized = models.DecimalField(max_digits=16, decimal_places=3)
    downtime_hours = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    downtime_reason = models.CharField(max_length=500, blank=True, default="")
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-production_date", "product"]
        indexes = [models.Index(fields=["well", "production_date"]), models.Index(fields=["production_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["well", "production_date", "product"], condition=Q(superseded_by__isnull=True),
                name="production_current_per_key",
            ),
            models.CheckConstraint(condition=_choices_check("product", Product.values), name="production_product_valid"),
            models.CheckConstraint(condition=_pairs_check("product", "unit", PRODUCT_UNITS), name="production_unit_valid"),
            models.CheckConstraint(condition=Q(volume__gte=0), name="production_volume_non_negative"),
            models.CheckConstraint(
                condition=Q(downtime_hours__isnull=True) | Q(downtime_hours__gte=0, downtime_hours__lte=24),
                name="production_downtime_0_24",
            ),
        ]


class WellReading(FieldRecord):
    equipment = models.ForeignKey(Equipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reading_type = models.CharField(max_length=16, choices=ReadingType.choices)
    value = models.DecimalField(max_digits=14, decimal_places=3)
    unit = models.CharField(max_length=8, choices=[(u, u) for u in ALL_READING_UNITS])
    value_normalized = models.DecimalField(max_digits=16, decimal_places=3)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["well", "recorded_at"])]
        constraints = [
            models.CheckConstraint(condition=_choices_check("reading_type", ReadingType.values), name="reading_type_valid"),
            models.CheckConstraint(condition=_pairs_check("reading_type", "unit", READING_UNITS), name="reading_unit_valid"),
        ]


class EquipmentInspection(FieldRecord):
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="+")
    inspection_type = models.CharField(max_length=16, choices=InspectionType.choices)
    status = models.CharField(max_length=16, choices=InspectionStatus.choices)
    inspected_at = models.DateTimeField()
    notes = models.TextField(blank=True, default="", max_length=10_000)

    class Meta:
        ordering = ["-inspected_at"]
        indexes = [models.Index(fields=["well", "inspected_at"])]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("inspection_type", InspectionType.values), name="inspection_type_valid"
            ),
            models.CheckConstraint(
                condition=_choices_check("status", InspectionStatus.values), name="inspection_status_valid"
            ),
        ]


class EquipmentRepair(FieldRecord):
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="+")
    description = models.TextField(max_length=10_000)
    parts_replaced = models.TextField(blank=True, default="", max_length=10_000)
    repaired_at = models.DateTimeField()

    class Meta:
        ordering = ["-repaired_at"]
        indexes = [models.Index(fields=["well", "repaired_at"])]


class FieldNote(FieldRecord):
    notes = models.TextField(max_length=10_000)
    recorded_at = models.DateTimeField()
    # A note composed by the MERGE rule from the day's original notes (which it supersedes).
    is_merged = models.BooleanField(default=False)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["well", "recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("notes"), 10_000), name="note_at_most_10000_chars"
            ),
        ]


def photo_path(instance: Photo, filename: str) -> str:
    # Files are kept apart per tenant, like their rows.
    from django.db import connection

    return f"tenants/{connection.schema_name}/photos/{instance.well_id}/{instance.photo_id}"


class Photo(FieldRecord):
    equipment = models.ForeignKey(Equipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    photo_id = models.UUIDField(unique=True)
    file = models.FileField(upload_to=photo_path, max_length=300, null=True, blank=True)
    content_type = models.CharField(max_length=40, blank=True, default="")
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    taken_at = models.DateTimeField()
    caption = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["well", "taken_at"])]


class QuarantinedRecord(models.Model):
    """A row (or one value of it) stored by an earlier version with a date or time outside the wire
    bounds, moved out of the way by wells.quarantine so that every list reads again. Kept for
    review (``manage.py quarantined_records``), never deleted."""

    class Action(models.TextChoices):
        MOVED = "moved"  # the row left its table; ``data`` holds all of it
        CLEARED = "cleared"  # the value was set to null in its row; ``data`` holds the row as it was

    id = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=60, help_text='Where the row was, e.g. "wells.WellReading".')
    record_id = models.CharField(max_length=64)
    well_id = models.UUIDField(null=True, blank=True, db_index=True)
    field = models.CharField(max_length=60)
    value = models.CharField(max_length=80, help_text="The value as the database wrote it, e.g. "
                             '"0001-12-31 10:00:00+00 BC".')
    action = models.CharField(max_length=8, choices=Action.choices)
    data = models.JSONField(default=dict)
    quarantined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-quarantined_at", "id"]
