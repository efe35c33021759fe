"""Formatting for the portal's templates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.timezone import template_localtime

from wells.fields import moment_as_stored

register = template.Library()


@register.filter
def api_number(value: str) -> str:
    """'42317401010000' -> '42-317-40101-00-00' (how API numbers are written on paper)."""
    value = str(value or "")
    if len(value) != 14 or not value.isdigit():
        return value
    return f"{value[:2]}-{value[2:5]}-{value[5:10]}-{value[10:12]}-{value[12:]}"


@register.filter
def volume(value) -> str:
    """A volume (or value) at its stored precision, thousands separated, trailing zeros dropped:
    120.500 -> "120.5", 1234.000 -> "1,234"."""
    if value in (None, ""):
        return "—"
    number = Decimal(str(value))
    if number == 0:
        return "0"
    return f"{number.normalize():,f}"


@register.filter
def humanize_choice(value: str) -> str:
    """'NEEDS_ATTENTION' -> 'Needs attention'."""
    text = str(value or "").replace("_", " ").lower()
    return text[:1].upper() + text[1:]


@register.filter(expects_localtime=False)
def moment(value, arg: str = "M j, Y H:i") -> str:
    """``|date`` for times recorded in the field: one that cannot be shown in the local time zone
    (near year 1, stored by an earlier version) is shown as stored, in UTC, not as a 500 page."""
    if not isinstance(value, datetime):
        return date_filter(value, arg)
    try:
        return date_filter(template_localtime(value), arg)
    except (OverflowError, ValueError):
        return moment_as_stored(value)
