"""Demo leases and tanks for the demo tenant (called by ``seed_demo`` after wells.demo).

Each demo lease (wells.demo.LEASES) becomes a Lease (RRC district 08) named by its wells; it gets
a battery of 400 bbl oil tanks (12 ft across, 20 ft tall, strapped in quarter-inch rows) and a
water tank, and 90 days of evening gauges consistent with its wells' oil production: each day's
oil (the current PRODUCTION_LOGGED records) fills the open tank up to 90 %, then the next; the
next morning's truck hauls the full ones down to their bottoms (a hot-shot truck comes the same day
when every tank is full). So stock − previous stock + hauled = production
to within a quarter inch of gauge per tank. Each haul is a TANK run ticket (opening gauge at the
full level, closing at the bottoms, the day's temperature, 38 to 44 °API, truck disposition "1"),
its volumes computed as any ticket's (wells.lease_services.run_ticket_build); the hauls are also
returned (``runs``). Each ended month also gets its casinghead gas disposed of (manual dispositions:
lease fuel, flared, the processing plant), so the demo's last full month closes on Form PR with no
problem.

Deterministic and idempotent: if a demo lease exists nothing is written.
"""

from __future__ import annotations

import math
import random
import zoneinfo
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django_tenants.utils import schema_context

from tenants import databases as tenant_db

from .demo import LEASES, PRODUCTION_DAYS
from .leases import Disposition, Lease, LeaseKind, RunTicket, StrappingRow, Tank, TankGauge, TankProduct
from .models import ProductionRecord, Well
from .selectors import tenant_today
from .strapping import StrappingRow as Row

_SEED = 1414
CUBIC_FEET_PER_BARREL = Decimal("5.614583")
OIL_TANKS = {"Tarzan Unit": 5, "Greenwood Ranch": 5, "Toyah Draw": 12}
RRC_NUMBERS = {"Tarzan Unit": "41210", "Greenwood Ranch": "39870", "Toyah Draw": "42550"}
FILL_FRACTION = Decimal("0.90")
BOTTOMS_BBL = Decimal("8")  # left in a tank after a haul (below the load line)


def strapping_table_400(*, diameter_ft: Decimal = Decimal(12), height_in: int = 240) -> list[Row]:
    """A 400 bbl vertical tank (12 ft × 20 ft) in quarter-inch rows: the shell's volume per inch,
    less deadwood (ladder, inlet pipe: 0.01 bbl/in), with a 2-inch sump-and-cone bottom that holds
    less per inch. Barrels to 0.01, non-decreasing."""
    per_inch = Decimal(math.pi) * (diameter_ft / 2) ** 2 / 12 / CUBIC_FEET_PER_BARREL - Decimal("0.01")
    rows = []
    for quarter in range(height_in * 4 + 1):
        h = Decimal(quarter) / 4
        volume = per_inch * h if h >= 2 else per_inch * h * (Decimal("0.55") + Decimal("0.225") * h)
        rows.append(Row(h, volume.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)))
    return rows


def _level_for(rows: list[Row], barrels: Decimal) -> Decimal:
    """The quarter inch a pumper would read for ``barrels`` in the tank."""
    for row in rows:
        if row.barrels >= barrels:
            return row.height_inches
    return rows[-1].height_inches


def lease_demo_seed(*, tenant) -> dict:
    with schema_context(tenant.schema_name):
        if Lease.objects.filter(name__in=[lease.name for lease in LEASES], deleted_at__isnull=True).exists():
            return {"leases": 0, "tanks": 0, "gauges": 0, "tickets": 0, "runs": [], "dispositions": 0}
        with tenant_db.atomic():
            return _seed(tenant_zone=tenant.time_zone)


