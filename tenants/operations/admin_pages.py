"""The staff admin's pages about one tenant, beyond the ModelAdmin list and change form:
provisioning, suspension, soft delete, device secrets, the security audit log and the tenant's
users. Every change goes through a service (tenants.operations.provisioning, accounts.services) with the staff
user's email as actor; the tenant's own rows are read and written in its schema.

A new secret is kept in the staff session only until the next page (the result page) takes it
out, so it is shown once, survives no reload and never goes into a message, a log or a LogEntry.

A tenant database URL (isolation level DATABASE) is write-only here, like an ETL source's: typed
into a password input, carried encrypted between the buttons of one form, stored encrypted, and
shown back only masked (password as •••).
"""

from __future__ import annotations

import json
import zoneinfo

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, IntegrityError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_tenants.utils import schema_context

from accounts.models import Role, SecurityEvent, User
from accounts.services import user_create, user_deactivate, user_reactivate, user_set_role
from accounts.tenant_secrets import tenant_secret_expire, tenant_secret_issue, tenant_secret_rotate
from config.crypto import DecryptionFailed, decrypt, encrypt
from config.forms import service_errors_to_form
from tenants.databases import TenantDatabaseError, database_url_masked, masked, parse_url
from tenants.models import Tenant, TenantSecret

from .own_database import connection_check
from .provisioning import tenant_create, tenant_reactivate, tenant_soft_delete, tenant_suspend

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
REVEAL_SESSION_KEY = "pumpjack_admin_secret_reveal"
AUDIT_PAGE_SIZE = 50
URL_TOKEN_SECONDS = 3600  # a database URL typed in a form is carried between its buttons for an hour at most
DATABASE_URL_HELP = (
    "postgresql://user:password@host:5432/database or mysql://... (MySQL or MariaDB): an empty database "
    "whose user may create tables. Write-only: it is stored encrypted and never shown again in full."
)
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


class _DatabaseUrlForm(StaffForm):
    """A write-only database URL, carried (encrypted, for an hour) between the form's buttons."""

    database_url = forms.CharField(
        label="Database URL", required=False, max_length=2000, strip=True, help_text=DATABASE_URL_HELP,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 90}),
    )
    url_token = forms.CharField(required=False, widget=forms.HiddenInput)

    @sensitive_variables()
    def typed_url(self) -> str:
        """The URL typed now, or carried from an earlier button of this form; "" for none."""
        cleaned = getattr(self, "cleaned_data", {})
        if cleaned.get("database_url"):
            return cleaned["database_url"]
        token = cleaned.get("url_token")
        if token:
            try:
                return decrypt(token, ttl=URL_TOKEN_SECONDS)
            except DecryptionFailed:
                self.add_error("database_url", "The URL entered earlier has expired; enter it again.")
        return ""


class TenantCreateForm(_PasswordPairForm, _DatabaseUrlForm):
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
    isolation = forms.ChoiceField(
        label="Its data lives in", widget=forms.RadioSelect, initial=Tenant.IsolationLevel.SCHEMA, required=False,
        choices=[(Tenant.IsolationLevel.SCHEMA, "a schema of the shared database"),
                 (Tenant.IsolationLevel.DATABASE, "a database of its own (give its URL below)")],
    )

    fieldsets = [
        ("Tenant", ["name", "slug", "time_zone", "tier", "trial", "region", "provider"]),
        ("Where its data lives", ["isolation", "database_url"]),
        ("First ADMIN user", ["admin_email", "admin_name", "admin_password", "admin_password2"]),
    ]
    # Keys of the services' ValidationError -> fields of this form.
    service_fields = {"email": "admin_email", "password": "admin_password", "name": "name", "status": "trial",
                      "database_url": "database_url"}
    # What a "Test connection" click puts back in the form (never a password).
    kept_on_test = ("name", "slug", "time_zone", "tier", "trial", "region", "provider", "admin_email", "admin_name",
                    "isolation")


class DatabaseMoveForm(_DatabaseUrlForm):
    keep_source = forms.BooleanField(required=False, initial=True, label="Keep the old copy")
    confirm = forms.BooleanField(
        label="I understand", help_text="The tenant's writes are refused (503) until the move is done.")

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        if tenant.has_own_database:
            del self.fields["database_url"], self.fields["url_token"]
            self.fields["keep_source"].help_text = ("Leave its tables in its current database; untick to drop "
                                                    "them once the move is done.")
        else:
            self.fields["keep_source"].help_text = (f"Keep schema {tenant.schema_name}, renamed "
                                                    f"{tenant.schema_name}_moved_<time>; untick to drop it.")


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


