"""Portal pages of leases (API.md section 13): the leases list and a lease's page, with its wells,
its tanks and each tank's current level as barrels and percent of capacity.

Every figure starts from wells.lease_selectors, so an OPERATOR sees the leases of their route
only, as in the API."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import render

from accounts.models import Role

from .lease_selectors import (
    lease_daily,
    lease_get_for_user,
    lease_wells,
    leases_for_user,
    run_ticket_list,
    tank_levels,
    tank_list,
    wells_reported_oil,
)
from .selectors import tenant_today

DAILY_DAYS = 14
TICKETS_SHOWN = 10


@login_required
@permission_required("wells.view_lease", raise_exception=True)
def lease_list_view(request):
    leases = leases_for_user(user=request.user).order_by("name", "id")
    return render(request, "wells/leases.html", {
        "leases": list(leases), "route_only": request.user.role == Role.OPERATOR,
        "may_export": request.user.role in (Role.ADMIN, Role.MANAGER),
    })


@login_required
@permission_required("wells.view_lease", raise_exception=True)
def lease_detail_view(request, lease_id):
    lease = lease_get_for_user(user=request.user, lease_id=lease_id)
    if lease is None:  # unknown, deleted or off this OPERATOR's route: the same answer
        raise Http404("No such lease.")
    zone_name = request.tenant_entry.tenant.time_zone
    zone = zoneinfo.ZoneInfo(zone_name)
    today = tenant_today(zone_name)
    start = today - timedelta(days=DAILY_DAYS - 1)
    wells = list(lease_wells(user=request.user, lease=lease))
    reported = wells_reported_oil(wells=wells, date_from=start, date_to=today)
    days = [(day, reported.get(day.date)) for day in reversed(lease_daily(
        lease=lease, date_from=start, date_to=today, time_zone=zone))]
    return render(request, "wells/lease_detail.html", {
        "lease": lease,
        "wells": wells,
        "daily": days,
        "tickets": list(run_ticket_list(user=request.user, lease_id=lease.pk).filter(
            superseded_by__isnull=True).select_related("tank")[:TICKETS_SHOWN]),
        "tanks": tank_levels(tanks=tank_list(user=request.user, lease_id=lease.pk)),
        "route_only": request.user.role == Role.OPERATOR,
    })
