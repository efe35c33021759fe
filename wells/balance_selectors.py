"""Reads of the month close (API.md section 14): a lease's monthly balance and the Form PR rows.

A month is a calendar month of the tenant's time zone. For a lease and a month:

Oil (condensate on a GAS lease), barrels:
- beginning stock: the lease's oil-tank stock at the end of the previous month, i.e. each tank's
  last current gauge before the 1st (wells.lease_selectors.lease_daily; a tank never gauged is 0);
- production: the daily production of section 13 (stock − previous stock + runs) summed over the
  month's days (to today for the month under way);
- dispositions: the current run tickets closed in the month, by their RRC code (gross observed
  volume: the same measure as the stock and the runs in production, so the balance can close),
  plus the manual entries (wells.leases.Disposition) of the month, by code;
- ending stock: beginning + production − dispositions, checked against the gauged stock at the end
  of the month (each tank's last gauge up to the month's end): more than 1 bbl apart is
  ``stock_mismatch``.

Gas, MCF: production from the current PRODUCTION_LOGGED GAS records of the lease's wells dated in
the month; dispositions from the manual GAS entries.

Whole numbers: the stocks and each code's dispositions are rounded half up, and production is the
whole number that makes the row add up (ending = beginning + production − dispositions on the form,
as the RRC checks it; within a barrel or so of the rounded sum of the days). Next month's beginning
stock is then this month's ending stock whenever the month balanced. Checks are made on the exact
figures (stock_mismatch) or on the whole numbers the form shows (dispositions_exceed_available:
an ending stock below 0, gas dispositions above gas production).

A lease's month takes a handful of queries whatever its length: those of lease_daily (four),
tickets by code, manual entries by product and code, gas production (one each).
"""

from __future__ import annotations

import zoneinfo
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from .lease_selectors import lease_daily
from .leases import RRC_DISTRICTS, Disposition, DispositionProduct, Lease, LeaseKind, RunTicket
from .models import ProductionRecord
from .rrc import GAS, LIQUID, PRODUCT_FAMILY, code_lookup, normalise_code

STOCK_TOLERANCE_BBL = Decimal(1)
STOCK_MISMATCH = "stock_mismatch"
DISPOSITIONS_EXCEED_AVAILABLE = "dispositions_exceed_available"
UNKNOWN_DISPOSITION_CODE = "unknown_disposition_code"
NO_RRC_LEASE_NUMBER = "no_rrc_lease_number"
ZERO = Decimal(0)


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def month_days(month: date) -> tuple[date, date]:
    """The first and last day of ``month`` (any day of it)."""
    first = month.replace(day=1)
    return first, first.replace(day=monthrange(first.year, first.month)[1])


@dataclass(frozen=True)
class Problem:
    code: str
    product: str
    message: str
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CodeVolume:
    code: str
    volume: int
    name: str


@dataclass(frozen=True)
class LiquidBalance:
    product: str  # OIL or CONDENSATE
    beginning_stock: int
    production: int
    dispositions: list[CodeVolume]
    ending_stock: int
    gauged_stock: int  # at the end of the month (or of today, for the month under way)
    estimated_days: int  # days a tank had no gauge and its stock was carried forward


@dataclass(frozen=True)
class GasBalance:
    product: str  # CASINGHEAD (OIL lease) or GAS_WELL (GAS lease)
    production: int
    dispositions: list[CodeVolume]


@dataclass(frozen=True)
class LeaseBalance:
    lease: Lease
    month: date
    through: date  # the last day counted: the month's last, or today for the month under way
    oil: LiquidBalance
    gas: GasBalance
    problems: list[Problem]

    @property
    def exceeds(self) -> bool:
        return any(p.code == DISPOSITIONS_EXCEED_AVAILABLE for p in self.problems)


