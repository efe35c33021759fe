"""Helpers shared by the portal's and the staff admin's forms."""

from django import forms
from django.core.exceptions import ValidationError


def service_errors_to_form(form: forms.Form, exc: ValidationError, field_map: dict | None = None) -> None:
    """Put a service's ValidationError next to the fields it names (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        name = (field_map or {}).get(key, key)
        form.add_error(name if name in form.fields else None, messages)
