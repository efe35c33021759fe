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
from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import Role

from .leases import Lease, RunTicket, StrappingRow as StrappingRowModel, Tank, TankGauge
from .selectors import wells_for_user
from .strapping import LevelOutOfRange, barrels_at, feet_and_inches


def strapping_rows(tank: Tank):
    """The tank's table as wells.strapping rows, bottom first."""
    from .strapping import StrappingRow as Row

    return [Row(h, b) for h, b in StrappingRowModel.objects.filter(tank=tank).order_by("height_inches")
            .values_list("height_inches", "barrels")]


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


# ------------------------------------------------------------------ run tickets


def run_tickets_for_user(*, user):
    """The tickets of the leases the user may see (current and superseded)."""
    return RunTicket.objects.filter(lease__in=leases_for_user(user=user))


def run_ticket_get_for_user(*, user, ticket_id) -> RunTicket | None:
    try:
        return run_tickets_for_user(user=user).filter(pk=ticket_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def run_ticket_list(*, user, lease_id=None, date_from: date | None = None, date_to: date | None = None,
                    time_zone=None):
    """Newest closed first; ``from``/``to`` are days (of ``closedAt``) in ``time_zone``."""
    tickets = run_tickets_for_user(user=user)
    if lease_id:
        tickets = tickets.filter(lease_id=lease_id)
    if date_from:
        tickets = tickets.filter(closed_at__gte=datetime.combine(date_from, time.min, tzinfo=time_zone))
    if date_to and date_to < date.max:  # the last day there is has no end to filter by
        tickets = tickets.filter(closed_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=time_zone))
    return tickets.order_by("-closed_at", "ticket_number", "id")


# ------------------------------------------------------------------ daily lease production

DAILY_DEFAULT_DAYS = 30
DAILY_MAX_DAYS = 366
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LeaseDay:
    date: date
    stock_bbl: Decimal
    runs_bbl: Decimal
    production_bbl: Decimal
    estimated: bool


def lease_daily(*, lease: Lease, date_from: date, date_to: date, time_zone) -> list[LeaseDay]:
    """The lease's daily oil production from its gauges and runs (API.md section 13), one entry
    per day of [date_from, date_to] (days of ``time_zone``, a ZoneInfo):

    - stock: over the lease's oil tanks, barrels (by each tank's strapping table) at the tank's
      last current gauge of the day; a tank not gauged that day (or gauged beyond its table)
      keeps its previous stock and the day is ``estimated``; a tank never gauged yet counts 0;
    - runs: gross observed volume of the lease's current run tickets closed that day;
    - production = stock − previous day's stock + runs.

    Four queries whatever the span and the number of tanks: tanks (with each one's last gauge
    before the span), their tables, their gauges, the tickets."""
    first = date_from - timedelta(days=1)  # the day before: the first day's previous stock

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=time_zone)

    # Each tank with the level of its last current gauge before ``first`` (one query, a subquery per row).
    before_first = (TankGauge.objects.filter(tank=OuterRef("pk"), superseded_by__isnull=True,
                                             gauged_at__lt=start_of(first))
                    .order_by("-gauged_at", "-created_at").values("level_inches")[:1])
    tanks = list(Tank.objects.filter(lease=lease, product="OIL", deleted_at__isnull=True)
                 .annotate(level_before=Subquery(before_first)).order_by("name", "id"))
    tables: dict = {tank.pk: [] for tank in tanks}
    from .strapping import StrappingRow as Row

    for tank_id, height, barrels in (StrappingRowModel.objects.filter(tank__in=tanks)
                                     .order_by("tank_id", "height_inches")
                                     .values_list("tank_id", "height_inches", "barrels")):
        tables[tank_id].append(Row(height, barrels))
    days = [first + timedelta(days=n) for n in range((date_to - first).days + 1)]
    # Per tank and day, the last gauge's barrels; plus each tank's last gauge before ``first``.
    last_of_day: dict = {}
    opening: dict = {}
    end = start_of(date_to + timedelta(days=1))
    for tank in tanks:
        opening[tank.pk] = _barrels_or_none(tables[tank.pk], tank.level_before)
    gauges = (TankGauge.objects.filter(tank__in=tanks, superseded_by__isnull=True, gauged_at__gte=start_of(first),
                                       gauged_at__lt=end)
              .order_by("gauged_at", "created_at").values_list("tank_id", "gauged_at", "level_inches"))
    for tank_id, gauged_at, level in gauges:
        barrels = _barrels_or_none(tables[tank_id], level)
        if barrels is not None:  # ordered: the last of the day wins
            last_of_day[(tank_id, gauged_at.astimezone(time_zone).date())] = barrels
    runs: dict = {}
    for closed_at, gross in (RunTicket.objects.filter(lease=lease, superseded_by__isnull=True,
                                                      closed_at__gte=start_of(first), closed_at__lt=end)
                             .values_list("closed_at", "gross_observed_bbl")):
        day = closed_at.astimezone(time_zone).date()
        runs[day] = runs.get(day, ZERO) + gross
    carried = {tank.pk: opening[tank.pk] for tank in tanks}
    out, previous_stock = [], None
    for day in days:
        stock, estimated = ZERO, False
        for tank in tanks:
            barrels = last_of_day.get((tank.pk, day))
            if barrels is None:
                estimated = True
                barrels = carried[tank.pk] if carried[tank.pk] is not None else ZERO
            carried[tank.pk] = barrels
            stock += barrels
        if previous_stock is not None:
            day_runs = runs.get(day, ZERO)
            out.append(LeaseDay(date=day, stock_bbl=stock, runs_bbl=day_runs,
                                production_bbl=stock - previous_stock + day_runs, estimated=estimated))
        previous_stock = stock
    return out


