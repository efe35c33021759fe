"""Where a tenant's data lives: its own database's page and moves between isolation levels."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from config.crypto import DecryptionFailed, decrypt
from config.forms import service_errors_to_form
from tenants.databases import TenantDatabaseError, database_url_masked, masked
from tenants.models import Tenant

from ..own_database import connection_check
from .base import StaffPages, post_only, scrubbed
from .forms import DatabaseMoveForm


class TenantDatabasePages(StaffPages):
    """Where a tenant's data lives: its database page (test the connection, migrate) and moving it
    between a schema of the shared database and a database of its own. Mixed into the Tenant
    ModelAdmin next to TenantStaffPages, whose helpers it uses."""

    def database_page_urls(self) -> list:
        pages = [
            ("database/", self.database_view, "database"),
            ("database/test/", self.database_test_view, "database_test"),
            ("database/migrate/", self.database_migrate_view, "database_migrate"),
            ("database/move/", self.database_move_view, "database_move"),
        ]
        return [
            path(f"<uuid:tenant_id>/{route}", self.admin_site.admin_view(view), name=self._url_name(name))
            for route, view, name in pages
        ]

    @staticmethod
    def _stored_url(tenant: Tenant) -> str:
        try:
            return decrypt(tenant.database_url)
        except DecryptionFailed:
            raise TenantDatabaseError("decryption_failed", "The stored database URL cannot be decrypted with "
                                                           "PUMPJACK_ENCRYPTION_KEY.") from None

    def database_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        return self._render(request, "database.html", tenant, "Database",
                            database_url_masked=database_url_masked(tenant))

    @post_only
    @sensitive_variables("url")
    def database_test_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        if not tenant.has_own_database:
            self.message_user(request, f"{tenant} lives in schema {tenant.schema_name} of the shared database: "
                                       "there is no database of its own to test.", level="warning")
            return self._redirect("database", tenant)
        try:
            report = connection_check(self._stored_url(tenant))
        except TenantDatabaseError as exc:
            self.message_user(request, exc.message, level="error")
        else:
            version = f" Server version {report.server_version}." if report.server_version else ""
            self.message_user(request, f"{report.message}{version}", level="success" if report.ok else "error")
        return self._redirect("database", tenant)

    @post_only
    def database_migrate_view(self, request, tenant_id):
        from ..migrate import tenant_migrate

        tenant = self._tenant(request, tenant_id, change=True)
        where = "its database" if tenant.has_own_database else f"schema {tenant.schema_name}"
        try:
            applied = tenant_migrate(tenant=tenant)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level="error")
        except (TenantDatabaseError, DatabaseError) as exc:
            self.message_user(request, f"Migrating {where} failed: {self._migrate_failure(tenant, exc)}",
                              level="error")
        else:
            if applied:
                self.log_change(request, tenant, f"Migrated {where}: {applied} migrations applied.")
                self.message_user(request, f"{applied} migration{'' if applied == 1 else 's'} applied to {where}.")
            else:
                self.message_user(request, f"{where.capitalize()} is up to date: nothing to apply.")
        return self._redirect("database", tenant)

    @sensitive_variables("url")
    def _migrate_failure(self, tenant: Tenant, exc: Exception) -> str:
        """Why a migration failed: the connection check's clear words when the database cannot be
        used at all, else the error itself, without the password."""
        if isinstance(exc, TenantDatabaseError):
            return exc.message
        if not tenant.has_own_database:
            return " ".join(str(exc).split())[:500]
        try:
            url = self._stored_url(tenant)
        except TenantDatabaseError as error:
            return error.message
        report = connection_check(url)
        return report.message if not report.ok else scrubbed(str(exc.__cause__ or exc), url)

    @method_decorator(sensitive_post_parameters("database_url", "url_token"))
    @sensitive_variables("url", "report")
    def database_move_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        to_database = not tenant.has_own_database
        form = DatabaseMoveForm(request.POST if request.method == "POST" else None, tenant=tenant)
        result, url_note = None, ""
        if form.is_bound:
            valid = form.is_valid()
            url = form.typed_url() if to_database else ""
            url_note = self._carry_url(form, url)
            if request.POST.get("action") == "test" and to_database:
                form = DatabaseMoveForm(initial={"url_token": form.data.get("url_token", ""),
                                                 "keep_source": request.POST.get("keep_source")}, tenant=tenant)
                result = connection_check(url) if url else {"ok": False, "message": "Enter the database URL to test."}
            elif valid and not form.errors:
                if to_database and not url:
                    form.add_error("database_url", "Give the URL of the tenant's own database.")
                else:
                    report = self._move(request, form, tenant, url)
                    if report is not None:
                        return self._redirect("change", tenant)
        if to_database:
            page_title, submit_label = "Move to its own database", "Move to its own database"
            consequences = [
                f"Its data is copied from schema {tenant.schema_name} into the database you give (which must be "
                "empty, and whose user may create tables), table by table, and checked row count by row count.",
                "Its devices, API clients and portal users keep reading; their writes are refused (503) until "
                "the move is done. A move of a large tenant takes minutes: keep this page open.",
                "If anything fails on the way, the tenant stays in its schema as it was.",
            ]
        else:
            page_title, submit_label = "Move back to a schema", "Move back to a schema"
            consequences = [
                f"Its data is copied from its database ({database_url_masked(tenant)}) into schema "
                f"{tenant.schema_name} of the shared database, and checked row count by row count.",
                "Its writes are refused (503) until the move is done; if anything fails on the way, the tenant "
                "stays in its database as it was.",
            ]
        names = ["database_url", "keep_source", "confirm"] if to_database else ["keep_source", "confirm"]
        return self._render(
            request, "database_form.html", tenant, page_title, form=form, fieldsets=[(None, [form[n] for n in names])],
            result=result, url_note=url_note, submit_label=submit_label, test_button=to_database, danger=True,
            consequences=consequences, back_page="database",
        )

    @sensitive_variables("url")
    def _move(self, request, form: DatabaseMoveForm, tenant: Tenant, url: str):
        """tenant_move from the form; its report, or None with the errors on the form."""
        from ..moves import TenantMoveFailed, tenant_move  # the mover's module loads the copying machinery

        to = Tenant.IsolationLevel.DATABASE if url else Tenant.IsolationLevel.SCHEMA
        try:
            report = tenant_move(tenant=tenant, to=to, database_url=url, actor=self._actor(request),
                                 keep_source=form.cleaned_data["keep_source"])
        except ValidationError as exc:
            service_errors_to_form(form, exc, {"database_url": "database_url"})
            return None
        except TenantMoveFailed as exc:
            form.add_error(None, f"The move stopped; the tenant is where and as it was. {exc.message}")
            return None
        rows = sum(report.tables.values())
        where = (f"its own database ({masked(url)})" if url else f"schema {tenant.schema_name} of the shared database")
        kept = (f" The old copy is kept at {report.source_kept_at}." if report.source_kept_at
                else " The old copy was dropped.")
        self.log_change(request, tenant, f"Moved from {report.from_level} to {report.to_level}.")
        self.message_user(request, f"{tenant} now lives in {where}: {rows} rows in {len(report.tables)} tables "
                                   f"copied and checked in {report.seconds:.1f}s.{kept}")
        for warning in report.warnings:
            self.message_user(request, warning, level="warning")
        return report
