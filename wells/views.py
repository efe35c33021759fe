"""Portal pages of the wells app: the dashboard, the wells list and a well's page.

Every figure starts from the selectors (``wells_for_user`` and those built on it), so an
OPERATOR sees only their route here exactly as in the API and the sync feed. The dashboard's
figures of the layers above (sync's pending conflicts and last syncs) are registered with
``dashboard_figures`` by those layers: this module imports nothing above the domain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from config.map_tiles import tile_server

from accounts.models import Role

from .alerts.selectors import alerts_open_for_user, equipment_needing_attention
from .charts import production_chart
from .domain import PRODUCT_UNITS, Product, WellStatus
from .lease_selectors import well_lease_gauges
from .selectors import (
    display_names,
    production_records_recent,
    production_series,
    production_totals,
    recent_field_records,
    tenant_today,
    well_equipment,
    well_get_for_user,
    well_list,
    wells_by_status,
    wells_for_user,
)

WELLS_PAGE_SIZE = 50
CHART_DAYS = 90
DASHBOARD_ALERTS = 10
PRODUCTION_ROWS = 15

_DASHBOARD_FIGURES: list[Callable[..., dict]] = []


def dashboard_figures(figures: Callable[..., dict]) -> Callable[..., dict]:
    """Register ``figures(*, user) -> dict``: entries of the dashboard's template context from a
    layer above this one (``sync/dashboard.py``: pending conflicts, last sync per pumper)."""
    _DASHBOARD_FIGURES.append(figures)
    return figures


def _tenant_time_zone(request) -> str:
    return request.tenant_entry.tenant.time_zone


def _product_rows(totals: dict) -> list[dict]:
    return [{"product": p, "label": p.title(), "unit": PRODUCT_UNITS[p][0], "volume": totals[p]}
            for p in Product.values]


def _compared(totals: dict, previous: dict) -> list[dict]:
    """Product rows with the previous period's volume and the change in percent (None: no base)."""
    rows = _product_rows(totals)
    for row in rows:
        before = previous[row["product"]]
        row["previous"] = before
        row["change"] = round((row["volume"] - before) * 100 / before, 1) if before else None
    return rows


@login_required
def dashboard_view(request):
    user = request.user
    today = tenant_today(_tenant_time_zone(request))
    week_start = today - timedelta(days=6)
    by_status = wells_by_status(user=user)
    open_alerts = alerts_open_for_user(user=user)
    context = {
        "alerts": list(open_alerts[:DASHBOARD_ALERTS]),
        "alert_count": open_alerts.count(),
        "can_acknowledge": user.has_perm("wells.change_alert"),
        "today": today,
        "week_start": week_start,
        "status_counts": [{"status": s, "count": by_status[s]} for s in WellStatus.values],
        "well_count": sum(by_status.values()),
        "production_today": _product_rows(production_totals(user=user, start=today, end=today)),
        "production_week": _compared(production_totals(user=user, start=week_start, end=today),
                                     production_totals(user=user, start=week_start - timedelta(days=7),
                                                       end=week_start - timedelta(days=1))),
        "previous_start": week_start - timedelta(days=7),
        "previous_end": week_start - timedelta(days=1),
        "route_only": user.role == Role.OPERATOR,
        **_well_map(user=user, open_alerts=open_alerts),
    }
    for figures in _DASHBOARD_FIGURES:
        context.update(figures(user=user))
    return render(request, "wells/dashboard.html", context)


# The map's marker colours: a well with an open (or acknowledged, not yet closed) alert is drawn
# as "alert" whatever its status; the others by status. The legend lists them in this order.
MAP_COLOURS = {
    "alert": ("Open alert", "#c62828"),
    WellStatus.ACTIVE: ("Active", "#2e7d32"),
    WellStatus.SHUT_IN: ("Shut in", "#b7791f"),
    WellStatus.INACTIVE: ("Inactive", "#6b7280"),
    WellStatus.PLUGGED: ("Plugged", "#1f2937"),
}