def _code_volumes(family: str, totals: dict[str, Decimal]) -> list[CodeVolume]:
    """Whole volumes per code in code order (codes outside the RRC table last); zero ones left out."""
    def order(code: str):
        return (0, int(code)) if code.isdigit() else (1, code)

    out = []
    for code in sorted(totals, key=order):
        volume = whole(totals[code])
        if volume:
            found = code_lookup(family, code)
            out.append(CodeVolume(code=code, volume=volume, name=found.name if found else "Not an RRC code"))
    return out


def lease_balance(*, lease: Lease, month: date, time_zone: zoneinfo.ZoneInfo, today: date) -> LeaseBalance:
    """The balance of ``lease`` for ``month`` (any day of it; not after ``today``'s month)."""
    first, last = month_days(month)
    through = min(last, today)
    liquid_product = DispositionProduct.CONDENSATE if lease.kind == LeaseKind.GAS else DispositionProduct.OIL
    gas_product = "GAS_WELL" if lease.kind == LeaseKind.GAS else "CASINGHEAD"

    # The day before the month gives the beginning stock; the month's days the production.
    days = lease_daily(lease=lease, date_from=first - timedelta(days=1), date_to=through, time_zone=time_zone)
    beginning = days[0].stock_bbl
    month_of_days = days[1:]
    production = sum((day.production_bbl for day in month_of_days), ZERO)
    gauged = month_of_days[-1].stock_bbl if month_of_days else beginning
    estimated_days = sum(1 for day in month_of_days if day.estimated)

    start = datetime.combine(first, time.min, tzinfo=time_zone)
    end = datetime.combine(through + timedelta(days=1), time.min, tzinfo=time_zone)
    liquid: dict[str, Decimal] = {}
    for code, volume in (RunTicket.objects.filter(lease=lease, superseded_by__isnull=True, closed_at__gte=start,
                                                  closed_at__lt=end)
                         .values_list("disposition").annotate(total=Sum("gross_observed_bbl")).order_by()):
        code = normalise_code(code)
        liquid[code] = liquid.get(code, ZERO) + volume
    gas: dict[str, Decimal] = {}
    for product, code, volume in (Disposition.objects.filter(lease=lease, month=first, deleted_at__isnull=True)
                                  .values_list("product", "code").annotate(total=Sum("volume")).order_by()):
        target = gas if PRODUCT_FAMILY.get(product) == GAS else liquid
        code = normalise_code(code)
        target[code] = target.get(code, ZERO) + volume
    gas_production = (ProductionRecord.objects.filter(
        well__lease_ref=lease, well__deleted_at__isnull=True, product="GAS", superseded_by__isnull=True,
        production_date__gte=first, production_date__lte=through).aggregate(total=Sum("volume_normalized"))["total"]
        or ZERO)

    problems: list[Problem] = []
    disposed = sum(liquid.values(), ZERO)
    ending_exact = beginning + production - disposed
    liquid_codes = _code_volumes(LIQUID, liquid)
    beginning_whole, ending_whole = whole(beginning), whole(ending_exact)
    production_whole = ending_whole - beginning_whole + sum(c.volume for c in liquid_codes)
    if abs(ending_exact - gauged) > STOCK_TOLERANCE_BBL:
        problems.append(Problem(STOCK_MISMATCH, liquid_product,
                                f"The ending stock ({ending_whole} bbl = beginning + production − dispositions) is "
                                f"{whole(abs(ending_exact - gauged))} bbl from the gauged stock at the end of the month "
                                f"({whole(gauged)} bbl).",
                                {"endingStock": ending_whole, "gaugedStock": whole(gauged)}))
    if ending_whole < 0:
        problems.append(Problem(DISPOSITIONS_EXCEED_AVAILABLE, liquid_product,
                                f"Dispositions ({sum(c.volume for c in liquid_codes)} bbl) exceed the beginning stock "
                                f"and the production ({beginning_whole} + {production_whole} bbl).",
                                {"available": beginning_whole + production_whole,
                                 "dispositions": sum(c.volume for c in liquid_codes)}))
    gas_codes = _code_volumes(GAS, gas)
    gas_whole = whole(gas_production)
    if sum(c.volume for c in gas_codes) > gas_whole:
        problems.append(Problem(DISPOSITIONS_EXCEED_AVAILABLE, "GAS",
                                f"Gas dispositions ({sum(c.volume for c in gas_codes)} MCF) exceed the gas produced "
                                f"({gas_whole} MCF).",
                                {"available": gas_whole, "dispositions": sum(c.volume for c in gas_codes)}))
    for family, product, codes in ((LIQUID, liquid_product, liquid_codes), (GAS, "GAS", gas_codes)):
        for entry in codes:
            found = code_lookup(family, entry.code)
            if found is None or (product == DispositionProduct.CONDENSATE and found.oil_only):
                problems.append(Problem(UNKNOWN_DISPOSITION_CODE, product,
                                        f"{entry.volume} left with code {entry.code}, which is not an RRC disposition "
                                        f"code for {product.lower()}: correct the run ticket or entry.",
                                        {"code": entry.code}))
    if not lease.rrc_lease_number:
        problems.append(Problem(NO_RRC_LEASE_NUMBER, "", "The lease has no RRC lease number: Form PR needs one."))
    return LeaseBalance(
        lease=lease, month=first, through=through,
        oil=LiquidBalance(product=liquid_product, beginning_stock=beginning_whole, production=production_whole,
                          dispositions=liquid_codes, ending_stock=ending_whole, gauged_stock=whole(gauged),
                          estimated_days=estimated_days),
        gas=GasBalance(product=gas_product, production=gas_whole, dispositions=gas_codes),
        problems=problems,
    )


