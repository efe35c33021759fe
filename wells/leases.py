"""Leases, their tanks, strapping tables and tank gauges (API.md section 13), in each tenant's
schema. Imported by wells.models, so Django (and the wells migrations) see them there.

As for wells, the rules are database constraints as well as validation (wells.lease_services):
choices, digits, positive sizes, a strapping row per height, one current gauge per tank and minute.
The rules that span rows of a strapping table (heights strictly increasing from 0, barrels never
decreasing) are checked by wells.strapping whenever a table is written; the table is replaced
whole, never row by row.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class LeaseKind(models.TextChoices):
    OIL = "OIL", "Oil"
    GAS = "GAS", "Gas"


class TankProduct(models.TextChoices):
    OIL = "OIL", "Oil"
    WATER = "WATER", "Water"


class LevelUnit(models.TextChoices):
    IN = "IN", "inches"
    FT = "FT", "feet"
    M = "M", "metres"


# The Texas Railroad Commission's districts (a lease number is unique within its district).
RRC_DISTRICTS = ("01", "02", "03", "04", "05", "06", "6E", "7B", "7C", "08", "8A", "09", "10")


class Lease(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    rrc_district = models.CharField("RRC district", max_length=2, blank=True, default="")
    rrc_lease_number = models.CharField("RRC lease number", max_length=10, blank=True, default="")
    kind = models.CharField(max_length=3, choices=LeaseKind.choices, default=LeaseKind.OIL)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "wells"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LeaseKind.values), name="lease_kind_valid"),
            models.CheckConstraint(condition=Q(rrc_district__in=("", *RRC_DISTRICTS)), name="lease_rrc_district_valid"),
            models.CheckConstraint(condition=Q(rrc_lease_number__regex=r"^[0-9]{0,10}$"),
                                   name="lease_rrc_number_digits"),
            models.CheckConstraint(condition=~Q(name=""), name="lease_name_not_blank"),
            models.CheckConstraint(condition=Q(version__gte=1), name="lease_version_positive"),
            models.UniqueConstraint(
                fields=["rrc_district", "rrc_lease_number"], name="lease_rrc_number_unique",
                condition=Q(deleted_at__isnull=True) & ~Q(rrc_lease_number=""),
            ),
        ]

    def __str__(self) -> str:
        number = f" ({self.rrc_district}-{self.rrc_lease_number})" if self.rrc_lease_number else ""
        return f"{self.name}{number}"


class Tank(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="tanks")
    name = models.CharField(max_length=100)
    product = models.CharField(max_length=5, choices=TankProduct.choices, default=TankProduct.OIL)
    capacity_bbl = models.DecimalField(max_digits=10, decimal_places=2)
    height_inches = models.DecimalField(max_digits=8, decimal_places=4)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "wells"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(product__in=TankProduct.values), name="tank_product_valid"),
            models.CheckConstraint(condition=Q(capacity_bbl__gt=0), name="tank_capacity_positive"),
            models.CheckConstraint(condition=Q(height_inches__gt=0), name="tank_height_positive"),
            models.CheckConstraint(condition=~Q(name=""), name="tank_name_not_blank"),
            models.CheckConstraint(condition=Q(version__gte=1), name="tank_version_positive"),
            models.UniqueConstraint(fields=["lease", "name"], condition=Q(deleted_at__isnull=True),
                                    name="tank_name_unique_on_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.capacity_bbl} bbl {self.get_product_display().lower()})"


class StrappingRow(models.Model):
    """One row of a tank's strapping table: the barrels in the tank at ``height_inches``."""

    id = models.BigAutoField(primary_key=True)
    tank = models.ForeignKey(Tank, on_delete=models.CASCADE, related_name="strapping_rows")
    height_inches = models.DecimalField(max_digits=8, decimal_places=4)
    barrels = models.DecimalField(max_digits=10, decimal_places=3)

    class Meta:
        app_label = "wells"
        ordering = ["tank", "height_inches"]
        constraints = [
            models.UniqueConstraint(fields=["tank", "height_inches"], name="strapping_one_row_per_height"),
            models.CheckConstraint(condition=Q(height_inches__gte=0), name="strapping_height_non_negative"),
            models.CheckConstraint(condition=Q(barrels__gte=0), name="strapping_barrels_non_negative"),
        ]