def _seed(*, tenant_zone: str) -> dict:
    rng = random.Random(_SEED)
    zone = zoneinfo.ZoneInfo(tenant_zone)
    today = tenant_today(tenant_zone)
    start = today - timedelta(days=PRODUCTION_DAYS - 1)
    rows = strapping_table_400()
    capacity = Decimal(int(rows[-1].barrels))
    tanks, gauges, runs = [], [], []
    for demo in LEASES:
        lease = Lease.objects.create(name=demo.name, rrc_district="08", rrc_lease_number=RRC_NUMBERS[demo.name],
                                     kind=LeaseKind.OIL)
        Well.objects.filter(lease=demo.name, deleted_at__isnull=True).update(lease_ref=lease)
        battery = [Tank(lease=lease, name=f"Oil {n + 1:02d}", product=TankProduct.OIL, capacity_bbl=capacity,
                        height_inches=Decimal(240)) for n in range(OIL_TANKS[demo.name])]
        water = Tank(lease=lease, name="Water 1", product=TankProduct.WATER, capacity_bbl=capacity,
                     height_inches=Decimal(240))
        Tank.objects.bulk_create([*battery, water])
        tanks += [*battery, water]
        daily = dict(ProductionRecord.objects.filter(
            well__lease_ref=lease, product="OIL", superseded_by__isnull=True,
            production_date__gte=start, production_date__lte=today,
        ).values_list("production_date").annotate(total=Sum("volume_normalized")))
        stock = [BOTTOMS_BBL + Decimal(rng.randint(0, 120)) for _ in battery]
        open_tank = 0
        waiting: set[int] = set()
        water_level = Decimal(rng.randint(60, 160))
        for offset in range(PRODUCTION_DAYS):
            day = start + timedelta(days=offset)
            remaining = Decimal(daily.get(day) or 0)
            for index in sorted(waiting):  # the morning truck hauls yesterday's full tanks
                runs.append(_run(demo.name, battery[index], day, stock[index], rows))
                stock[index] = BOTTOMS_BBL
            waiting = set()
            while remaining > 0:
                poured = min(capacity * FILL_FRACTION - stock[open_tank], remaining)
                stock[open_tank] += poured
                remaining -= poured
                if stock[open_tank] >= capacity * FILL_FRACTION:
                    waiting.add(open_tank)
                    free = [n for n in range(len(battery)) if n not in waiting]
                    if not free:  # every tank full: a hot-shot truck hauls the oldest at once
                        open_tank = min(waiting, key=lambda n: (n - open_tank - 1) % len(battery))
                        runs.append(_run(demo.name, battery[open_tank], day, stock[open_tank], rows))
                        stock[open_tank] = BOTTOMS_BBL
                        waiting.discard(open_tank)
                    else:
                        open_tank = min(free, key=lambda n: (n - open_tank) % len(battery))
            temperature = Decimal(f"{62 + 18 * math.sin(offset / 14) + rng.uniform(-4, 4):.1f}")
            gauged_at = datetime.combine(day, time(17, 30 + rng.randint(0, 25)), tzinfo=zone)
            for tank, barrels in zip(battery, stock):
                level = _level_for(rows, barrels)
                gauges.append(_gauge(tank, level, gauged_at, temperature, Decimal(f"{rng.uniform(0.1, 0.6):.2f}")))
            # Produced water goes down the SWD line; its tank swings between pump-outs.
            water_level = min(max(water_level + Decimal(rng.randint(-60, 60)), Decimal(30)), Decimal(300))
            gauges.append(_gauge(water, _level_for(rows, water_level), gauged_at, temperature, None))
    StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=row.height_inches, barrels=row.barrels)
                                      for tank in tanks for row in rows], batch_size=5000)
    TankGauge.objects.bulk_create(gauges, batch_size=2000)
    tickets = _tickets(runs, tanks, rows, zone)
    RunTicket.objects.bulk_create(tickets, batch_size=2000)
    dispositions = _gas_dispositions(start=start, today=today)
    Disposition.objects.bulk_create(dispositions)
    return {"leases": len(LEASES), "tanks": len(tanks), "gauges": len(gauges), "tickets": len(tickets), "runs": runs,
            "dispositions": len(dispositions)}


# Where a Permian oil lease's casinghead gas goes: lease fuel for the heater-treaters and the
# compressor, a little flared under the rule's allowance, the rest to the processing plant.
GAS_FUEL_SHARE = Decimal("0.025")
GAS_FLARED_SHARE = Decimal("0.012")


