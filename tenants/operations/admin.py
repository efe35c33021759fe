"""Staff admin of the tenant registry (public schema, base domain).

The list and the change form are plain ModelAdmin; creating a tenant and everything else with
side effects (suspension, soft delete, secrets, the tenant's users, its audit log, where its data
lives: testing and migrating its database, moving it) are the pages of tenants.operations.staff_admin, which
go through the services. Tenants are never hard-deleted here. A tenant's database URL is never
shown in full: the change form shows it masked.
"""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from tenants.databases import database_url_masked
from tenants.directory import bump_generation
from tenants.models import Domain, Tenant

from .staff_admin import TIME_ZONE_CHOICES, TenantDatabasePages, TenantEtlPages, TenantStaffPages


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Not deleted"), ("yes", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


def _changeable(obj: Tenant | None) -> bool:
    return obj is None or not obj.is_deleted


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ("domain", "is_primary")

    def clean_domain(self):
        # The resolution middleware only routes <label>.<BASE_DOMAIN>: anything else would never work.
        domain = self.cleaned_data["domain"].strip().lower()
        suffix = "." + settings.BASE_DOMAIN
        label = domain[: -len(suffix)] if domain.endswith(suffix) else ""
        if not re.fullmatch(r"[a-z0-9-]{1,63}", label) or label in settings.RESERVED_SUBDOMAINS:
            raise ValidationError(f"Use <label>{suffix}, with a label that is not one of "
                                  f"{', '.join(settings.RESERVED_SUBDOMAINS)}.")
        return domain


class DomainInline(admin.TabularInline):
    model = Domain
    form = DomainForm
    extra = 0
    fields = ("domain", "is_primary")

    def has_add_permission(self, request, obj=None):
        return _changeable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _changeable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _changeable(obj) and super().has_delete_permission(request, obj)


class TenantChangeForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, help_text="Decides what a 'day' is in conflict rules.")

    class Meta:
        model = Tenant
        fields = ("name", "tier", "feature_flags", "region", "provider", "time_zone")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("A company name is required.")
        return name

    def clean_feature_flags(self):
        flags = self.cleaned_data["feature_flags"]
        if flags is None:
            return {}
        if not isinstance(flags, dict):
            raise ValidationError('Feature flags are a JSON object, e.g. {"etl": true}.')
        return flags


@admin.register(Tenant)
class TenantAdmin(TenantEtlPages, TenantDatabasePages, TenantStaffPages, admin.ModelAdmin):
    form = TenantChangeForm
    change_form_template = "admin/tenants/tenant/change_form_with_database.html"
    list_display = (
        "public_id", "name", "slug", "status", "tier", "isolation", "time_zone", "created_at", "deleted_at",
    )
    list_display_links = ("public_id", "name")
    list_filter = ("status", "tier", "isolation", DeletedFilter)
    search_fields = ("public_id", "name", "slug", "domains__domain")
    ordering = ("name",)
    readonly_fields = (
        "public_id", "slug_label", "schema_name", "status", "isolation", "data_location", "created_at", "updated_at",
        "deleted_at",
    )
    fieldsets = (
        (None, {"fields": ("public_id", "slug_label", "schema_name", "name")}),
        ("Plan", {"fields": ("status", "tier", "feature_flags")}),
        ("Location", {"fields": ("isolation", "data_location", "region", "provider", "time_zone")}),
        ("Record", {"fields": ("created_at", "updated_at", "deleted_at")}),
    )
    inlines = [DomainInline]

    @admin.display(description="slug")
    def slug_label(self, obj: Tenant) -> str:
        # A method, not the field: the model's help text ("<slug>.<base domain>") would render as HTML.
        return obj.slug

    @admin.display(description="data in")
    def data_location(self, obj: Tenant) -> str:
        # The URL masked (password as •••), never in full; the database page tests and migrates it.
        if obj.has_own_database:
            where = format_html("its own database <code>{}</code>", database_url_masked(obj))
        else:
            where = format_html("schema <code>{}</code> of the shared database", obj.schema_name)
        page = reverse(f"admin:{self._url_name('database')}", args=[obj.pk])
        return format_html('{} &middot; <a href="{}">Database: test, migrate, move</a>', where, page)

    def get_urls(self):
        return self.staff_page_urls() + self.database_page_urls() + self.etl_page_urls() + super().get_urls()

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete only, on its own confirmation page

    def has_change_permission(self, request, obj=None):
        # A soft-deleted tenant can still be looked at, not changed.
        return _changeable(obj) and super().has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tenant = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if tenant is not None:
            context.update(tenant=tenant, title=f"Tenant {tenant.name} ({tenant.public_id})", subtitle=None,
                           can_change=self.has_change_permission(request, tenant))
        return super().change_view(request, object_id, form_url, context)

    # There is no tenant_update service: the fields edited here are plain attributes, so saving
    # the row is the whole change, and the tenant directory is told so every process reloads it.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_generation()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        bump_generation()  # domains decide sub-domain routing
