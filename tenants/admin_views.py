"""The staff admin's pages about one tenant, beyond the ModelAdmin list and change form:
provisioning, suspension, soft delete, device secrets, the security audit log and the tenant's
users. Every change goes through a service (tenants.services, accounts.services) with the staff
user's email as actor; the tenant's own rows are read and written in its schema.

A new secret is kept in the staff session only until the next page (the result page) takes it
out, so it is shown once, survives no reload and never goes into a message, a log or a LogEntry.
"""

from __future__ import annotations

import json
import zoneinfo

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_tenants.utils import schema_context

from config.forms import service_errors_to_form
from accounts.models import Role, SecurityEvent, User
from accounts.services import user_create, user_deactivate, user_reactivate, user_set_role

from .models import Tenant, TenantSecret
from .services import (
    tenant_create,
    tenant_reactivate,
    tenant_secret_expire,
    tenant_secret_issue,
    tenant_secret_rotate,
    tenant_soft_delete,
    tenant_suspend,
)

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
REVEAL_SESSION_KEY = "pumpjack_admin_secret_reveal"
AUDIT_PAGE_SIZE = 50
TEMPLATES = "admin/tenants/tenant/"


# --------------------------------------------------------------------------- forms


class StaffForm(forms.Form):
    required_css_class = "required"  # the admin's bold labels


class _PasswordPairForm(StaffForm):
    password_field = "password"

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get(self.password_field), cleaned.get(self.password_field + "2")
        if first and second and first != second:
            self.add_error(self.password_field + "2", "The two passwords differ.")
        return cleaned


class TenantCreateForm(_PasswordPairForm):
    password_field = "admin_password"

    name = forms.CharField(max_length=200, label="Company name")
    slug = forms.CharField(
        max_length=32, help_text="The portal's sub-domain label: lowercase letters, digits and hyphens. Fixed later."
    )
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES, initial="America/Chicago", help_text="Decides what a 'day' is in conflict rules."
    )
    tier = forms.ChoiceField(choices=Tenant.Tier.choices, initial=Tenant.Tier.STARTER)
    trial = forms.BooleanField(required=False, label="Trial", help_text="Create the tenant in TRIAL status.")
    region = forms.CharField(max_length=64, required=False)
    provider = forms.CharField(max_length=64, required=False)
    admin_email = forms.EmailField(label="Admin email")
    admin_name = forms.CharField(max_length=200, required=False, label="Admin name")
    admin_password = forms.CharField(label="Admin password", strip=False, widget=forms.PasswordInput)
    admin_password2 = forms.CharField(label="Admin password (again)", strip=False, widget=forms.PasswordInput)

    fieldsets = [
        ("Tenant", ["name", "slug", "time_zone", "tier", "trial", "region", "provider"]),
        ("First ADMIN user", ["admin_email", "admin_name", "admin_password", "admin_password2"]),
    ]
    # Keys of the services' ValidationError -> fields of this form.
    service_fields = {"email": "admin_email", "password": "admin_password", "name": "name", "status": "trial"}


class SuspendForm(StaffForm):
    reason = forms.CharField(max_length=500, required=False, help_text="Kept in the tenant's security log.")


class SoftDeleteForm(StaffForm):
    confirm = forms.CharField(max_length=64, label="Type the tenant's slug to confirm")

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.tenant.slug:
            raise ValidationError(f"Type {self.tenant.slug} to delete this tenant.")
        return value


class SecretRotateForm(StaffForm):
    secret = forms.ChoiceField(required=False, label="Replace", help_text="Which active secret the new one replaces.")
    grace_hours = forms.FloatField(
        min_value=0, max_value=720, required=False, initial=0,
        help_text="How long the replaced secret(s) keep working (0 to 720 hours; 0: they stop at once).",
    )
    label = forms.CharField(max_length=100, required=False, help_text="Empty: keep the replaced secret's label.")

    def __init__(self, *args, active_secrets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].choices = [("", "every active secret")] + [
            (str(s.pk), f"{s.label} (created {s.created_at:%Y-%m-%d %H:%M})") for s in active_secrets
        ]


