"""Portal pages of leases (API.md section 13): the leases list and a lease's page, with its wells,
its tanks and each tank's current level as barrels and percent of capacity.

Every figure starts from wells.lease_selectors, so an OPERATOR sees the leases of their route
only, as in the API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import render

from accounts.models import Role

from .lease_selectors import lease_get_for_user, lease_wells, leases_for_user, tank_levels, tank_list


@login_required
@permission_required("wells.view_lease", raise_exception=True)
def lease_list_view(request):
    leases = leases_for_user(user=request.user).order_by("name", "id")
    return render(request, "wells/leases.html", {
        "leases": list(leases), "route_only": request.user.role == Role.OPERATOR,
    })


@login_required
@permission_required("wells.view_lease", raise_exception=True)
def lease_detail_view(request, lease_id):
    lease = lease_get_for_user(user=request.user, lease_id=lease_id)
    if lease is None:  # unknown, deleted or off this OPERATOR's route: the same answer
        raise Http404("No such lease.")
    return render(request, "wells/lease_detail.html", {
        "lease": lease,
        "wells": list(lease_wells(user=request.user, lease=lease)),
        "tanks": tank_levels(tanks=tank_list(user=request.user, lease_id=lease.pk)),
        "route_only": request.user.role == Role.OPERATOR,
    })
