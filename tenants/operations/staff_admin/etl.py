"""The staff admin's ETL pages for one tenant: its external source databases (list, add, edit),
"test connection" and "validate mapping", the runs with their counts and rejected rows, and
"run now". Everything is read and written in the tenant's schema through sync.etl.services.

The connection URL is write-only: the form never renders it back (a password input that keeps
no value). Between the buttons of one form, a URL just typed travels as a short-lived Fernet
token in a hidden field, so the page holds it only encrypted; everywhere else the source shows
its masked URL (``postgresql://etl_user:•••@db.example:5432/fielddata``).
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_tenants.utils import schema_context

from config.crypto import DecryptionFailed, decrypt, encrypt
from config.database_urls import InvalidSourceUrl, mask_url
from config.forms import service_errors_to_form
from sync.etl.services import (
    etl_mapping_validate,
    etl_run_enqueue,
    etl_source_save,
    etl_source_test_connection,
)
from sync.models import EtlRun, EtlSource
from tenants.models import Tenant

from .base import post_only
from .forms import StaffForm

TEMPLATES = "admin/tenants/"
RUNS_PAGE_SIZE = 50
URL_TOKEN_SECONDS = 3600  # a URL typed in the form is carried between its buttons for an hour at most
MAPPING_EXAMPLE = {
    "wells": {
        "table": "well_master",
        "columns": {"api_number": "api_no", "name": "well_name", "lease": "lease_name", "status": "status_code"},
        "transforms": {"status": {"MAP": {"A": "ACTIVE", "SI": "SHUT_IN", "P&A": "PLUGGED"}}},
        "incremental": "updated_at",
    },
    "production": {
        "table": "daily_production",
        "columns": {"api_number": "api_no", "production_date": "prod_date", "product": "product",
                    "volume": "volume", "unit": "uom"},
        "transforms": {"product": ["UPPERCASE", {"MAP": {"O": "OIL", "G": "GAS", "W": "WATER"}}], "unit": "UPPERCASE"},
        "incremental": "updated_at",
    },
}


class EtlSourceForm(StaffForm):
    name = forms.CharField(max_length=100)
    url = forms.CharField(
        label="Connection URL", required=False, max_length=2000, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 90}),
        help_text="postgresql://user:password@host:5432/database, mysql://... (MySQL or MariaDB), "
                  "sqlite:////absolute/path.db or mssql://... Write-only: it is stored encrypted and never shown "
                  "again. Give the ETL a user that can only read.",
    )
    url_token = forms.CharField(required=False, widget=forms.HiddenInput)
    interval_minutes = forms.IntegerField(label="Every (minutes)", min_value=1, max_value=1440, initial=15)
    enabled = forms.BooleanField(required=False, initial=True, help_text="Pulled on schedule when enabled.")
    mapping = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 22, "cols": 110, "spellcheck": "false",
                                     "style": "font-family: monospace"}),
        help_text="JSON: per entity (wells, equipment, production) a table or query, columns "
                  "(our field: source column), optional constants, transforms (MAP, UPPERCASE, LOWERCASE) "
                  "and an incremental column. See the example below.",
    )
    reset_cursor = forms.BooleanField(
        required=False, label="Read everything again",
        help_text="Forget the incremental cursors: the next run reads every row again (unchanged rows stay as they are).",
    )
    skip_source_check = forms.BooleanField(
        required=False, label="Save without checking against the source",
        help_text="Only when the source cannot be reached right now; the mapping's structure is still checked.",
    )

    def __init__(self, *args, source: EtlSource | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        if source is not None:
            self.fields["url"].help_text = (f"Stored: {source.url_masked}. Leave empty to keep it. "
                                            + self.fields["url"].help_text)

    def clean_mapping(self):
        text = self.cleaned_data["mapping"]
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
        if not isinstance(data, dict):
            raise ValidationError("The mapping is a JSON object: {\"wells\": {...}, \"production\": {...}}.")
        return data

    @sensitive_variables()
    def typed_url(self) -> str:
        """The URL typed now, or carried (encrypted) from an earlier button of this form; "" for none."""
        if self.cleaned_data.get("url"):
            return self.cleaned_data["url"]
        token = self.cleaned_data.get("url_token")
        if token:
            try:
                return decrypt(token, ttl=URL_TOKEN_SECONDS)
            except DecryptionFailed:
                self.add_error("url", "The URL entered earlier has expired; enter it again.")
        return ""


class TenantEtlPages:
    """Mixed into the Tenant ModelAdmin next to TenantStaffPages (whose helpers it uses)."""

    def etl_page_urls(self) -> list:
        pages = [
            ("etl/", self.etl_sources_view, "etl_sources"),
            ("etl/add/", self.etl_source_add_view, "etl_source_add"),
            ("etl/<uuid:source_id>/", self.etl_source_change_view, "etl_source_change"),
            ("etl/<uuid:source_id>/runs/", self.etl_runs_view, "etl_runs"),
            ("etl/<uuid:source_id>/runs/<int:run_id>/", self.etl_run_view, "etl_run"),
            ("etl/<uuid:source_id>/run-now/", self.etl_run_now_view, "etl_run_now"),
        ]
        return [
            path(f"<uuid:tenant_id>/{route}", self.admin_site.admin_view(view), name=self._url_name(name))
            for route, view, name in pages
        ]

    # ------------------------------------------------------------------ helpers
    def _etl_render(self, request, template: str, tenant: Tenant, page_title: str, **context):
        return TemplateResponse(request, TEMPLATES + template, {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{page_title}: {tenant.name} ({tenant.public_id})",
            "page_title": page_title,
            "tenant": tenant,
            "can_change": self.has_change_permission(request, tenant),
            **context,
        })

    def _etl_url(self, page: str, tenant: Tenant, *args) -> str:
        return reverse(f"admin:{self._url_name(page)}", args=[tenant.pk, *args])

    @staticmethod
    def _etl_source(tenant: Tenant, source_id) -> EtlSource:
        with schema_context(tenant.schema_name):
            source = EtlSource.objects.filter(pk=source_id).first()
        if source is None:
            raise Http404("No such ETL source in this tenant.")
        return source

    # ------------------------------------------------------------------ list
    def etl_sources_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        with schema_context(tenant.schema_name):
            rows = [{"source": s, "last_run": s.runs.first()} for s in EtlSource.objects.order_by("name")]
        return self._etl_render(request, "etl_sources.html", tenant, "ETL sources", rows=rows)

    # ------------------------------------------------------------------ add / change
    @method_decorator(sensitive_post_parameters("url", "url_token"))
    def etl_source_add_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        return self._etl_form(request, tenant, None)

    @method_decorator(sensitive_post_parameters("url", "url_token"))
    def etl_source_change_view(self, request, tenant_id, source_id):
        tenant = self._tenant(request, tenant_id, change=False)
        source = self._etl_source(tenant, source_id)
        if request.method == "POST" and not self.has_change_permission(request, tenant):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return self._etl_form(request, tenant, source)

    @sensitive_variables("url")
    def _etl_form(self, request, tenant: Tenant, source: EtlSource | None):
        initial = ({"name": source.name, "interval_minutes": source.interval_minutes, "enabled": source.enabled,
                    "mapping": json.dumps(source.mapping, indent=2, ensure_ascii=False)} if source is not None
                   else {"mapping": json.dumps(MAPPING_EXAMPLE, indent=2)})
        form = EtlSourceForm(request.POST if request.method == "POST" else None, initial=initial, source=source)
        result, url_note = None, ""
        if form.is_bound:
            valid = form.is_valid()
            url = form.typed_url()
            if url:
                # Kept for the next button, encrypted; the page shows only the masked form.
                form.data = form.data.copy()
                form.data["url_token"] = encrypt(url)
                form.data["url"] = ""
                url_note = mask_url(url)
            action = request.POST.get("action", "save")
            if valid and not form.errors:
                data = form.cleaned_data
                with schema_context(tenant.schema_name):
                    if action == "test":
                        result = etl_source_test_connection(url=url or None, source=source)
                    elif action == "validate":
                        result = etl_mapping_validate(mapping=data["mapping"], url=url or None, source=source)
                    else:
                        saved = self._etl_save(form, source, url)
                if action not in ("test", "validate") and saved is not None:
                    self.log_change(request, tenant, f"ETL source {saved.name!r} saved.")
                    self.message_user(request, f"ETL source {saved.name!r} saved ({saved.url_masked}).")
                    return HttpResponseRedirect(self._etl_url("etl_sources", tenant))
        title = f"ETL source {source.name}" if source is not None else "Add ETL source"
        return self._etl_render(
            request, "etl_source_form.html", tenant, title, form=form, source=source, result=result,
            url_note=url_note, example=json.dumps(MAPPING_EXAMPLE, indent=2),
            fields=[form[name] for name in ("name", "url", "interval_minutes", "enabled", "mapping", "reset_cursor",
                                            "skip_source_check") if name != "reset_cursor" or source is not None],
            back_url=self._etl_url("etl_sources", tenant),
        )

    @sensitive_variables("url")
    def _etl_save(self, form: EtlSourceForm, source: EtlSource | None, url: str) -> EtlSource | None:
        """Check the mapping against the source (unless told not to), then save; errors go on the form."""
        data = form.cleaned_data
        if not data["skip_source_check"]:
            check = etl_mapping_validate(mapping=data["mapping"], url=url or None, source=source)
            if not check.ok:
                if check.kind == "mapping":
                    form.add_error("mapping", [check.summary, *check.problems])
                elif check.kind == "url":
                    form.add_error("url", check.summary)
                else:
                    form.add_error(None, f"{check.summary} Fix the connection, or tick “Save without checking "
                                         "against the source” to save it anyway.")
                return None
        try:
            return etl_source_save(source=source, name=data["name"], url=url or None,
                                   interval_minutes=data["interval_minutes"], enabled=data["enabled"],
                                   mapping=data["mapping"], reset_cursor=data["reset_cursor"])
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except InvalidSourceUrl as exc:
            form.add_error("url", str(exc))
        return None

    # ------------------------------------------------------------------ runs
    def etl_runs_view(self, request, tenant_id, source_id):
        tenant = self._tenant(request, tenant_id, change=False)
        source = self._etl_source(tenant, source_id)
        with schema_context(tenant.schema_name):
            page = Paginator(EtlRun.objects.filter(source=source), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
            page.object_list = list(page.object_list)
        return self._etl_render(request, "etl_runs.html", tenant, f"Runs of {source.name}", source=source, page=page)

    def etl_run_view(self, request, tenant_id, source_id, run_id):
        tenant = self._tenant(request, tenant_id, change=False)
        source = self._etl_source(tenant, source_id)
        with schema_context(tenant.schema_name):
            run = EtlRun.objects.filter(source=source, pk=run_id).first()
        if run is None:
            raise Http404("No such run.")
        return self._etl_render(request, "etl_run.html", tenant, f"Run {run.pk} of {source.name}", source=source,
                                run=run, kept=len(run.rejected_rows))

    @post_only
    def etl_run_now_view(self, request, tenant_id, source_id):
        tenant = self._tenant(request, tenant_id, change=True)
        source = self._etl_source(tenant, source_id)
        with schema_context(tenant.schema_name):
            queued = etl_run_enqueue(source=source, trigger=EtlRun.Trigger.MANUAL)
        if queued:
            self.message_user(request, f"A run of {source.name!r} is queued; its result appears in the runs below "
                                       "(a run already in progress makes this one skip).")
        else:
            self.message_user(request, "The task queue cannot be reached; try again later.", level="error")
        return HttpResponseRedirect(self._etl_url("etl_runs", tenant, source.pk))
