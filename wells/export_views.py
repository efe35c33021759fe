"""The portal's exports page (MANAGER, ADMIN): the four CSV files of API.md section 14, with the
API's filters under the same names, downloaded from the same stream (wells.exports)."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from accounts.models import Role
from config.dates import EARLIEST_DATE

from .export_apis import csv_response
from .exports import KINDS, export_stream, filename
from .lease_selectors import leases_for_user
from .selectors import wells_for_user

TITLES = {"production": "Production", "readings": "Readings", "run-tickets": "Run tickets",
          "tank-gauges": "Tank gauges"}


def may_export(user) -> bool:
    return getattr(user, "role", "") in (Role.ADMIN, Role.MANAGER)


class ExportForm(forms.Form):
    """The API's query parameter names (``from``, ``leaseId``...), so a download link is the API's query."""

    def __init__(self, data, *, user):
        super().__init__(data)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(required=False, label="From", widget=date_input,
                                              input_formats=["%Y-%m-%d"])
        self.fields["to"] = forms.DateField(required=False, label="To", widget=date_input,
                                            input_formats=["%Y-%m-%d"])
        leases = [("", "All leases")] + [(str(pk), name) for pk, name in
                                         leases_for_user(user=user).order_by("name", "id").values_list("id", "name")]
        wells = [("", "All wells")] + [(str(pk), f"{name} ({api})") for pk, name, api in
                                       wells_for_user(user=user).order_by("name", "api_number")
                                       .values_list("id", "name", "api_number")]
        self.fields["leaseId"] = forms.ChoiceField(choices=leases, required=False, label="Lease")
        self.fields["wellId"] = forms.ChoiceField(choices=wells, required=False, label="Well")
        self.fields["includeSuperseded"] = forms.BooleanField(
            required=False, label="Include superseded records", widget=forms.CheckboxInput(attrs={"value": "true"}))

    def clean(self):
        cleaned = super().clean()
        for name in ("from", "to"):
            day = cleaned.get(name)
            if day is not None and day < EARLIEST_DATE:
                self.add_error(name, f"Use a date from {EARLIEST_DATE.isoformat()}.")
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("from", "From is after to.")
        return cleaned

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"date_from": data.get("from"), "date_to": data.get("to"), "lease_id": data.get("leaseId") or None,
                "well_id": data.get("wellId") or None, "include_superseded": bool(data.get("includeSuperseded"))}


def _managers_only(request) -> None:
    if not may_export(request.user):
        raise PermissionDenied("Exports are for MANAGER and ADMIN.")


@login_required
def exports_view(request):
    _managers_only(request)
    form = ExportForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    return render(request, "wells/exports.html", {"form": form, "kinds": [(k, TITLES[k]) for k in KINDS]})


@login_required
def export_download_view(request, kind: str):
    _managers_only(request)
    if kind not in KINDS:
        raise Http404("No such export.")
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "wells/exports.html", {"form": form, "kinds": [(k, TITLES[k]) for k in KINDS]},
                      status=400)
    filters = form.filters()
    zone = zoneinfo.ZoneInfo(request.tenant_entry.tenant.time_zone)
    stream = export_stream(kind, user=request.user, filters=filters, time_zone=zone)
    return csv_response(stream, filename(kind, filters))
