"""Rows stored by earlier versions with a date or time outside the wire bounds (config.dates),
moved out of the way so that every list reads again, and kept for review (never deleted).

Earlier versions accepted times such as 0001-01-01T00:00:00+14:00: PostgreSQL stores it (as a
year 1 BC instant) but psycopg cannot read it back, so one such reading made every readings list
and portal page of its well answer 500. ``out_of_bounds_quarantine`` finds them with SQL alone
(the bad value is read as text, never as a datetime) and, per target:

- a field record (reading, production record, inspection, ...) is *moved*: copied whole into
  QuarantinedRecord and removed from its table; the records it had superseded take its place
  again (its successor, or if it was current the newest of them becomes current);
- a value that may be empty (a well's spud date, a sync event's occurredAt) is *cleared*: the
  value is kept in QuarantinedRecord and set to null in its row.

The data migrations (wells 0003, sync 0006) run it in every tenant; ``manage.py
quarantined_records`` lists what it moved and can scan again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast

from config.dates import EARLIEST_DATE, EARLIEST_SPUD_DATE, EARLIEST_TIME, latest_date, latest_time, utc_now


@dataclass(frozen=True)
class Target:
    model: str  # "app_label.ModelName"
    field: str
    action: str  # "moved" or "cleared"
    earliest: date | datetime


_RECORD_TIMES = (("wells.WellReading", "recorded_at"), ("wells.EquipmentInspection", "inspected_at"),
                 ("wells.EquipmentRepair", "repaired_at"), ("wells.FieldNote", "recorded_at"),
                 ("wells.Photo", "taken_at"), ("wells.ProductionRecord", "recorded_at"))
WELLS_TARGETS: tuple[Target, ...] = (
    Target("wells.ProductionRecord", "production_date", "moved", EARLIEST_DATE),
    *(Target(model, field, "moved", EARLIEST_TIME) for model, field in _RECORD_TIMES),
    Target("wells.Well", "spud_date", "cleared", EARLIEST_SPUD_DATE),
)
SYNC_TARGETS: tuple[Target, ...] = (Target("sync.SyncEvent", "occurred_at", "cleared", EARLIEST_TIME),)
TARGETS = WELLS_TARGETS + SYNC_TARGETS


def _out_of_bounds(target: Target, now: datetime) -> Q:
    latest = latest_time(now) if isinstance(target.earliest, datetime) else latest_date(now)
    return Q(**{f"{target.field}__lt": target.earliest}) | Q(**{f"{target.field}__gt": latest})


def _row_as_json(model, queryset, pk) -> dict:
    """Every column of one row, dates and times as the database writes them (never parsed)."""
    temporal = [f.attname for f in model._meta.concrete_fields
                if isinstance(f, (models.DateField, models.DateTimeField))]
    plain = [f.attname for f in model._meta.concrete_fields if f.attname not in temporal]
    texts = {f"{name}__text": Cast(name, models.CharField()) for name in temporal}
    row = queryset.filter(pk=pk).annotate(**texts).values(*plain, *texts).first() or {}
    row = {key.removesuffix("__text"): value for key, value in row.items()}
    return json.loads(json.dumps(row, cls=DjangoJSONEncoder))


def _take_its_place(model, using: str, pk, successor) -> None:
    """The records ``pk`` superseded point to its successor, or (it was current) the newest of
    them becomes current and the others point to it."""
    predecessors = model.objects.using(using).filter(superseded_by_id=pk)
    if successor is not None:
        predecessors.update(superseded_by_id=successor)
        return
    newest = predecessors.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    if newest is not None:
        predecessors.exclude(pk=newest).update(superseded_by_id=newest)
        # Only one current record per key (production): ``pk`` steps aside before ``newest`` is current.
        model.objects.using(using).filter(pk=pk).update(superseded_by_id=newest)
        model.objects.using(using).filter(pk=newest).update(superseded_by_id=None)


def out_of_bounds_quarantine(*, apps, using: str = "default", targets=TARGETS, now: datetime | None = None) -> int:
    """Move or clear every row of ``targets`` whose date or time lies outside the wire bounds;
    the number of rows quarantined. ``apps``: the app registry (a migration's, or django.apps)."""
    now = now or utc_now()
    quarantined = apps.get_model("wells", "QuarantinedRecord").objects.using(using)
    count = 0
    for target in targets:
        model = apps.get_model(target.model)
        rows = model.objects.using(using).filter(_out_of_bounds(target, now))
        found = list(rows.annotate(value_text=Cast(target.field, models.CharField())).values_list("pk", "value_text"))
        for pk, value in found:
            data = _row_as_json(model, model.objects.using(using), pk)
            well_id = data.get("well_id") or (data.get("id") if target.model == "wells.Well" else None)
            quarantined.create(model=target.model, record_id=str(pk), well_id=well_id, field=target.field,
                               value=str(value)[:80], action=target.action, data=data)
            if target.action == "cleared":
                model.objects.using(using).filter(pk=pk).update(**{target.field: None})
            else:
                _take_its_place(model, using, pk, data.get("superseded_by_id"))
                # Not .delete(): Django's collector would load the row, and its time cannot be read.
                model.objects.using(using).filter(pk=pk)._raw_delete(using)
            count += 1
    return count
