"""Demo data for the demo tenant: Permian Basin wells with equipment, 90 days of production and
a few field records, and a route for the demo OPERATOR. Called by ``seed_demo`` (``make run``).

Deterministic (a fixed random seed) and idempotent: if the demo wells exist, nothing is written,
so an ADMIN's changes to them survive the next ``make run``. Rows are bulk-inserted: the whole
set takes well under a second.
"""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django_tenants.utils import schema_context

from tenants import databases as tenant_db
from accounts.models import Role, User

from .domain import EquipmentStatus, EquipmentType, InspectionStatus, InspectionType, Product, ReadingType, WellStatus
from .domain import normalise_reading, normalise_volume
from .models import Equipment, EquipmentInspection, EquipmentRepair, FieldNote, ProductionRecord, Well, WellReading
from .selectors import tenant_today
from .services import wells_assign

DEMO_OPERATOR_EMAIL = "operator@demo.pumpjack.test"
PRODUCTION_DAYS = 90
ROUTE_SIZE = 12
_SEED = 4242


@dataclass(frozen=True)
class _Lease:
    name: str
    field: str
    county: str
    county_code: str  # API county code (Texas uses the county's FIPS number)
    latitude: float
    longitude: float
    wells: int
    first_well_id: int  # the API number's unique well identifier of the lease's first well
    oil_rate: tuple[int, int]  # initial oil rate range, BBL/d, for the 90-day window
    gas_oil_ratio: tuple[float, float]  # MCF per BBL
    water_oil_ratio: tuple[float, float]


# Two fields, three leases, 40 wells. Coordinates are near Tarzan (Martin County), Greenwood
# (Midland County) and Toyah (Reeves County), Texas; API state code 42 is Texas.
LEASES = (
    _Lease("Tarzan Unit", "Spraberry (Trend Area)", "Martin", "317", 32.312, -101.962, 14, 41210,
           (45, 160), (1.1, 1.8), (1.6, 3.0)),
    _Lease("Greenwood Ranch", "Spraberry (Trend Area)", "Midland", "329", 31.881, -101.938, 13, 39870,
           (55, 190), (1.2, 2.0), (1.8, 3.2)),
    _Lease("Toyah Draw", "Phantom (Wolfcamp)", "Reeves", "389", 31.318, -103.781, 13, 42550,
           (240, 520), (2.6, 3.8), (2.5, 4.5)),
)
# Index of the well in its lease -> status; every other well is ACTIVE.
_NOT_ACTIVE = {
    "Tarzan Unit": {5: WellStatus.SHUT_IN, 13: WellStatus.PLUGGED},
    "Greenwood Ranch": {3: WellStatus.SHUT_IN, 8: WellStatus.INACTIVE, 12: WellStatus.PLUGGED},
    "Toyah Draw": {4: WellStatus.SHUT_IN, 9: WellStatus.SHUT_IN, 11: WellStatus.INACTIVE},
}
_DOWNTIME_REASONS = (
    "Power outage on the lease", "Rod part; waiting on pulling unit", "Tanks full; waiting on truck",
    "Scheduled maintenance", "Stuffing box leak repaired", "Freeze-up on flowline",
)


def demo_api_numbers() -> list[str]:
    return [f"42{lease.county_code}{lease.first_well_id + n * 7:05d}0000" for lease in LEASES
            for n in range(lease.wells)]


def demo_data_seed(*, tenant, operator_email: str = DEMO_OPERATOR_EMAIL) -> dict:
    """Create the demo wells and their data in ``tenant``'s schema unless they exist. Returns
    counts of what was created (all zero when the demo wells were already there)."""
    with schema_context(tenant.schema_name):
        if Well.objects.filter(api_number__in=demo_api_numbers()).exists():
            return {"wells": 0, "equipment": 0, "production": 0, "records": 0, "route": 0}
        with tenant_db.atomic():
            return _seed(tenant_zone=tenant.time_zone, operator_email=operator_email)