def _scrubbed(text: str, url: str) -> str:
    """A driver's message about ``url``, on one line, without its password."""
    try:
        secrets = parse_url(url).secrets
    except TenantDatabaseError:
        secrets = []
    for secret in secrets:
        text = text.replace(secret, "•••")
    return " ".join(text.split())[:500]


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
    @method_decorator(sensitive_post_parameters("admin_password", "admin_password2", "database_url", "url_token"))
    @sensitive_variables("created", "data", "url")
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TenantCreateForm(request.POST if request.method == "POST" else None)
        result, url_note = None, ""
        if form.is_bound:
            valid = form.is_valid()
            url = form.typed_url()
            url_note = self._carry_url(form, url)
            if request.POST.get("action") == "test":
                # Only the URL matters here: the other fields come back as typed, without errors
                # (and without the admin password, which is never rendered back).
                result = connection_check(url) if url else None
                form = TenantCreateForm(initial={
                    **{name: request.POST.get(name) for name in TenantCreateForm.kept_on_test},
                    "url_token": form.data.get("url_token", ""),
                })
                if result is None:
                    result = {"ok": False, "message": "Enter the database URL to test."}
            elif valid and not form.errors:
                created = self._create(request, form, url)
                if created is not None:
                    self.log_addition(request, created.tenant, [{"added": {}}])
                    return self._reveal_next(
                        request, created.tenant, secret=created.secret, what="created", label="default",
                        admin_email=created.admin_user.email,
                    )
        fieldsets = [(title, [form[name] for name in names]) for title, names in TenantCreateForm.fieldsets]
        return self._render(request, "database_form.html", None, "Create tenant", form=form, fieldsets=fieldsets,
                            result=result, url_note=url_note, submit_label="Create tenant", test_button=True,
                            back_url=reverse("admin:tenants_tenant_changelist"))

    @staticmethod
    @sensitive_variables("url")
    def _carry_url(form: _DatabaseUrlForm, url: str) -> str:
        """Keep a typed URL for the form's next button (encrypted, in the page); its masked form."""
        if not url:
            return ""
        form.data = form.data.copy()
        form.data["url_token"] = encrypt(url)
        form.data["database_url"] = ""
        return masked(url)

    @sensitive_variables("data", "url")
    def _create(self, request, form: TenantCreateForm, url: str):
        """tenant_create from the form; None, with the errors on the form, when it is refused."""
        data = form.cleaned_data
        own_database = data["isolation"] == Tenant.IsolationLevel.DATABASE
        if own_database and not url:
            form.add_error("database_url", "Give the URL of the tenant's own database (or choose a schema).")
            return None
        if url and not own_database:
            form.add_error("database_url", "A tenant in a schema of the shared database takes no URL: leave it "
                                           "empty, or choose a database of its own.")
            return None
        try:
            return tenant_create(
                name=data["name"], slug=data["slug"], time_zone=data["time_zone"], tier=data["tier"],
                status=Tenant.Status.TRIAL if data["trial"] else Tenant.Status.ACTIVE,
                region=data["region"], provider=data["provider"],
                admin_email=data["admin_email"], admin_name=data["admin_name"],
                admin_password=data["admin_password"], actor=self._actor(request), database_url=url,
            )
        except ValidationError as exc:
            service_errors_to_form(form, exc, TenantCreateForm.service_fields)
        except IntegrityError:  # e.g. another request took the slug, or its sub-domain, just now
            form.add_error("slug", "This slug's sub-domain is already taken; choose another slug.")
        except TenantDatabaseError as exc:
            form.add_error("database_url", exc.message)
        except DatabaseError as exc:
            if not url:
                raise
            # Preparing the tenant's own database failed half-way (nothing was registered).
            form.add_error("database_url", f"The database could not be prepared: {_scrubbed(str(exc), url)}")
        return None

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


class TenantDatabasePages:
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

    @_post_only
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

    @_post_only
    def database_migrate_view(self, request, tenant_id):
        from .management.commands.migrate_tenants import tenant_migrate

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
        return report.message if not report.ok else _scrubbed(str(exc.__cause__ or exc), url)

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
        from .moves import TenantMoveFailed, tenant_move  # the mover's module loads the copying machinery

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