class SecretIssueForm(StaffForm):
    label = forms.CharField(max_length=100, help_text="What the secret is for, e.g. the device fleet.")
    expires_at = forms.DateTimeField(
        required=False, label="Expires at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional; empty: never expires.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].help_text += f" Time zone: {timezone.get_current_timezone_name()}."


class UserCreateForm(_PasswordPairForm):
    email = forms.EmailField()
    name = forms.CharField(max_length=200, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OPERATOR)
    password = forms.CharField(strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password (again)", strip=False, widget=forms.PasswordInput)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "every kind")] + SecurityEvent.Kind.choices, required=False)
    outcome = forms.ChoiceField(choices=[("", "every outcome")] + SecurityEvent.Outcome.choices, required=False)


# --------------------------------------------------------------------------- pages


def _post_only(view):
    def wrapper(self, request, *args, **kwargs):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(self, request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


class TenantStaffPages:
    """Mixed into the Tenant ModelAdmin; ``staff_page_urls`` gives its extra URLs."""

    def staff_page_urls(self) -> list:
        pages = [
            ("secret-shown/", self.secret_shown_view, "secret_shown"),
            ("suspend/", self.suspend_view, "suspend"),
            ("reactivate/", self.reactivate_view, "reactivate"),
            ("soft-delete/", self.soft_delete_view, "soft_delete"),
            ("secrets/", self.secrets_view, "secrets"),
            ("secrets/rotate/", self.secret_rotate_view, "secret_rotate"),
            ("secrets/add/", self.secret_issue_view, "secret_issue"),
            ("secrets/<uuid:secret_id>/expire/", self.secret_expire_view, "secret_expire"),
            ("audit/", self.audit_view, "audit"),
            ("users/", self.users_view, "users"),
            ("users/add/", self.user_create_view, "user_create"),
            ("users/<uuid:user_id>/role/", self.user_role_view, "user_role"),
            ("users/<uuid:user_id>/deactivate/", self.user_deactivate_view, "user_deactivate"),
            ("users/<uuid:user_id>/reactivate/", self.user_reactivate_view, "user_reactivate"),
        ]
        return [
            path(f"<uuid:tenant_id>/{route}", self.admin_site.admin_view(view), name=self._url_name(name))
            for route, view, name in pages
        ]

    # ------------------------------------------------------------------ helpers
    def _url_name(self, page: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{page}"

    def _url(self, page: str, tenant: Tenant, *args) -> str:
        return reverse(f"admin:{self._url_name(page)}", args=[tenant.pk, *args])

    def _tenant(self, request, tenant_id, *, change: bool) -> Tenant:
        tenant = get_object_or_404(Tenant, pk=tenant_id)
        allowed = self.has_change_permission(request, tenant) if change else self.has_view_permission(request, tenant)
        if not allowed:
            raise PermissionDenied
        return tenant

    @staticmethod
    def _actor(request) -> str:
        return request.user.get_username()

    def _render(self, request, template: str, tenant: Tenant | None, page_title: str, **context):
        """Render a page; call it outside schema_context (the admin's context reads the public schema)."""
        title = f"{page_title}: {tenant.name} ({tenant.public_id})" if tenant is not None else page_title
        if "back_page" in context:
            context["back_url"] = self._url(context.pop("back_page"), tenant)
        return TemplateResponse(request, TEMPLATES + template, {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "page_title": page_title,
            "tenant": tenant,
            "can_change": tenant is not None and self.has_change_permission(request, tenant),
            **context,
        })

    def _redirect(self, page: str, tenant: Tenant) -> HttpResponseRedirect:
        return HttpResponseRedirect(self._url(page, tenant))

    def _reveal_next(self, request, tenant: Tenant, **reveal) -> HttpResponseRedirect:
        request.session[REVEAL_SESSION_KEY] = {"tenant": str(tenant.pk), **reveal}
        return self._redirect("secret_shown", tenant)

    # ------------------------------------------------------------------ create
    @method_decorator(sensitive_post_parameters("admin_password", "admin_password2"))
    @sensitive_variables("created", "data")
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TenantCreateForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                created = tenant_create(
                    name=data["name"], slug=data["slug"], time_zone=data["time_zone"], tier=data["tier"],
                    status=Tenant.Status.TRIAL if data["trial"] else Tenant.Status.ACTIVE,
                    region=data["region"], provider=data["provider"],
                    admin_email=data["admin_email"], admin_name=data["admin_name"],
                    admin_password=data["admin_password"], actor=self._actor(request),
                )
            except ValidationError as exc:
                service_errors_to_form(form, exc, TenantCreateForm.service_fields)
            except IntegrityError:  # e.g. another request took the slug, or its sub-domain, just now
                form.add_error("slug", "This slug's sub-domain is already taken; choose another slug.")
            else:
                self.log_addition(request, created.tenant, [{"added": {}}])
                return self._reveal_next(
                    request, created.tenant, secret=created.secret, what="created", label="default",
                    admin_email=created.admin_user.email,
                )
        fieldsets = [(title, [form[name] for name in names]) for title, names in TenantCreateForm.fieldsets]
        return self._render(request, "form_page.html", None, "Create tenant", form=form, fieldsets=fieldsets,
                            submit_label="Create tenant", back_url=reverse("admin:tenants_tenant_changelist"))

    # ------------------------------------------------------------------ one-time secret
    @sensitive_variables("reveal")
    def secret_shown_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        # Taken out whatever happens: a secret meant for another tenant's page is gone, not kept.
        reveal = request.session.pop(REVEAL_SESSION_KEY, None)
        if not reveal or reveal.get("tenant") != str(tenant.pk):
            reveal = None
        page_title = "Tenant created" if reveal and reveal["what"] == "created" else "New tenant secret"
        domain = tenant.domains.filter(is_primary=True).first()
        return self._render(request, "secret_shown.html", tenant, page_title, reveal=reveal, primary_domain=domain)

    # ------------------------------------------------------------------ lifecycle
    def suspend_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        if tenant.status == Tenant.Status.SUSPENDED:
            self.message_user(request, f"{tenant} is already suspended.", level="warning")
            return self._redirect("change", tenant)
        form = SuspendForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            tenant_suspend(tenant=tenant, actor=self._actor(request), reason=form.cleaned_data["reason"],
                           request=request)
            self.log_change(request, tenant, "Suspended.")
            self.message_user(request, f"{tenant} is suspended: its devices, API clients and portal users are refused.")
            return self._redirect("change", tenant)
        return self._render(
            request, "confirm.html", tenant, "Suspend tenant", form=form, danger=True, submit_label="Suspend",
            consequences=["Every API call, device sync and portal page of this tenant is refused (403) until "
                          "it is reactivated.", "Its data is kept as it is."],
        )

    def reactivate_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        if tenant.status != Tenant.Status.SUSPENDED:
            self.message_user(request, f"{tenant} is not suspended.", level="warning")
            return self._redirect("change", tenant)
        if request.method == "POST":
            tenant_reactivate(tenant=tenant, actor=self._actor(request), request=request)
            self.log_change(request, tenant, "Reactivated.")
            self.message_user(request, f"{tenant} is active again.")
            return self._redirect("change", tenant)
        return self._render(
            request, "confirm.html", tenant, "Reactivate tenant", form=None, danger=False, submit_label="Reactivate",
            consequences=["The tenant's devices, API clients and portal users are let in again.",
                          "Its status becomes ACTIVE (a trial tenant is no longer in TRIAL)."],
        )

    def soft_delete_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)  # a deleted tenant is not changeable
        form = SoftDeleteForm(request.POST if request.method == "POST" else None, tenant=tenant)
        if form.is_bound and form.is_valid():
            tenant_soft_delete(tenant=tenant, actor=self._actor(request), request=request)
            self.log_change(request, tenant, "Soft-deleted.")
            self.message_user(request, f"{tenant} is deleted. Its schema and data are kept until a purge.")
            return HttpResponseRedirect(reverse("admin:tenants_tenant_changelist"))
        return self._render(
            request, "confirm.html", tenant, "Delete tenant", form=form, danger=True, submit_label="Delete tenant",
            consequences=["The tenant disappears everywhere: its tenant ID, sub-domain, secrets and users stop "
                          "working at once.", "Its schema and data are kept until a purge; this page cannot "
                          "undo the deletion."],
        )

    # ------------------------------------------------------------------ secrets
    def secrets_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        now = timezone.now()
        secrets = TenantSecret.objects.filter(tenant=tenant).defer("secret_hash").order_by("-created_at")
        rows = [{"secret": s, "active": s.is_active_at(now)} for s in secrets]
        return self._render(request, "secrets.html", tenant, "Device secrets", rows=rows)

    @sensitive_variables("secret")
    def secret_rotate_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        active = [s for s in TenantSecret.objects.filter(tenant=tenant).defer("secret_hash")
                  if s.is_active_at(timezone.now())]
        form = SecretRotateForm(request.POST if request.method == "POST" else None, active_secrets=active)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            grace_hours = data["grace_hours"] or 0
            try:
                secret = tenant_secret_rotate(
                    tenant=tenant, actor=self._actor(request), grace_hours=grace_hours, label=data["label"],
                    secret_id=data["secret"] or None, request=request,
                )
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                replaced = "the replaced secret" if data["secret"] else "every secret that was active"
                when = f"in {grace_hours:g} hour{'' if grace_hours == 1 else 's'}" if grace_hours else "now"
                return self._reveal_next(request, tenant, secret=secret, what="rotated", label=data["label"],
                                         note=f"{replaced.capitalize()} stops working {when}.")
        return self._render(request, "form_page.html", tenant, "Rotate secret", form=form,
                            fieldsets=[(None, list(form))], submit_label="Rotate", back_page="secrets")

    @sensitive_variables("secret")
    def secret_issue_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        form = SecretIssueForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                secret = tenant_secret_issue(tenant=tenant, label=data["label"], actor=self._actor(request),
                                             expires_at=data["expires_at"], request=request)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                return self._reveal_next(request, tenant, secret=secret, what="issued", label=data["label"].strip(),
                                         note="The tenant's other secrets keep working.")
        return self._render(request, "form_page.html", tenant, "Add secret", form=form,
                            fieldsets=[(None, list(form))], submit_label="Add secret", back_page="secrets")

    @_post_only
    def secret_expire_view(self, request, tenant_id, secret_id):
        tenant = self._tenant(request, tenant_id, change=True)
        try:
            secret = tenant_secret_expire(tenant=tenant, secret_id=secret_id, actor=self._actor(request),
                                          request=request)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level="error")
        else:
            self.message_user(request, f"Secret {secret.label!r} has expired: devices using it are refused.")
        return self._redirect("secrets", tenant)

    # ------------------------------------------------------------------ audit log
    def audit_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        filters = AuditFilterForm(request.GET)
        criteria = {k: v for k, v in filters.cleaned_data.items() if v} if filters.is_valid() else {}
        with schema_context(tenant.schema_name):
            events = SecurityEvent.objects.filter(**criteria).order_by("-created_at", "-id")
            page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
            page.object_list = list(page.object_list)  # read here, in the tenant's schema
        rows = [(event, json.dumps(event.detail, sort_keys=True, ensure_ascii=False) if event.detail else "")
                for event in page.object_list]
        return self._render(request, "audit.html", tenant, "Security log", filters=filters, page=page, rows=rows)

    # ------------------------------------------------------------------ users
    def users_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=False)
        with schema_context(tenant.schema_name):
            users = list(User.objects.order_by("email"))
        return self._render(request, "users.html", tenant, "Users", users=users, roles=Role.choices)

    @method_decorator(sensitive_post_parameters("password", "password2"))
    @sensitive_variables("data")
    def user_create_view(self, request, tenant_id):
        tenant = self._tenant(request, tenant_id, change=True)
        form = UserCreateForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            actor = self._actor(request)
            try:
                with schema_context(tenant.schema_name):
                    user = user_create(email=data["email"], password=data["password"], role=data["role"],
                                       name=data["name"], actor=actor, request=request)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                self.message_user(request, f"User {user.email} ({user.role}) created in {tenant}.")
                return self._redirect("users", tenant)
        return self._render(request, "form_page.html", tenant, "Add user", form=form,
                            fieldsets=[(None, list(form))], submit_label="Create user", back_page="users")

    def _user_change(self, request, tenant_id, user_id, change) -> HttpResponseRedirect:
        """Run ``change(user, actor)`` on one of the tenant's users, in its schema."""
        tenant = self._tenant(request, tenant_id, change=True)
        actor = self._actor(request)
        with schema_context(tenant.schema_name):
            user = User.objects.filter(pk=user_id).first()
            if user is None:
                raise Http404("No such user in this tenant.")
            try:
                message = change(user, actor)
            except ValidationError as exc:
                message = None
                self.message_user(request, " ".join(exc.messages), level="error")
        if message:
            self.message_user(request, message)
        return self._redirect("users", tenant)

    @_post_only
    def user_role_view(self, request, tenant_id, user_id):
        form = RoleForm(request.POST)

        def change(user, actor):
            if not form.is_valid():
                raise ValidationError(f"Role must be one of {', '.join(Role.values)}.")
            previous = user.role
            user_set_role(user=user, role=form.cleaned_data["role"], actor=actor, request=request)
            if previous == user.role:
                return f"{user.email} already is {user.role}."
            return f"{user.email} is now {user.role} (was {previous or 'no role'}); their tokens were revoked."

        return self._user_change(request, tenant_id, user_id, change)

    @_post_only
    def user_deactivate_view(self, request, tenant_id, user_id):
        def change(user, actor):
            user_deactivate(user=user, actor=actor, request=request)
            return f"{user.email} is deactivated; their tokens were revoked."

        return self._user_change(request, tenant_id, user_id, change)

    @_post_only
    def user_reactivate_view(self, request, tenant_id, user_id):
        def change(user, actor):
            user_reactivate(user=user, actor=actor, request=request)
            return f"{user.email} is active again."

        return self._user_change(request, tenant_id, user_id, change)
