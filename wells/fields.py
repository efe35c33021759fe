"""Serializer fields for dates and times of field records, on the way in and out.

Out: a list must never fail because of one stored row, so a time that cannot be shown in the
active time zone (an instant near year 1, stored by an earlier version; wells.quarantine moves
those away) is written as stored, in UTC, instead of raising OverflowError for the whole page.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rest_framework import serializers


def moment_as_stored(value) -> str:
    """``value`` in ISO 8601 without any time zone conversion (the fallback of LenientDateTimeField)."""
    if isinstance(value, datetime):
        try:
            value = value.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            pass
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


class LenientDateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        try:
            return super().to_representation(value)
        except (OverflowError, ValueError, serializers.ValidationError):  # DRF: "Datetime value out of range."
            return moment_as_stored(value)