class TankGauge(models.Model):
    """A pumper's gauge of a tank: the level as read (``level`` in ``unit``), in inches, and the
    oil's temperature and BS&W when taken. The record the TANK_GAUGED event type writes (its
    conflict key: the tank and ``gauged_minute``); like the field records of a well, a losing
    value is kept, superseded (``superseded_by``), never deleted. Barrels are not stored: they
    follow from the tank's strapping table (wells.strapping.barrels_at) when read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tank = models.ForeignKey(Tank, on_delete=models.CASCADE, related_name="gauges",
                             db_index=False)  # (tank, gauged_at) serves its lookups
    level = models.DecimalField(max_digits=10, decimal_places=4)
    unit = models.CharField(max_length=2, choices=LevelUnit.choices)
    level_inches = models.DecimalField(max_digits=10, decimal_places=4)
    temperature_f = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    bsw_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    gauged_at = models.DateTimeField()
    # gauged_at truncated to the minute (UTC): the conflict key of TANK_GAUGED.
    gauged_minute = models.DateTimeField()
    notes = models.TextField(blank=True, default="", max_length=10_000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_event_id = models.UUIDField(null=True, blank=True, db_index=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "wells"
        ordering = ["-gauged_at"]
        indexes = [models.Index(fields=["tank", "gauged_at"])]
        constraints = [
            models.UniqueConstraint(fields=["tank", "gauged_minute"], condition=Q(superseded_by__isnull=True),
                                    name="tank_gauge_current_per_minute"),
            models.CheckConstraint(condition=Q(unit__in=LevelUnit.values), name="tank_gauge_unit_valid"),
            models.CheckConstraint(condition=Q(level__gte=0) & Q(level_inches__gte=0),
                                   name="tank_gauge_level_non_negative"),
            models.CheckConstraint(condition=Q(bsw_percent__isnull=True) | Q(bsw_percent__gte=0, bsw_percent__lte=100),
                                   name="tank_gauge_bsw_0_100"),
            models.CheckConstraint(
                condition=Q(temperature_f__isnull=True) | Q(temperature_f__gte=-58, temperature_f__lte=302),
                name="tank_gauge_temperature_range"),
        ]


class RunTicketKind(models.TextChoices):
    TANK = "TANK", "Tank (strapped)"
    LACT = "LACT", "LACT unit (meter)"


# The RRC's disposition codes as the P-1/PR forms print them (0 pipeline, 1 truck, ...): one or two digits.
DISPOSITION_PATTERN = r"^[0-9]{1,2}$"


class RunTicket(models.Model):
    """A run ticket: oil that left the lease from a tank (TANK: opening and closing gauges) or
    through a LACT unit (totalizers and meter factor). The computed volumes (wells.volumes, API
    MPMS 11.1) are stored beside the observations, as the ticket printed them, so a later change
    to a strapping table never rewrites a ticket already run. The record RUN_TICKET_RECORDED
    writes; its conflict key: the lease and ``ticket_number`` (one current ticket per number)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="run_tickets",
                              db_index=False)  # (lease, closed_at) serves its lookups
    tank = models.ForeignKey(Tank, on_delete=models.CASCADE, related_name="run_tickets")
    ticket_number = models.CharField(max_length=40)
    kind = models.CharField(max_length=4, choices=RunTicketKind.choices)
    closed_at = models.DateTimeField()
    observed_gravity_api = models.DecimalField(max_digits=5, decimal_places=1)
    observed_temperature_f = models.DecimalField(max_digits=5, decimal_places=1)
    bsw_percent = models.DecimalField(max_digits=5, decimal_places=2)
    disposition = models.CharField(max_length=2)
    # TANK
    opening_level = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    closing_level = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=2, choices=LevelUnit.choices, blank=True, default="")
    # LACT
    opening_totalizer_bbl = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    closing_totalizer_bbl = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    meter_factor = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    purchaser = models.CharField(max_length=200, blank=True, default="")
    seals_removed = models.JSONField(default=list, blank=True)
    seals_installed = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, default="", max_length=10_000)
    # Computed (wells.volumes.ticket_volumes)
    gravity_60f = models.DecimalField(max_digits=5, decimal_places=1)
    ctl = models.DecimalField(max_digits=6, decimal_places=5)
    gross_observed_bbl = models.DecimalField(max_digits=12, decimal_places=2)
    gross_standard_bbl = models.DecimalField(max_digits=12, decimal_places=2)
    net_bbl = models.DecimalField(max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_event_id = models.UUIDField(null=True, blank=True, db_index=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "wells"
        ordering = ["-closed_at"]
        indexes = [models.Index(fields=["lease", "closed_at"])]
        constraints = [
            models.UniqueConstraint(fields=["lease", "ticket_number"], condition=Q(superseded_by__isnull=True),
                                    name="run_ticket_current_per_number"),
            models.CheckConstraint(condition=~Q(ticket_number=""), name="run_ticket_number_not_blank"),
            models.CheckConstraint(condition=Q(kind__in=RunTicketKind.values), name="run_ticket_kind_valid"),
            models.CheckConstraint(condition=Q(disposition__regex=DISPOSITION_PATTERN),
                                   name="run_ticket_disposition_code"),
            models.CheckConstraint(
                condition=(Q(kind=RunTicketKind.TANK, opening_level__isnull=False, closing_level__isnull=False,
                             unit__in=LevelUnit.values, opening_totalizer_bbl__isnull=True,
                             closing_totalizer_bbl__isnull=True, meter_factor__isnull=True)
                           | Q(kind=RunTicketKind.LACT, opening_totalizer_bbl__isnull=False,
                               closing_totalizer_bbl__isnull=False, meter_factor__isnull=False,
                               opening_level__isnull=True, closing_level__isnull=True, unit="")),
                name="run_ticket_fields_of_kind"),
            models.CheckConstraint(condition=Q(closing_level__isnull=True) | Q(closing_level__gte=0,
                                                                            closing_level__lte=F("opening_level")),
                                   name="run_ticket_levels_fall"),
            models.CheckConstraint(
                condition=Q(closing_totalizer_bbl__isnull=True) | Q(opening_totalizer_bbl__gte=0,
                                                                    closing_totalizer_bbl__gte=F("opening_totalizer_bbl")),
                name="run_ticket_totalizer_rises"),
            models.CheckConstraint(condition=Q(meter_factor__isnull=True) | Q(meter_factor__gte=Decimal("0.9"),
                                                                              meter_factor__lte=Decimal("1.1")),
                                   name="run_ticket_meter_factor_range"),
            models.CheckConstraint(condition=Q(bsw_percent__gte=0, bsw_percent__lte=100), name="run_ticket_bsw_0_100"),
            models.CheckConstraint(condition=Q(observed_temperature_f__gte=-58, observed_temperature_f__lte=302),
                                   name="run_ticket_temperature_range"),
            models.CheckConstraint(condition=Q(gross_observed_bbl__gte=0, gross_standard_bbl__gte=0, net_bbl__gte=0,
                                               ctl__gt=0), name="run_ticket_volumes_non_negative"),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.ticket_number} ({self.gross_observed_bbl} bbl)"


class DispositionProduct(models.TextChoices):
    OIL = "OIL", "Oil"
    CONDENSATE = "CONDENSATE", "Condensate"
    GAS = "GAS", "Gas"


def _disposition_codes_check() -> Q:
    from .rrc import GAS, LIQUID, codes_of

    liquid = [c.code for c in codes_of(LIQUID)]
    condensate = [c.code for c in codes_of(LIQUID, product="CONDENSATE")]
    gas = [c.code for c in codes_of(GAS)]
    return (Q(product=DispositionProduct.OIL, code__in=liquid)
            | Q(product=DispositionProduct.CONDENSATE, code__in=condensate)
            | Q(product=DispositionProduct.GAS, code__in=gas))


class Disposition(models.Model):
    """A volume that left a lease in a month without a run ticket carrying it (lease use, gas
    flared or vented, gas to a plant...): API.md section 14. ``month`` is the month's first day;
    ``code`` an RRC disposition code (wells.rrc) valid for the product; the volume in barrels
    (OIL, CONDENSATE) or MCF (GAS). Entries are kept as written, with who wrote them and when; a
    withdrawn one keeps who withdrew it and when (``deleted_at``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="dispositions")
    month = models.DateField()
    product = models.CharField(max_length=10, choices=DispositionProduct.choices)
    code = models.CharField(max_length=2)
    volume = models.DecimalField(max_digits=12, decimal_places=2)
    note = models.CharField(max_length=500, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A mistaken entry is withdrawn, not erased: it leaves the balance and the lists, the row stays.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "wells"
        ordering = ["month", "product", "code", "created_at"]
        indexes = [models.Index(fields=["lease", "month"]), models.Index(fields=["month"])]
        constraints = [
            models.CheckConstraint(condition=Q(product__in=DispositionProduct.values), name="disposition_product_valid"),
            models.CheckConstraint(condition=_disposition_codes_check(), name="disposition_code_of_product"),
            models.CheckConstraint(condition=Q(month__day=1), name="disposition_month_first_day"),
            models.CheckConstraint(condition=Q(volume__gt=0), name="disposition_volume_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.code}: {self.volume} ({self.month:%Y-%m})"
