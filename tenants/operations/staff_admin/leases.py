"""A tenant's leases and tanks for the staff (issue 14 point 1): every lease with its wells and
tanks, each tank's current level as barrels and percent of capacity, and a tank's strapping table,
which staff may replace by uploading a CSV (``height_inches,barrels``, API.md section 13) when a
tenant sends its tank charts to support. Rows are read and written in the tenant's schema through
the same selectors and service as the API (wells.lease_selectors, wells.lease_services); the table
is checked whole (heights strictly increasing from 0, barrels non-decreasing, within the tank's
height) before anything is written."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404
from django_tenants.utils import schema_context

from config.text import BAD_TEXT_MESSAGE, find_bad_text
from wells.lease_selectors import strapping_rows, tank_levels
from wells.lease_services import tank_strapping_replace
from wells.leases import Lease, Tank
from wells.models import Well
from wells.strapping import StrappingInvalid, feet_and_inches, strapping_from_csv

from .base import StaffPages

MAX_CSV_BYTES = 1_000_000


class StrappingUploadForm(forms.Form):
    csv_file = forms.FileField(
        label="Strapping table (CSV)",
        help_text="A header row height_inches,barrels, then one row per height from 0 up to the tank's height, "
                  "e.g. quarter-inch rows. The whole table is replaced.")

    def clean_csv_file(self):
        upload = self.cleaned_data["csv_file"]
        if upload.size > MAX_CSV_BYTES:
            raise ValidationError(f"The file is {upload.size:,} bytes; a strapping table is at most {MAX_CSV_BYTES:,}.")
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The CSV file is not UTF-8 text.") from None
        if find_bad_text(text) is not None:
            raise ValidationError(BAD_TEXT_MESSAGE)
        try:
            return strapping_from_csv(text)
        except StrappingInvalid as exc:
            raise ValidationError(exc.problems[:20]) from None


class LeasePages(StaffPages):
    def leases_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        with schema_context(tenant.schema_name):
            live_wells = Well.objects.filter(deleted_at__isnull=True)
            tanks = Tank.objects.filter(deleted_at__isnull=True).annotate(rows=Count("strapping_rows")).order_by("name")
            leases = list(
                Lease.objects.filter(deleted_at__isnull=True).order_by("name", "id")
                .prefetch_related(Prefetch("tanks", queryset=tanks, to_attr="live_tanks"),
                                  Prefetch("wells", queryset=live_wells.order_by("name", "api_number"),
                                           to_attr="lease_wells"))
            )
            levels = {level.tank.pk: level for level in tank_levels(tanks=[t for lease in leases for t in lease.live_tanks])}
            unleased = live_wells.filter(lease_ref__isnull=True).count()
        rows = [(lease, [(tank, levels[tank.pk]) for tank in lease.live_tanks]) for lease in leases]
        return self._render(request, "leases.html", tenant, "Leases and tanks", rows=rows, unleased=unleased)

    def tank_strapping_view(self, request, tenant_id, tank_id):
        tenant = self._tenant(request, tenant_id, change=request.method == "POST")
        form = StrappingUploadForm(request.POST, request.FILES) if request.method == "POST" else StrappingUploadForm()
        with schema_context(tenant.schema_name):
            tank = Tank.objects.select_related("lease").filter(pk=tank_id, deleted_at__isnull=True).first()
            if tank is None:
                raise Http404("No such tank in this tenant.")
            if form.is_bound and form.is_valid():
                table = form.cleaned_data["csv_file"]
                try:
                    tank_strapping_replace(tank=tank, rows=table, actor=self._actor(request))
                except ValidationError as exc:
                    form.add_error("csv_file", exc.messages[:20])
                else:
                    self.message_user(request, f"The strapping table of tank {tank.name} ({tank.lease.name}) "
                                               f"was replaced: {len(table)} rows, version {tank.version}.")
                    return self._redirect("leases", tenant)
            table = [(row, feet_and_inches(row.height_inches)) for row in strapping_rows(tank)]
        return self._render(request, "tank_strapping.html", tenant, f"Tank {tank.name}: strapping table",
                            tank=tank, table=table, form=form, back_page="leases")
