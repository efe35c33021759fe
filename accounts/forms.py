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


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OPERATOR)


class PasswordSetForm(forms.Form):
    """The page an invitation or reset link opens. The password validators run in the service
    (against the user's e-mail and name); here only that the two entries match."""

    name = forms.CharField(max_length=200, required=False, label="Your name")
    password = forms.CharField(strip=False, max_length=1024, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="At least 10 characters, not too common, not like your e-mail.")
    password_again = forms.CharField(strip=False, max_length=1024, label="The password again",
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, with_name: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_name:
            del self.fields["name"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password_again") is not None \
                and cleaned["password"] != cleaned["password_again"]:
            self.add_error("password_again", "The two passwords differ.")
        return cleaned


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SecretIssueForm(forms.Form):
    label = forms.CharField(max_length=100, help_text="What the secret is for, e.g. the device fleet.")
    expires_at = forms.DateTimeField(
        required=False, label="Expires at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional; empty: never expires.",
    )


DEFAULT_GRACE_HOURS = 24


class SecretRotateForm(forms.Form):
    """Rotation in two steps, both on the server: the filled form is answered with what will
    happen (``consequences``) and the same values as hidden fields with ``confirmed`` set
    (``confirmation_form``); only that second post rotates. The grace period defaults to 24 hours
    so that devices still holding the old secret keep working while they are given the new one."""

    secret = forms.ChoiceField(required=False, label="Replace", help_text="Which active secret the new one replaces.")
    grace_hours = forms.FloatField(
        min_value=0, max_value=720, required=False, initial=DEFAULT_GRACE_HOURS, label="Grace period (hours)",
        help_text=f"How long the replaced secret keeps working: 0 to 720 hours (empty: {DEFAULT_GRACE_HOURS}, time "
                  "for the devices to switch); 0: it stops at once.",
    )
    label = forms.CharField(max_length=100, required=False, help_text="Empty: keep the replaced secret's label.")
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, active_secrets, hidden: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.active_secrets = list(active_secrets)
        self.fields["secret"].choices = [("", "every active secret")] + [
            (str(s.pk), f"{s.label} (created {timezone.localtime(s.created_at):%Y-%m-%d %H:%M})")
            for s in self.active_secrets
        ]
        if hidden:
            for field in self.fields.values():
                field.widget = forms.HiddenInput()

    def clean_grace_hours(self):
        value = self.cleaned_data.get("grace_hours")
        return DEFAULT_GRACE_HOURS if value is None else value

    @property
    def is_confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirmed"))

    def confirmation_form(self, **kwargs) -> "SecretRotateForm":
        """The confirm step's form: this form's cleaned values, hidden, with ``confirmed`` set."""
        data = self.cleaned_data
        values = {"secret": data.get("secret") or "", "grace_hours": f"{data['grace_hours']:g}",
                  "label": data.get("label") or "", "confirmed": "True"}
        return type(self)({self.add_prefix(k): v for k, v in values.items()}, active_secrets=self.active_secrets,
                          hidden=True, prefix=self.prefix, **kwargs)

    def consequences(self, now=None) -> list[str]:
        """What the rotation will do, in words (times in the active time zone)."""
        from datetime import timedelta

        now = now or timezone.now()
        data = self.cleaned_data
        grace = data["grace_hours"]
        chosen = [s for s in self.active_secrets if str(s.pk) == data.get("secret")] if data.get("secret") \
            else self.active_secrets
        label = (data.get("label") or "").strip() or (chosen[0].label if len(chosen) == 1 else "rotated")
        lines = [f"A new secret labelled \"{label}\" is issued and shown to you once."]
        if not chosen:
            lines.append("No secret is active now: nothing else changes.")
            return lines
        names = ", ".join(f"\"{s.label}\"" for s in chosen)
        which = f"The secret {names}" if len(chosen) == 1 else f"Every active secret ({names})"
        if grace:
            until = timezone.localtime(now + timedelta(hours=grace))
            lines.append(f"{which} keeps working for {grace:g} hour{'' if grace == 1 else 's'}, until "
                         f"{until:%Y-%m-%d %H:%M %Z}, then stops: give the devices the new secret before then.")
        else:
            lines.append(f"{which} stops working at once: every device still using it is refused from now on.")
        return lines