def _seed(*, tenant_zone: str, operator_email: str) -> dict:
    rng = random.Random(_SEED)
    zone = zoneinfo.ZoneInfo(tenant_zone)
    today = tenant_today(tenant_zone)
    operator = User.objects.filter(email__iexact=operator_email, role=Role.OPERATOR).first()

    wells: list[Well] = []
    profiles: dict = {}
    for lease in LEASES:
        for n in range(lease.wells):
            status = _NOT_ACTIVE[lease.name].get(n, WellStatus.ACTIVE)
            well = Well(
                api_number=f"42{lease.county_code}{lease.first_well_id + n * 7:05d}0000",
                name=f"{lease.name} {101 + n}H",  # three digits: the list sorts in well order
                lease=lease.name, field=lease.field, county=lease.county, state="TX",
                latitude=Decimal(f"{lease.latitude + rng.uniform(-0.035, 0.035):.6f}"),
                longitude=Decimal(f"{lease.longitude + rng.uniform(-0.045, 0.045):.6f}"),
                status=status,
                spud_date=date(2012, 1, 1) + timedelta(days=rng.randint(0, 11 * 365)),
            )
            wells.append(well)
            profiles[well.id] = (lease, rng.uniform(*lease.oil_rate), rng.uniform(*lease.gas_oil_ratio),
                                 rng.uniform(*lease.water_oil_ratio), rng.uniform(0.0015, 0.006))
    Well.objects.bulk_create(wells)

    equipment = _equipment(wells, rng)
    Equipment.objects.bulk_create(equipment)
    production = _production(wells, profiles, today, rng)
    ProductionRecord.objects.bulk_create(production, batch_size=2000)

    route = [w for w in wells if w.lease == LEASES[0].name][:ROUTE_SIZE]
    records = _field_records(route, equipment, operator, today, zone, rng)
    route_size = wells_assign(user=operator, well_ids=[w.id for w in route]) if operator else 0
    return {"wells": len(wells), "equipment": len(equipment), "production": len(production),
            "records": records, "route": route_size}


def _equipment(wells: list[Well], rng: random.Random) -> list[Equipment]:
    items = []
    for well in wells:
        gone = well.status == WellStatus.PLUGGED
        status = EquipmentStatus.REMOVED if gone else EquipmentStatus.IN_SERVICE
        pump_status = EquipmentStatus.OUT_OF_SERVICE if well.status == WellStatus.SHUT_IN else status
        units = [
            (EquipmentType.PUMP_JACK, rng.choice(["Lufkin C-640D-365-168", "Lufkin C-456D-305-144",
                                                  "American M-320D-256-120"]), "LUF", pump_status),
            (EquipmentType.SEPARATOR, "3-phase separator 36 in x 10 ft", "SEP", status),
            (EquipmentType.TANK, "Oil tank 400 bbl", "TK", status),
            (EquipmentType.METER, "Gas meter (orifice)", "MTR", status),
        ]
        if well.field.startswith("Phantom"):
            units.append((EquipmentType.HEATER_TREATER, "Heater treater 4 ft x 20 ft", "HT", status))
        for kind, name, prefix, unit_status in units:
            items.append(Equipment(well=well, type=kind, name=name, status=unit_status,
                                   serial_number=f"{prefix}-{rng.randint(10000, 99999)}"))
    return items


def _production(wells: list[Well], profiles: dict, today: date, rng: random.Random) -> list[ProductionRecord]:
    start = today - timedelta(days=PRODUCTION_DAYS - 1)
    records = []
    for well in wells:
        if well.status != WellStatus.ACTIVE:
            continue
        lease, oil_rate, gas_ratio, water_ratio, decline = profiles[well.id]
        # One longer outage (a rod part waiting on a pulling unit) on about one well in six.
        outage_start = rng.randint(10, PRODUCTION_DAYS - 10) if rng.random() < 0.17 else None
        for day_index in range(PRODUCTION_DAYS):
            day = start + timedelta(days=day_index)
            # Hyperbolic decline (b = 0.9) over the window, with day-to-day noise.
            base_oil = oil_rate / (1 + 0.9 * decline * day_index) ** (1 / 0.9)
            downtime, reason = 0.0, ""
            if outage_start is not None and outage_start <= day_index < outage_start + 3:
                downtime, reason = 24.0, _DOWNTIME_REASONS[1]
            elif rng.random() < 0.035:
                downtime, reason = float(rng.choice([2, 4, 6, 8, 12, 24])), rng.choice(_DOWNTIME_REASONS)
            uptime = (24 - downtime) / 24
            volumes = {
                Product.OIL: base_oil * rng.gauss(1, 0.06),
                Product.GAS: base_oil * gas_ratio * (1 + day_index / 600) * rng.gauss(1, 0.05),
                Product.WATER: base_oil * water_ratio * rng.gauss(1, 0.08),
            }
            for product, value in volumes.items():
                unit = "MCF" if product == Product.GAS else "BBL"
                volume = Decimal(f"{max(value, 0) * uptime:.2f}")
                records.append(ProductionRecord(
                    well=well, production_date=day, product=product, volume=volume, unit=unit,
                    volume_normalized=normalise_volume(product, volume, unit),
                    downtime_hours=Decimal(f"{downtime:.2f}") if downtime else None, downtime_reason=reason,
                ))
    return records


