"""Reads of the well domain, scoped by what the user may see.

``wells_for_user`` is the one place that decides which wells a user may see: the API, the
portal and the sync pull feed all start from it. OPERATORs see the wells on their route (one
join on the assignment table, no per-row permission query); MANAGERs and ADMINs see every well.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Role

from .domain import Product
from .models import (
    Equipment,
    EquipmentInspection,
    EquipmentRepair,
    FieldNote,
    Photo,
    ProductionRecord,
    Well,
    WellReading,
)


_API_NUMBER_FRAGMENT = re.compile(r"[0-9][0-9 -]*")


def wells_for_user(*, user) -> QuerySet[Well]:
    wells = Well.objects.filter(deleted_at__isnull=True)
    if user is None or not user.is_authenticated or not user.is_active:
        return wells.none()
    if user.role in (Role.ADMIN, Role.MANAGER):
        return wells
    if user.role == Role.OPERATOR:
        return wells.filter(assignments__user=user)
    return wells.none()


def well_get_for_user(*, user, well_id) -> Well | None:
    """The well if this user may see it, else None (callers answer 404 either way)."""
    try:
        return wells_for_user(user=user).filter(pk=well_id).first()
    except (ValueError, TypeError, ValidationError):  # not a UUID: no such well
        return None


def well_list(*, user, status: str = "", lease: str = "", field: str = "", search: str = "") -> QuerySet[Well]:
    wells = wells_for_user(user=user)
    if status:
        wells = wells.filter(status=status)
    if lease:
        wells = wells.filter(lease__iexact=lease)
    if field:
        wells = wells.filter(field__iexact=field)
    if search:
        condition = Q(name__icontains=search)
        # Only a search written like (part of) an API number looks in API numbers: the digits of
        # "Smith 1-H" would otherwise match every well whose number holds a 1.
        if _API_NUMBER_FRAGMENT.fullmatch(search.strip()):
            condition |= Q(api_number__contains=search.replace("-", "").replace(" ", ""))
        wells = wells.filter(condition)
    return wells.order_by("name", "api_number")


def equipment_for_user(*, user) -> QuerySet[Equipment]:
    return Equipment.objects.filter(deleted_at__isnull=True, well__in=wells_for_user(user=user))


def equipment_get_for_user(*, user, equipment_id) -> Equipment | None:
    try:
        return equipment_for_user(user=user).select_related("well").filter(pk=equipment_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


# Nested lists under a well: current and superseded records alike (the API shows supersededBy).
def well_equipment(*, well: Well) -> QuerySet[Equipment]:
    return Equipment.objects.filter(well=well, deleted_at__isnull=True).order_by("name")


def well_production(*, well: Well, date_from: date | None = None, date_to: date | None = None):
    records = ProductionRecord.objects.filter(well=well)
    if date_from:
        records = records.filter(production_date__gte=date_from)
    if date_to:
        records = records.filter(production_date__lte=date_to)
    return records.order_by("-production_date", "product", "-created_at")


def well_readings(*, well: Well):
    return WellReading.objects.filter(well=well).order_by("-recorded_at", "-created_at")


def well_inspections(*, well: Well):
    return EquipmentInspection.objects.filter(well=well).order_by("-inspected_at", "-created_at")


def well_repairs(*, well: Well):
    return EquipmentRepair.objects.filter(well=well).order_by("-repaired_at", "-created_at")


def well_notes(*, well: Well):
    return FieldNote.objects.filter(well=well).order_by("-recorded_at", "-created_at")


def well_photos(*, well: Well):
    return Photo.objects.filter(well=well).order_by("-taken_at", "-created_at")


# ------------------------------------------------------------------ dashboard and charts


def tenant_today(time_zone: str) -> date:
    """Today in the tenant's time zone (what "day" means for field data)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def production_totals(*, user, start: date, end: date) -> dict[str, Decimal]:
    """Current-record production per product over [start, end], in base units (BBL / MCF)."""
    rows = (
        ProductionRecord.objects.filter(
            well__in=wells_for_user(user=user), superseded_by__isnull=True,
            production_date__gte=start, production_date__lte=end,
        )
        .values("product")
        .annotate(total=Sum("volume_normalized"))
    )
    totals = {product: Decimal(0) for product in Product.values}
    for row in rows:
        totals[row["product"]] = row["total"] or Decimal(0)
    return totals


def wells_by_status(*, user) -> dict[str, int]:
    from .domain import WellStatus

    counts = {status: 0 for status in WellStatus.values}
    for row in wells_for_user(user=user).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def production_series(*, well: Well, end: date, days: int = 90) -> dict:
    """Daily current-record volumes per product for the ``days`` days ending at ``end``, with
    zero on days without a record: {"dates": [...], "OIL": [...], "GAS": [...], "WATER": [...]}."""
    start = end - timedelta(days=days - 1)
    dates = [start + timedelta(days=n) for n in range(days)]
    index = {d: n for n, d in enumerate(dates)}
    series = {product: [0.0] * days for product in Product.values}
    rows = ProductionRecord.objects.filter(
        well=well, superseded_by__isnull=True, production_date__gte=start, production_date__lte=end
    ).values_list("production_date", "product", "volume_normalized")
    for day, product, volume in rows:
        series[product][index[day]] = float(volume)
    return {"dates": [d.isoformat() for d in dates], **series}


def recent_field_records(*, well: Well, limit: int = 10) -> list[dict]:
    """The latest readings, inspections, repairs, notes and photos of a well, newest first."""
    items: list[tuple[datetime, str, object]] = []
    for kind, records, moment in (
        ("Reading", well_readings(well=well)[:limit], "recorded_at"),
        ("Inspection", well_inspections(well=well).select_related("equipment")[:limit], "inspected_at"),
        ("Repair", well_repairs(well=well).select_related("equipment")[:limit], "repaired_at"),
        ("Note", well_notes(well=well)[:limit], "recorded_at"),
        ("Photo", well_photos(well=well)[:limit], "taken_at"),
    ):
        items.extend((getattr(record, moment), kind, record) for record in records)
    items.sort(key=lambda item: item[0], reverse=True)
    return [{"at": at, "kind": kind, "record": record} for at, kind, record in items[:limit]]


def production_records_recent(*, well: Well, limit: int = 15) -> list:
    """The well's current production records, newest day first (the well page's table)."""
    return list(ProductionRecord.objects.filter(well=well, superseded_by__isnull=True)
                .order_by("-production_date", "product")[:limit])


def display_names(*, ids) -> dict[str, str]:
    """{id string: name} for the wells, equipment and users among ``ids`` (UUIDs or strings), in
    three queries: how the portal shows an id to a person."""
    from accounts.models import User

    wanted = set()
    for value in ids:
        try:
            wanted.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue
    if not wanted:
        return {}
    names = {str(pk): name for pk, name in Well.objects.filter(pk__in=wanted).values_list("pk", "name")}
    names.update({str(pk): name for pk, name in Equipment.objects.filter(pk__in=wanted).values_list("pk", "name")})
    names.update({str(pk): name or email for pk, name, email in User.objects.filter(pk__in=wanted)
                  .values_list("pk", "name", "email")})
    return names
