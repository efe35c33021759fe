"""Portal pages of the month close (API.md section 14, MANAGER and ADMIN): the printable Form PR
of a month (and its CSV download), the month-close section of a lease's page, and the form that
adds a manual disposition to it (its view is in wells.lease_views, beside the page it returns to).
Figures come from wells.balance_selectors, as in the API."""

from __future__ import annotations

import csv
import zoneinfo
from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from .balance_selectors import dispositions_list, form_pr, lease_balance
from .disposition_services import PRODUCTS_OF_KIND
from .leases import Lease
from .lease_selectors import leases_for_user
from .report_serializers import form_pr_csv_rows
from .rrc import PRODUCT_FAMILY, codes_of
from .selectors import tenant_today

MONTH_CLOSE_PERMISSION = "wells.view_disposition"


def last_full_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_from(value: str | None, today: date) -> tuple[date, str]:
    """The month a page asks for (``?month=YYYY-MM``): the last full month by default; a bad or
    future one falls back to it, with the reason to show."""
    default = last_full_month(today)
    if not value:
        return default, ""
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        asked = date(int(year), int(month), 1)
    except ValueError:
        return default, f"“{value[:20]}” is not a month written YYYY-MM; showing {default:%B %Y}."
    if asked.year < 1900 or asked > today.replace(day=1):
        return default, f"{value} is not a month that has begun; showing {default:%B %Y}."
    return asked, ""


def _zone_and_today(request):
    zone_name = request.tenant_entry.tenant.time_zone
    return zoneinfo.ZoneInfo(zone_name), tenant_today(zone_name)


@login_required
@permission_required(MONTH_CLOSE_PERMISSION, raise_exception=True)
def form_pr_view(request):
    zone, today = _zone_and_today(request)
    month, notice = month_from(request.GET.get("month"), today)
    report = form_pr(leases=leases_for_user(user=request.user), month=month, time_zone=zone, today=today)
    return render(request, "wells/form_pr.html", {
        "report": report, "month": month, "notice": notice, "partial": month == today.replace(day=1),
        "previous": (month - timedelta(days=1)).replace(day=1),
        "next": (month + timedelta(days=32)).replace(day=1) if month < today.replace(day=1) else None,
    })


@login_required
@permission_required(MONTH_CLOSE_PERMISSION, raise_exception=True)
def form_pr_csv_view(request):
    zone, today = _zone_and_today(request)
    month, _ = month_from(request.GET.get("month"), today)
    report = form_pr(leases=leases_for_user(user=request.user), month=month, time_zone=zone, today=today)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="form-pr-{month:%Y-%m}.csv"'
    response["Cache-Control"] = "no-store"
    csv.writer(response, lineterminator="\r\n").writerows(form_pr_csv_rows(report))
    return response


# ------------------------------------------------------------------ the lease page's month close


def disposition_choices(lease: Lease) -> list:
    """(group, [(value, label)]) for the code select: "PRODUCT:code" of the lease's products."""
    groups = []
    for product in PRODUCTS_OF_KIND[lease.kind]:
        family = PRODUCT_FAMILY[product]
        unit = "MCF" if product == "GAS" else "bbl"
        groups.append((f"{product.title()} ({unit})", [
            (f"{product}:{c.code}", c.label) for c in codes_of(family, accepted_only=True, product=product)]))
    return groups


class DispositionForm(forms.Form):
    month = forms.CharField(max_length=7, widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
                            help_text="YYYY-MM")
    disposition = forms.ChoiceField(label="Product and RRC code")
    volume = forms.DecimalField(min_value=0.01, max_value=99_999_999, decimal_places=2,
                                help_text="Barrels (oil, condensate) or MCF (gas).")
    note = forms.CharField(max_length=500, required=False,
                           help_text="Why; for gas flared (10) or vented (11) the authority: AR, AE, EP or EX.")

    def __init__(self, *args, lease: Lease, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["disposition"].choices = disposition_choices(lease)

    def clean_month(self):
        value = self.cleaned_data["month"]
        month, problem = month_from(value, self.today)
        if problem:
            raise ValidationError("A month written YYYY-MM that has begun.")
        return month


def month_close_context(request, lease: Lease, *, form: DispositionForm | None = None) -> dict:
    """What the lease page's month-close section shows (MANAGER and ADMIN only)."""
    zone, today = _zone_and_today(request)
    month, notice = month_from(request.GET.get("month"), today)
    if form is not None and form.is_bound and "month" in form.cleaned_data:
        month = form.cleaned_data["month"]
    balance = lease_balance(lease=lease, month=month, time_zone=zone, today=today)
    return {
        "balance": balance, "month": month, "notice": notice, "partial": month == today.replace(day=1),
        "entries": list(dispositions_list(leases=leases_for_user(user=request.user), lease_id=lease.pk,
                                          month=month).select_related("recorded_by")),
        "form": form or DispositionForm(lease=lease, today=today, initial={"month": f"{month:%Y-%m}"}),
    }