def _field_records(route: list[Well], equipment: list[Equipment], operator: User | None, today: date,
                   zone: zoneinfo.ZoneInfo, rng: random.Random) -> int:
    """A pumper's last weeks on the route: readings, monthly inspections, a repair, some notes."""

    def moment(days_ago: int, hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour, rng.randint(0, 59)), tzinfo=zone)

    by_well: dict = {}
    for item in equipment:
        by_well.setdefault(item.well_id, {})[item.type] = item
    readings, inspections, repairs, notes = [], [], [], []
    for number, well in enumerate(route):
        if well.status == WellStatus.PLUGGED:
            continue
        units = by_well[well.id]
        for days_ago in range(1 + number % 3, 28, 4):  # a visit every four days
            at = moment(days_ago, 8 + number % 4)
            for reading_type, value, unit, item in (
                (ReadingType.PRESSURE, rng.uniform(90, 240), "PSI", units[EquipmentType.PUMP_JACK]),
                (ReadingType.TANK_LEVEL, rng.uniform(2.5, 14), "FT", units[EquipmentType.TANK]),
            ):
                value = Decimal(f"{value:.1f}")
                readings.append(WellReading(well=well, equipment=item, reading_type=reading_type, value=value,
                                            unit=unit, value_normalized=normalise_reading(reading_type, value, unit),
                                            recorded_at=at, recorded_by=operator))
        for days_ago in (2 + number, 32 + number, 62 + number):
            status, text = InspectionStatus.PASS, ""
            if well.status == WellStatus.SHUT_IN and days_ago < 30:
                status, text = InspectionStatus.FAIL, "Walking beam bearing noisy; well shut in pending repair."
            elif number == 2 and days_ago < 30:
                status, text = InspectionStatus.NEEDS_ATTENTION, "Stuffing box weeping; repack next visit."
            inspections.append(EquipmentInspection(
                well=well, equipment=units[EquipmentType.PUMP_JACK], inspection_type=InspectionType.ROUTINE,
                status=status, notes=text, inspected_at=moment(days_ago, 9), recorded_by=operator,
            ))
        if number % 4 == 0:
            inspections.append(EquipmentInspection(
                well=well, equipment=units[EquipmentType.SEPARATOR], inspection_type=InspectionType.SAFETY,
                status=InspectionStatus.PASS, notes="Relief valve tag current; H2S monitor bump-tested.",
                inspected_at=moment(20 + number, 10), recorded_by=operator,
            ))
        if number == 2:
            repairs.append(EquipmentRepair(
                well=well, equipment=units[EquipmentType.PUMP_JACK], description="Repacked stuffing box.",
                parts_replaced="Stuffing box packing rings (set of 5)", repaired_at=moment(1, 14),
                recorded_by=operator,
            ))
    for well, days_ago, text in (
        (route[0], 1, "Gauged tanks; hauled 180 bbl. Lease road rutted near the cattle guard: use the east gate."),
        (route[2], 3, "Stuffing box weeping again, wiped down and tightened; repair scheduled."),
        (route[min(5, len(route) - 1)], 2, "Shut in: walking beam bearing noisy. Pulling unit booked."),
        (route[7 % len(route)], 6, "Chemical pump refilled (corrosion inhibitor), 15 gal."),
    ):
        notes.append(FieldNote(well=well, notes=text, recorded_at=moment(days_ago, 11), recorded_by=operator))
    WellReading.objects.bulk_create(readings)
    EquipmentInspection.objects.bulk_create(inspections)
    EquipmentRepair.objects.bulk_create(repairs)
    FieldNote.objects.bulk_create(notes)
    return len(readings) + len(inspections) + len(repairs) + len(notes)
