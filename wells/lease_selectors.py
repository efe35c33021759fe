"""Reads of leases, tanks and gauges, scoped by what the user may see (API.md section 13).

``leases_for_user`` is the one place that decides which leases a user sees: MANAGERs and ADMINs
every lease; an OPERATOR the leases with a well on their route (wells.selectors.wells_for_user),
and the tanks of those leases. The API and the portal both start here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import Role

from .leases import Lease, Tank, TankGauge
from .lease_services import strapping_rows
from .selectors import wells_for_user
from .strapping import LevelOutOfRange, barrels_at, feet_and_inches


def leases_for_user(*, user) -> QuerySet[Lease]:
    leases = Lease.objects.filter(deleted_at__isnull=True)
    if user is None or not user.is_authenticated or not user.is_active:
        return leases.none()
    if user.role in (Role.ADMIN, Role.MANAGER):
        return leases
    if user.role == Role.OPERATOR:
        return leases.filter(pk__in=wells_for_user(user=user).filter(lease_ref__isnull=False).values("lease_ref"))
    return leases.none()


def lease_get_for_user(*, user, lease_id) -> Lease | None:
    try:
        return leases_for_user(user=user).filter(pk=lease_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def tanks_for_user(*, user) -> QuerySet[Tank]:
    return Tank.objects.filter(deleted_at__isnull=True, lease__in=leases_for_user(user=user))


def tank_get_for_user(*, user, tank_id) -> Tank | None:
    try:
        return tanks_for_user(user=user).filter(pk=tank_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def tank_list(*, user, lease_id=None) -> QuerySet[Tank]:
    tanks = tanks_for_user(user=user).select_related("lease")
    if lease_id:
        tanks = tanks.filter(lease_id=lease_id)
    return tanks.order_by("lease__name", "name", "id")


def lease_wells(*, user, lease: Lease):
    return wells_for_user(user=user).filter(lease_ref=lease).order_by("name", "api_number")


def tank_gauges(*, tank: Tank, date_from: date | None = None, date_to: date | None = None, time_zone=None):
    """Current and superseded gauges, newest first; ``from``/``to`` are days in ``time_zone``."""
    gauges = TankGauge.objects.filter(tank=tank)
    if date_from:
        gauges = gauges.filter(gauged_at__gte=datetime.combine(date_from, time.min, tzinfo=time_zone))
    if date_to:
        gauges = gauges.filter(gauged_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=time_zone))
    return gauges.order_by("-gauged_at", "-created_at")


def gauge_barrels(gauge: TankGauge, rows) -> Decimal | None:
    """Barrels at the gauge's level by the tank's table, None when the table does not cover it."""
    try:
        return barrels_at(rows, gauge.level_inches)
    except LevelOutOfRange:
        return None


@dataclass(frozen=True)
class TankLevel:
    tank: Tank
    gauge: TankGauge | None
    barrels: Decimal | None
    percent: Decimal | None  # of capacity, 1 decimal

    @property
    def level_text(self) -> str:
        return feet_and_inches(self.gauge.level_inches) if self.gauge else ""


def tank_levels(*, tanks) -> list[TankLevel]:
    """Each tank's current level: its latest current gauge, as barrels and percent of capacity."""
    levels = []
    for tank in tanks:
        gauge = (TankGauge.objects.filter(tank=tank, superseded_by__isnull=True)
                 .order_by("-gauged_at", "-created_at").first())
        barrels = gauge_barrels(gauge, strapping_rows(tank)) if gauge else None
        percent = None
        if barrels is not None:
            percent = (barrels * 100 / tank.capacity_bbl).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        levels.append(TankLevel(tank=tank, gauge=gauge, barrels=barrels, percent=percent))
    return levels
