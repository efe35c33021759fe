"""Evaluation: which alerts each rule wants open, for a set of wells (those a batch touched) or
all of them (the periodic job), then open the missing ones, close the cleared ones and e-mail the
new ones (one message per tenant per run). Bulk reads: a handful of queries whatever the number
of wells, so that evaluating after a batch costs a small part of processing it."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Max, Q
from django.utils import timezone

from tenants import databases as tenant_db
from tenants.context import current_tenant, current_time_zone

from ..changelog.services import change_record
from ..domain import InspectionStatus, Product, WellStatus
from ..leases import StrappingRow, Tank, TankGauge
from ..models import (
    EquipmentInspection,
    EquipmentRepair,
    FieldNote,
    Photo,
    ProductionRecord,
    Well,
    WellAssignment,
    WellReading,
)
from ..strapping import LevelOutOfRange, barrels_at
from .models import Alert, AlertStatus, AlertType
from .rules import rule_settings

log = logging.getLogger(__name__)
OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


@dataclass
class Wanted:
    """An alert a rule wants open: its subject, message and details."""

    type: str
    well_id: uuid.UUID | None
    tank_id: uuid.UUID | None
    message: str
    details: dict

    @property
    def key(self) -> str:
        return f"{self.type}:{self.well_id or self.tank_id}"


@dataclass
class EvaluationRun:
    opened: list[Alert] = field(default_factory=list)
    closed: int = 0
    emailed: int = 0


# --------------------------------------------------------------------------- conditions


def _daily_production(well_ids, since: date) -> dict:
    """{well_id: {date: {"oil": Decimal, "gas": Decimal, "down": bool}}} from current records."""
    days: dict = defaultdict(lambda: defaultdict(lambda: {"oil": Decimal(0), "gas": Decimal(0), "hours": Decimal(0),
                                                          "oil_seen": False}))
    rows = ProductionRecord.objects.filter(well_id__in=well_ids, superseded_by__isnull=True,
                                           production_date__gte=since) \
        .values_list("well_id", "production_date", "product", "volume_normalized", "downtime_hours")
    for well_id, day, product, volume, hours in rows:
        entry = days[well_id][day]
        if product == Product.OIL:
            entry["oil"] += volume
            entry["oil_seen"] = True
        elif product == Product.GAS:
            entry["gas"] += volume
        if hours is not None and hours > entry["hours"]:
            entry["hours"] = hours
    return days


def _well_down(wells: dict, daily: dict, days: int) -> list[Wanted]:
    wanted = []
    for well_id, by_day in daily.items():
        well = wells.get(well_id)
        if well is None or well["status"] != WellStatus.ACTIVE or not by_day:
            continue
        last = max(by_day)
        run = [last - timedelta(days=n) for n in range(days)]
        down = all(d in by_day and (by_day[d]["oil"] + by_day[d]["gas"] == 0 or by_day[d]["hours"] >= 24)
                   for d in run)
        if down:
            wanted.append(Wanted(AlertType.WELL_DOWN, well_id, None,
                                 f"{well['name']} is down: no oil or gas (or 24 h downtime) for {days} day"
                                 f"{'s' if days > 1 else ''} to {last.isoformat()}.",
                                 {"days": days, "from": run[-1].isoformat(), "to": last.isoformat()}))
    return wanted


def _production_drop(wells: dict, daily: dict, percent: int) -> list[Wanted]:
    wanted = []
    for well_id, by_day in daily.items():
        well = wells.get(well_id)
        oil_days = sorted(d for d, entry in by_day.items() if entry["oil_seen"])
        if well is None or not oil_days:
            continue
        last = oil_days[-1]
        before = [by_day[last - timedelta(days=n)]["oil"] for n in range(1, 8)
                  if (last - timedelta(days=n)) in by_day and by_day[last - timedelta(days=n)]["oil_seen"]]
        if not before:
            continue
        average = sum(before) / len(before)
        oil = by_day[last]["oil"]
        if average > 0 and oil * 100 < average * percent:
            wanted.append(Wanted(AlertType.PRODUCTION_DROP, well_id, None,
                                 f"{well['name']}: oil on {last.isoformat()} was {oil.normalize():f} BBL, below "
                                 f"{percent} % of its 7-day average ({average.quantize(Decimal('0.1'))} BBL).",
                                 {"date": last.isoformat(), "oilBbl": str(oil.normalize()),
                                  "averageBbl": str(average.quantize(Decimal("0.001"))), "percent": percent}))
    return wanted


def _missed_visit(wells: dict, days: int, now: datetime) -> list[Wanted]:
    """Route wells (assigned to someone; not plugged) with no field record for ``days`` days."""
    route = dict(WellAssignment.objects.filter(well_id__in=list(wells)).values("well_id")
                 .annotate(latest=Max("assigned_at")).values_list("well_id", "latest"))
    if not route:
        return []
    ids = list(route)
    zone = current_time_zone()
    last: dict = {}

    def seen(well_id, moment):
        if moment is not None and (well_id not in last or moment > last[well_id]):
            last[well_id] = moment

    for model, name in ((WellReading, "recorded_at"), (EquipmentInspection, "inspected_at"),
                        (EquipmentRepair, "repaired_at"), (FieldNote, "recorded_at"), (Photo, "taken_at")):
        for well_id, moment in model.objects.filter(well_id__in=ids).values("well_id").annotate(m=Max(name)) \
                .values_list("well_id", "m"):
            seen(well_id, moment)
    for well_id, day in ProductionRecord.objects.filter(well_id__in=ids).values("well_id") \
            .annotate(m=Max("production_date")).values_list("well_id", "m"):
        if day is not None:  # a production day counts as visited at its end
            seen(well_id, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone))
    limit = now - timedelta(days=days)
    wanted = []
    for well_id, assigned in route.items():
        well = wells[well_id]
        if well["status"] == WellStatus.PLUGGED:
            continue
        seen_at = last.get(well_id)
        if (seen_at or assigned) < limit:
            when = timezone.localtime(seen_at, zone).strftime("%Y-%m-%d %H:%M") if seen_at else "never"
            wanted.append(Wanted(AlertType.MISSED_VISIT, well_id, None,
                                 f"{well['name']} has had no visit for {days} day{'s' if days > 1 else ''} "
                                 f"(last event: {when}).",
                                 {"days": days, "lastEventAt": seen_at.isoformat() if seen_at else None}))
    return wanted


def _inspection_failed(wells: dict) -> list[Wanted]:
    """Wells with a piece of equipment whose latest current inspection is FAIL."""
    latest: dict = {}
    for row in EquipmentInspection.objects.filter(well_id__in=list(wells), superseded_by__isnull=True,
                                                  equipment__deleted_at__isnull=True) \
            .order_by("equipment_id", "-inspected_at") \
            .values("well_id", "equipment_id", "equipment__name", "status", "inspected_at", "inspection_type"):
        latest.setdefault(row["equipment_id"], row)
    failed: dict = defaultdict(list)
    for row in latest.values():
        if row["status"] == InspectionStatus.FAIL:
            failed[row["well_id"]].append(row)
    wanted = []
    for well_id, rows in failed.items():
        names = ", ".join(sorted(r["equipment__name"] for r in rows))
        wanted.append(Wanted(AlertType.INSPECTION_FAILED, well_id, None,
                             f"{wells[well_id]['name']}: failed inspection of {names}.",
                             {"equipment": [{"equipmentId": str(r["equipment_id"]), "name": r["equipment__name"],
                                             "inspectedAt": r["inspected_at"].isoformat(),
                                             "inspectionType": r["inspection_type"]} for r in rows]}))
    return wanted


def _tank_high(tank_ids, percent: int) -> list[Wanted]:
    tanks = {t.pk: t for t in Tank.objects.filter(pk__in=tank_ids, deleted_at__isnull=True).select_related("lease")}
    if not tanks:
        return []
    last: dict = {}
    for gauge in TankGauge.objects.filter(tank_id__in=list(tanks), superseded_by__isnull=True) \
            .order_by("tank_id", "-gauged_at").only("tank_id", "level_inches", "gauged_at"):
        last.setdefault(gauge.tank_id, gauge)
    strapping: dict = defaultdict(list)
    for row in StrappingRow.objects.filter(tank_id__in=list(last)).order_by("tank_id", "height_inches"):
        strapping[row.tank_id].append(row)
    wanted = []
    for tank_id, gauge in last.items():
        tank = tanks[tank_id]
        try:
            share = barrels_at(strapping[tank_id], gauge.level_inches) / tank.capacity_bbl
        except LevelOutOfRange:  # no strapping table (or a level above it): by height
            share = gauge.level_inches / tank.height_inches
        if share * 100 >= percent:
            shown = (share * 100).quantize(Decimal("0.1"))
            wanted.append(Wanted(AlertType.TANK_HIGH, None, tank_id,
                                 f"Tank {tank.name} on {tank.lease.name} is at {shown} % of its capacity.",
                                 {"percent": percent, "fillPercent": str(shown),
                                  "gaugedAt": gauge.gauged_at.isoformat(), "leaseId": str(tank.lease_id)}))
    return wanted


# --------------------------------------------------------------------------- evaluation


def alerts_evaluate(*, well_ids=None, now: datetime | None = None, send: bool = True) -> EvaluationRun:
    """Evaluate every rule for ``well_ids`` (None: every well) and the tanks of their leases."""
    now = now or timezone.now()
    wells_qs = Well.objects.filter(deleted_at__isnull=True)
    if well_ids is not None:
        wells_qs = wells_qs.filter(pk__in=list(well_ids))
    wells = {w["id"]: w for w in wells_qs.values("id", "name", "status", "lease_ref_id")}
    tank_ids = set(Tank.objects.filter(lease_id__in={w["lease_ref_id"] for w in wells.values() if w["lease_ref_id"]},
                                       deleted_at__isnull=True).values_list("pk", flat=True))
    if well_ids is None:
        tank_ids |= set(Tank.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    rules = rule_settings()
    today = timezone.localdate(now, current_time_zone())
    need_daily = rules[AlertType.WELL_DOWN].enabled or rules[AlertType.PRODUCTION_DROP].enabled
    window = max(rules[AlertType.WELL_DOWN].params.get("days", 1), 8) + 1
    daily = _daily_production(list(wells), today - timedelta(days=window)) if need_daily and wells else {}
    conditions = {
        AlertType.WELL_DOWN: lambda p: _well_down(wells, daily, p["days"]),
        AlertType.PRODUCTION_DROP: lambda p: _production_drop(wells, daily, p["percent"]),
        AlertType.MISSED_VISIT: lambda p: _missed_visit(wells, p["days"], now) if wells else [],
        AlertType.INSPECTION_FAILED: lambda p: _inspection_failed(wells) if wells else [],
        AlertType.TANK_HIGH: lambda p: _tank_high(tank_ids, p["percent"]),
    }
    wanted: dict[str, Wanted] = {}
    for type_, rule in rules.items():
        if rule.enabled:
            for item in conditions[type_](rule.params):
                wanted[item.key] = item
    run = EvaluationRun()
    with tenant_db.atomic():
        # The periodic run looks at every open alert: those of wells or tanks deleted since close too.
        scope = Q() if well_ids is None else Q(well_id__in=list(wells)) | Q(tank_id__in=list(tank_ids))
        current = {a.open_key: a for a in Alert.objects.filter(scope, status__in=OPEN_STATUSES)
                   .select_for_update().only("id", "open_key", "well_id", "tank_id", "version")}
        cleared = [a for key, a in current.items() if key not in wanted]
        if cleared:
            Alert.objects.filter(pk__in=[a.pk for a in cleared], status__in=OPEN_STATUSES) \
                .update(status=AlertStatus.CLOSED, closed_at=now, open_key=None, version=F("version") + 1)
            for a in cleared:
                a.version += 1
            run.closed = len(cleared)
        new = [Alert(id=uuid.uuid4(), type=w.type, status=AlertStatus.OPEN, well_id=w.well_id, tank_id=w.tank_id,
                     open_key=w.key, opened_at=now, message=w.message[:500], details=w.details)
               for key, w in wanted.items() if key not in current]
        if new:
            # A concurrent run may have opened the same one: its row stays, ours is not made.
            Alert.objects.bulk_create(new, ignore_conflicts=True)
            made = set(Alert.objects.filter(pk__in=[a.pk for a in new]).values_list("pk", flat=True))
            run.opened = [a for a in new if a.pk in made]
        alerts_changed(run.opened + cleared)
    if send and run.opened:
        run.emailed = alerts_email(run.opened)
    return run


def alerts_changed(alerts) -> None:
    """Log alert changes for the pull feed: one row per well the alert is about (a tank's alert:
    per well of its lease, so that the operators of that lease's route wells receive it)."""
    tank_wells: dict = defaultdict(list)
    tank_ids = {a.tank_id for a in alerts if a.tank_id}
    if tank_ids:
        for tank_id, well_id in Tank.objects.filter(pk__in=tank_ids).values_list("pk", "lease__wells__id"):
            if well_id:
                tank_wells[tank_id].append(well_id)
    for a in alerts:
        for well_id in ([a.well_id] if a.well_id else tank_wells.get(a.tank_id, ())):
            change_record(entity="alert", entity_id=a.pk, well_id=well_id, version=a.version)


def alerts_email(alerts: list[Alert]) -> int:
    """One message to the tenant's MANAGERs and ADMINs listing the new alerts; the number sent (0 or 1)."""
    from accounts.models import Role, User

    recipients = sorted(User.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.ADMIN])
                        .exclude(email="").values_list("email", flat=True))
    if not recipients:
        return 0
    tenant = current_tenant()
    name = tenant.name if tenant is not None else "Pumpjack"
    lines = [f"- {a.get_type_display()}: {a.message}" for a in alerts]
    subject = f"[{name}] {len(alerts)} new alert{'s' if len(alerts) > 1 else ''}"
    body = "New alerts:\n\n" + "\n".join(lines) + "\n\nSee the alerts page of the portal to acknowledge them.\n"
    try:
        return send_mail(subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", None), recipients)
    except Exception:  # noqa: BLE001 (a mail server down never undoes the alerts; logged)
        log.warning("alerts: e-mail to %s recipients failed", len(recipients), exc_info=True)
        return 0


def alert_acknowledge(*, alert: Alert, user, note: str) -> Alert:
    with tenant_db.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status != AlertStatus.OPEN:
            raise AlertNotOpen(locked.status)
        locked.status = AlertStatus.ACKNOWLEDGED
        locked.acknowledged_by = user
        locked.acknowledged_at = timezone.now()
        locked.acknowledgement_note = note
        locked.version += 1
        locked.save()
        alerts_changed([locked])
    return locked


class AlertNotOpen(Exception):
    pass