def _gas_dispositions(*, start: date, today: date) -> list[Disposition]:
    """Each ended month of the seeded days gets the demo leases' casinghead gas disposed of, in
    whole MCF that add up to the month's production exactly (the month closes with no problem):
    code 1 lease fuel, 10 flared (authorised by rule: "AR"), 3 the processing plant."""
    out = []
    month = start.replace(day=1)
    while month < today.replace(day=1):
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for lease in Lease.objects.filter(name__in=[demo.name for demo in LEASES]):
            produced = ProductionRecord.objects.filter(
                well__lease_ref=lease, well__deleted_at__isnull=True, product="GAS", superseded_by__isnull=True,
                production_date__gte=month, production_date__lte=last).aggregate(total=Sum("volume_normalized"))["total"]
            total = int((produced or 0).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            if total <= 0:
                continue
            fuel = int((total * GAS_FUEL_SHARE).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            flared = int((total * GAS_FLARED_SHARE).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            for code, volume, note in (("1", fuel, "Lease fuel: heater-treater and compressor"),
                                       ("10", flared, "AR: flared under Statewide Rule 32's allowance"),
                                       ("3", total - fuel - flared, "To the processing plant")):
                if volume > 0:
                    out.append(Disposition(lease=lease, month=month, product="GAS", code=code, volume=Decimal(volume),
                                           note=note))
        month = (month + timedelta(days=32)).replace(day=1)
    return out


PURCHASERS = ("Plains Marketing", "Sunoco Partners", "Enterprise Crude Oil")


def _tickets(runs: list[dict], tanks: list[Tank], rows: list[Row], zone) -> list[RunTicket]:
    """A TANK run ticket per haul: opening at the level read for the full tank, closing at the
    bottoms; its own random sequence, so the gauges stay what they were without tickets."""
    from .lease_services import run_ticket_build

    rng = random.Random(_SEED + 1)
    by_name = {(tank.lease.name, tank.name): tank for tank in tanks}
    tickets, hauls_of_day = [], {}
    for number, run in enumerate(runs, start=1):
        tank = by_name[(run["lease"], run["tank"])]
        day = date.fromisoformat(run["date"])
        nth = hauls_of_day[(run["lease"], day)] = hauls_of_day.get((run["lease"], day), 0) + 1
        closed_at = datetime.combine(day, time(min(7 + nth, 23), rng.randint(0, 50)), tzinfo=zone)
        seal = 700000 + number * 2
        data = {
            "ticket_number": f"{RRC_NUMBERS[run['lease']]}-{number:05d}", "kind": "TANK", "closed_at": closed_at,
            "observed_gravity_api": Decimal(f"{rng.uniform(38, 44):.1f}"),
            "observed_temperature_f": Decimal(f"{62 + rng.uniform(-12, 18):.1f}"),
            "bsw_percent": Decimal(f"{rng.uniform(0.1, 0.6):.2f}"), "disposition": "1",
            "opening_level": run["opening_inches"], "closing_level": run["closing_inches"], "unit": "IN",
            "purchaser": PURCHASERS[number % len(PURCHASERS)],
            "seals_removed": [f"S{seal - 1}"], "seals_installed": [f"S{seal}"],
        }
        tickets.append(run_ticket_build(tank=tank, data=data, rows=rows))
    return tickets


def _run(lease: str, tank: Tank, day, barrels: Decimal, rows: list[Row]) -> dict:
    return {"lease": lease, "tank": tank.name, "date": day.isoformat(),
            "barrels": str((barrels - BOTTOMS_BBL).quantize(Decimal("0.01"))),
            "opening_inches": _level_for(rows, barrels), "closing_inches": _level_for(rows, BOTTOMS_BBL)}


def _gauge(tank: Tank, level: Decimal, gauged_at: datetime, temperature: Decimal, bsw) -> TankGauge:
    return TankGauge(tank=tank, level=level, unit="IN", level_inches=level, temperature_f=temperature,
                     bsw_percent=bsw, gauged_at=gauged_at,
                     gauged_minute=gauged_at.astimezone(dt_timezone.utc).replace(second=0, microsecond=0))

