"""The staff admin's forms about one tenant (its pages are the other modules of this package)."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts import forms as accounts_forms
from accounts.models import SecurityEvent
from config.crypto import DecryptionFailed, decrypt
from tenants.models import Tenant

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]

URL_TOKEN_SECONDS = 3600  # a database URL typed in a form is carried between its buttons for an hour at most
DATABASE_URL_HELP = (
    "postgresql://user:password@host:5432/database or mysql://... (MySQL or MariaDB): an empty database "
    "whose user may create tables. Write-only: it is stored encrypted and never shown again in full."
)



class StaffForm(forms.Form):
    required_css_class = "required"  # the admin's bold labels


class PasswordPairForm(StaffForm):
    password_field = "password"

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get(self.password_field), cleaned.get(self.password_field + "2")
        if first and second and first != second:
            self.add_error(self.password_field + "2", "The two passwords differ.")
        return cleaned


class DatabaseUrlForm(StaffForm):
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


class TenantCreateForm(PasswordPairForm, DatabaseUrlForm):
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


class DatabaseMoveForm(DatabaseUrlForm):
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


class SecretRotateForm(StaffForm, accounts_forms.SecretRotateForm):
    pass


class SecretIssueForm(StaffForm, accounts_forms.SecretIssueForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].help_text += f" Time zone: {timezone.get_current_timezone_name()}."


class UserCreateForm(PasswordPairForm, accounts_forms.UserCreateForm):
    password2 = forms.CharField(label="Password (again)", strip=False, widget=forms.PasswordInput)


RoleForm = accounts_forms.RoleForm


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "every kind")] + SecurityEvent.Kind.choices, required=False)
    outcome = forms.ChoiceField(choices=[("", "every outcome")] + SecurityEvent.Outcome.choices, required=False)
