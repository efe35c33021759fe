"""Portal pages of leases (API.md section 13): the leases list and a lease's page, with its wells,
its tanks and each tank's current level as barrels and percent of capacity.

Every figure starts from wells.lease_selectors, so an OPERATOR sees the leases of their route
only, as in the API."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

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
from .balance_selectors import disposition_get
from .disposition_services import disposition_record, disposition_withdraw
from .report_views import MONTH_CLOSE_PERMISSION, DispositionForm, month_close_context
from .selectors import tenant_today

DAILY_DAYS = 14
TICKETS_SHOWN = 10


@login_required
@permission_required("wells.view_lease", raise_exception=True)
def lease_list_view(request):
    leases = leases_for_user(user=request.user).order_by("name", "id")
    return render(request, "wells/leases.html", {
        "leases": list(leases), "route_only": request.user.role == Role.OPERATOR,
        "may_close_month": request.user.has_perm(MONTH_CLOSE_PERMISSION),
        "may_export": request.user.role in (Role.ADMIN, Role.MANAGER),
    })


@login_required
@permission_required("wells.view_lease", raise_exception=True)
def lease_detail_view(request, lease_id, *, disposition_form: DispositionForm | None = None, status: int = 200):
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
        "month_close": (month_close_context(request, lease, form=disposition_form)
                        if request.user.has_perm(MONTH_CLOSE_PERMISSION) else None),
        "may_add_disposition": request.user.has_perm("wells.add_disposition"),
        "may_withdraw_disposition": request.user.has_perm("wells.delete_disposition"),
    }, status=status)


@require_POST
@login_required
@permission_required("wells.add_disposition", raise_exception=True)
def disposition_add_view(request, lease_id):
    """The lease page's form: a manual disposition of a month (MANAGER, ADMIN); back to the
    page's month-close section, or the page again with the form's errors (400)."""
    lease = lease_get_for_user(user=request.user, lease_id=lease_id)
    if lease is None:
        raise Http404("No such lease.")
    today = tenant_today(request.tenant_entry.tenant.time_zone)
    form = DispositionForm(request.POST, lease=lease, today=today)
    if form.is_valid():
        product, code = form.cleaned_data["disposition"].split(":", 1)
        try:
            entry = disposition_record(lease=lease, month=form.cleaned_data["month"], product=product, code=code,
                                       volume=form.cleaned_data["volume"], note=form.cleaned_data["note"],
                                       actor=request.user)
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error("disposition" if field in ("product", "code") else
                               field if field in form.fields else None, problems)
        else:
            unit = "MCF" if product == "GAS" else "bbl"
            messages.success(request, f"Recorded {entry.volume} {unit} of {product.lower()}, code {entry.code}, "
                                      f"for {entry.month:%B %Y}.")
            url = reverse("wells:lease-detail", kwargs={"lease_id": lease.pk})
            return redirect(f"{url}?month={entry.month:%Y-%m}#month-close")
    return lease_detail_view(request, lease_id, disposition_form=form, status=400)


@require_POST
@login_required
@permission_required("wells.delete_disposition", raise_exception=True)
def disposition_withdraw_view(request, lease_id, disposition_id):
    """The lease page's "Withdraw" button on a manual disposition (MANAGER, ADMIN)."""
    lease = lease_get_for_user(user=request.user, lease_id=lease_id)
    entry = disposition_get(leases=leases_for_user(user=request.user), disposition_id=disposition_id) if lease else None
    if entry is None or entry.lease_id != lease.pk:
        raise Http404("No such disposition.")
    disposition_withdraw(disposition=entry, actor=request.user)
    unit = "MCF" if entry.product == "GAS" else "bbl"
    messages.success(request, f"Withdrew {entry.volume} {unit} of {entry.product.lower()}, code {entry.code}, "
                              f"from {entry.month:%B %Y}.")
    url = reverse("wells:lease-detail", kwargs={"lease_id": lease.pk})
    return redirect(f"{url}?month={entry.month:%Y-%m}#month-close")