def _barrels_or_none(rows, level_inches) -> Decimal | None:
    if level_inches is None:
        return None
    try:
        return barrels_at(rows, level_inches)
    except LevelOutOfRange:
        return None


def wells_reported_oil(*, wells, date_from: date, date_to: date) -> dict:
    """{day: barrels} of oil the given wells reported (current PRODUCTION_LOGGED records, in BBL),
    to show beside the lease's production from gauges."""
    from django.db.models import Sum

    from .models import ProductionRecord

    return dict(ProductionRecord.objects.filter(
        well__in=wells, product="OIL", superseded_by__isnull=True, production_date__gte=date_from,
        production_date__lte=date_to).values_list("production_date").annotate(total=Sum("volume_normalized")))


@dataclass(frozen=True)
class WellGauge:
    """A tank gauge shown on a well's page: the gauge, its tank, the level in feet and inches and
    the barrels by the tank's strapping table (None when the table does not cover the level)."""

    gauge: TankGauge
    tank: Tank
    level_text: str
    barrels: Decimal | None


def well_lease_gauges(*, well, limit: int = 15) -> list[WellGauge]:
    """The latest current gauges of the tanks on the well's lease (tanks belong to a lease, not a
    well), newest first; none when the well is on no lease entity."""
    if well.lease_ref_id is None:
        return []
    gauges = list(TankGauge.objects.filter(tank__lease_id=well.lease_ref_id, tank__deleted_at__isnull=True,
                                           tank__lease__deleted_at__isnull=True,
                                           superseded_by__isnull=True)
                  .select_related("tank").order_by("-gauged_at", "-created_at")[:limit])
    tables: dict = {}
    shown = []
    for gauge in gauges:
        if gauge.tank_id not in tables:
            tables[gauge.tank_id] = strapping_rows(gauge.tank)
        shown.append(WellGauge(gauge=gauge, tank=gauge.tank, level_text=feet_and_inches(gauge.level_inches),
                               barrels=gauge_barrels(gauge, tables[gauge.tank_id])))
    return shown