def _well_map(*, user, open_alerts) -> dict:
    """The dashboard map: a marker per visible well with coordinates (its status, open alerts and
    colour), and the wells without coordinates, listed under the map instead of dropped."""
    alerted: dict[str, int] = {}
    for well_id in open_alerts.exclude(well__isnull=True).values_list("well_id", flat=True):
        alerted[str(well_id)] = alerted.get(str(well_id), 0) + 1
    markers, unplaced = [], []
    for well in wells_for_user(user=user).order_by("name", "api_number").only(
            "id", "name", "api_number", "status", "latitude", "longitude"):
        alerts = alerted.get(str(well.pk), 0)
        colour = "alert" if alerts else well.status
        if well.latitude is None or well.longitude is None:
            unplaced.append({"well": well, "alerts": alerts, "colour": colour})
            continue
        markers.append({
            "id": str(well.pk), "name": well.name, "apiNumber": well.api_number, "status": well.status,
            "statusLabel": MAP_COLOURS.get(well.status, (well.status, ""))[0], "openAlerts": alerts,
            "colour": colour, "lat": float(well.latitude), "lng": float(well.longitude),
            "url": reverse("wells:detail", args=[well.pk]),
        })
    tiles = tile_server()
    return {
        "map_data": {
            "markers": markers,
            "colours": {key: value[1] for key, value in MAP_COLOURS.items()},
            "tiles": {"url": tiles.url, "attribution": tiles.attribution} if tiles else None,
        },
        "map_legend": [{"key": key, "label": label, "colour": colour,
                        "count": sum(1 for m in markers if m["colour"] == key)}
                       for key, (label, colour) in MAP_COLOURS.items()],
        "map_unplaced": unplaced,
    }


class WellFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status")] + WellStatus.choices)
    lease = forms.ChoiceField(required=False)
    field = forms.ChoiceField(required=False)
    search = forms.CharField(required=False, max_length=100, label="Name or API number")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = wells_for_user(user=user)
        for name, empty in (("lease", "Any lease"), ("field", "Any field")):
            values = visible.exclude(**{name: ""}).order_by(name).values_list(name, flat=True).distinct()
            self.fields[name].choices = [("", empty)] + [(v, v) for v in values]


@login_required
@permission_required("wells.view_well", raise_exception=True)
def well_list_view(request):
    form = WellFilterForm(request.GET or None, user=request.user)
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    wells = well_list(
        user=request.user, status=filters.get("status", ""), lease=filters.get("lease", ""),
        field=filters.get("field", ""), search=(filters.get("search") or "").strip(),
    )
    if form.errors:  # e.g. a lease none of this user's wells is on: nothing matches
        wells = wells.none()
    page = Paginator(wells, WELLS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "wells/list.html", {
        "form": form,
        "page": page,
        "filtered": bool(form.errors) or any(filters.values()),
        "query": query.urlencode(),
        "route_only": request.user.role == Role.OPERATOR,
    })


@login_required
@permission_required("wells.view_well", raise_exception=True)
def well_detail_view(request, well_id):
    well = well_get_for_user(user=request.user, well_id=well_id)
    if well is None:  # unknown, deleted or off this OPERATOR's route: the same answer
        raise Http404("No such well.")
    today = tenant_today(_tenant_time_zone(request))
    series = production_series(well=well, end=today, days=CHART_DAYS)
    records = recent_field_records(well=well, limit=15)
    production = production_records_recent(well=well, limit=PRODUCTION_ROWS)
    gauges = well_lease_gauges(well=well, limit=PRODUCTION_ROWS)
    _who_recorded([*(item["record"] for item in records), *production], records, gauges)
    return render(request, "wells/detail.html", {
        "well": well,
        "chart": production_chart(series=series, well_name=well.name),
        "equipment": list(well_equipment(well=well)),
        "attention": equipment_needing_attention(well=well),
        "records": records,
        "production": production,
        "gauges": gauges,
        "gauge_lease": well.lease_ref if well.lease_ref_id and well.lease_ref.deleted_at is None else None,
        "alerts": list(alerts_open_for_user(user=request.user).filter(well=well)),
        "can_acknowledge": request.user.has_perm("wells.change_alert"),
        "today": today,
    })


def _who_recorded(rows, records: list[dict], gauges=()) -> dict:
    """Set ``by`` (the recorder's name) on production rows and record items; the names (by user
    id) are returned for the tank gauges, which ``gauge_by`` looks up."""
    names = display_names(ids={r.recorded_by_id for r in [*rows, *(g.gauge for g in gauges)] if r.recorded_by_id})
    for row in rows:
        row.by = names.get(str(row.recorded_by_id), "") if row.recorded_by_id else ""
    for item in records:
        pk = item["record"].recorded_by_id
        item["by"] = names.get(str(pk), "") if pk else ""
    for shown in gauges:
        shown.gauge.by = names.get(str(shown.gauge.recorded_by_id), "") if shown.gauge.recorded_by_id else ""
    return names
