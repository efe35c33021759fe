"""The forms about a tenant's users and device secrets, one copy for the tenant ADMIN's portal
pages (accounts.views) and the staff admin's pages (tenants.operations.staff_admin), which add
only the admin's look and a repeated password."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .models import Role


class UserCreateForm(forms.Form):
    email = forms.EmailField(max_length=254)
    name = forms.CharField(max_length=200, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OPERATOR)
    password = forms.CharField(strip=False, widget=forms.PasswordInput, help_text="At least 10 characters.")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SecretIssueForm(forms.Form):
    label = forms.CharField(max_length=100, help_text="What the secret is for, e.g. the device fleet.")
    expires_at = forms.DateTimeField(
        required=False, label="Expires at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional; empty: never expires.",
    )


class SecretRotateForm(forms.Form):
    secret = forms.ChoiceField(required=False, label="Replace", help_text="Which active secret the new one replaces.")
    grace_hours = forms.FloatField(
        min_value=0, max_value=720, required=False, initial=0, label="Grace period (hours)",
        help_text="How long the replaced secret keeps working: 0 to 720 hours; empty or 0: it stops at once.",
    )
    label = forms.CharField(max_length=100, required=False, help_text="Empty: keep the replaced secret's label.")

    def __init__(self, *args, active_secrets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].choices = [("", "every active secret")] + [
            (str(s.pk), f"{s.label} (created {timezone.localtime(s.created_at):%Y-%m-%d %H:%M})")
            for s in active_secrets
        ]