@dataclass(frozen=True)
class FormPr:
    month: date
    rows: list[LeaseBalance]  # the leases that balance (or balance with a stock mismatch)
    refused: list[LeaseBalance]  # dispositions_exceed_available: listed under problems, not in rows

    @property
    def problems(self) -> list[tuple[LeaseBalance, Problem]]:
        return [(balance, problem) for balance in (*self.rows, *self.refused) for problem in balance.problems]


def form_pr(*, leases, month: date, time_zone: zoneinfo.ZoneInfo, today: date) -> FormPr:
    """One balance per lease, ordered as the RRC lists them: district (01 ... 6E, 7B, 7C, 08, 8A, 09,
    10; none last), lease number, name."""
    def order(lease):
        district = RRC_DISTRICTS.index(lease.rrc_district) if lease.rrc_district in RRC_DISTRICTS else len(RRC_DISTRICTS)
        return district, lease.rrc_lease_number.zfill(10), lease.name, str(lease.pk)

    ordered = sorted(leases, key=order)
    balances = [lease_balance(lease=lease, month=month, time_zone=time_zone, today=today) for lease in ordered]
    return FormPr(month=month.replace(day=1), rows=[b for b in balances if not b.exceeds],
                  refused=[b for b in balances if b.exceeds])


def dispositions_list(*, leases, lease_id=None, month: date | None = None):
    """Manual dispositions (not withdrawn) of the given leases (a queryset of what the user may see)."""
    entries = Disposition.objects.filter(lease__in=leases, deleted_at__isnull=True)
    if lease_id is not None:
        entries = entries.filter(lease_id=lease_id)
    if month is not None:
        entries = entries.filter(month=month.replace(day=1))
    return entries.order_by("-month", "lease_id", "product", "created_at", "id")


def disposition_get(*, leases, disposition_id) -> Disposition | None:
    """One manual disposition (not withdrawn) of the given leases, or None (a malformed id too)."""
    from django.core.exceptions import ValidationError

    try:
        return dispositions_list(leases=leases).filter(pk=disposition_id).first()
    except (ValueError, TypeError, ValidationError):
        return None
