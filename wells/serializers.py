"""Wire shapes of the wells API (API.md section 5): camelCase fields over the snake_case models.

Input serializers check types and shapes (a string where a string belongs, a real date written
YYYY-MM-DD, a finite number in range, a known choice, no unknown field); the domain rules (API
number, state code, spud date not in the future, uniqueness) live in wells.services, which the
portal uses too. Both answer 400 ``invalid_request`` with camelCase field names in ``details``;
a request failing the first check is not put to the second, so its domain errors come after.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api_errors import ApiError, camel
from config.dates import EARLIEST_DATE, EARLIEST_SPUD_DATE, NO_LATER_BOUND_DATE, date_bound_problem
from config.plain_output import PlainOutput
from config.text_fields import NOT_BLANK, StrictCharField

from .domain import (
    US_STATES,
    ALL_PRODUCTION_UNITS,
    ALL_READING_UNITS,
    EquipmentStatus,
    EquipmentType,
    InspectionStatus,
    InspectionType,
    Product,
    ReadingType,
    WellStatus,
)
from .fields import LenientDateTimeField

INVALID = "The request is not valid; see details."


# ------------------------------------------------------------------ turning errors into 400s


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, inner in value.items() for message in _messages(inner)]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def _type_errors(serializer: serializers.Serializer) -> dict[str, list[str]]:
    details = {}
    for key, value in serializer.errors.items():
        # Declared fields are already named as on the wire; unknown keys are echoed as sent.
        name = "nonFieldErrors" if key in ("non_field_errors", NON_FIELD_ERRORS) else str(key)
        details[name] = _messages(value)
    return details


def parse(serializer_class: type[serializers.Serializer], data, *, partial: bool = False,
          domain: Callable[[dict], dict[str, list[str]]] | None = None) -> dict:
    """Validated data (snake_case keys) or ApiError 400 with {"fieldName": [messages]}.

    ``domain`` (validated data → {"fieldName": [messages]}) runs the rules beyond types, e.g.
    an API number's check digits, on every field that passed its type check, also when another
    field failed: one response names every bad field."""
    serializer = serializer_class(data=data, partial=partial)
    if serializer.is_valid():
        validated, details = serializer.validated_data, {}
    else:
        details = _type_errors(serializer)
        validated = {}
        if domain is not None and isinstance(data, Mapping):
            sound = serializer_class(data={k: v for k, v in data.items() if k not in details}, partial=True)
            validated = sound.validated_data if sound.is_valid() else {}
    if domain is not None:
        for name, messages in domain(validated).items():
            details.setdefault(name, messages)
    if details:
        raise ApiError(400, "invalid_request", INVALID, details=details)
    return validated


def service_error_details(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError (model field names) as API details (camelCase names)."""
    if not hasattr(exc, "error_dict"):
        return {"nonFieldErrors": list(exc.messages)}
    return {
        ("nonFieldErrors" if field == NON_FIELD_ERRORS else camel(field)): list(messages)
        for field, messages in exc.message_dict.items()
    }


class StrictInput(serializers.Serializer):
    """Refuses fields it does not know (listed in ``details``), with the other errors."""

    MAX_REPORTED_UNKNOWN = 20
    # Fields of the representation that a client may send back but never set.
    READ_ONLY = ("id", "version", "updatedAt")

    def to_internal_value(self, data):
        unknown: list[str] = []
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = [str(key)[:100] for key in data if key not in writable][: self.MAX_REPORTED_UNKNOWN]
        errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = dict(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            value = None
        for key in unknown:
            errors[key] = ["Read-only: the server sets it."] if key in self.READ_ONLY else ["Unknown field."]
        if errors:
            raise serializers.ValidationError(errors)
        return value


# ------------------------------------------------------------------ fields


def _pattern_field(pattern: str, *, max_length: int, help_text: str, **kwargs) -> serializers.CharField:
    """Text matching ``pattern`` whole, as sent (no trimming): the schema's pattern is the check."""
    compiled = re.compile(pattern)

    class PatternField(StrictCharField):
        default_error_messages = {"invalid": "Send text as a JSON string.", "pattern": help_text}

        def to_internal_value(self, data):
            value = super().to_internal_value(data)
            if not compiled.fullmatch(value):
                self.fail("pattern")
            return value

    schema = {"type": "string", "pattern": f"^{pattern}$", "maxLength": max_length}
    if kwargs.get("allow_null"):
        schema["nullable"] = True
    field_class = extend_schema_field(schema)(PatternField)
    return field_class(max_length=max_length, trim_whitespace=False, help_text=help_text, **kwargs)


# An API number as people write it: 14 digits in the groups state (01-50, 55-61), county (not
# 000), well (not 00000), sidetrack and event, each group optionally after a hyphen or a space,
# with spaces around. wells.domain.api_number_problem says the same in words (the portal uses it).
API_NUMBER_PATTERN = (
    r" *(0[1-9]|[1-4][0-9]|50|5[5-9]|6[01])[ -]?(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})[ -]?"
    r"(0000[1-9]|000[1-9][0-9]|00[1-9][0-9]{2}|0[1-9][0-9]{3}|[1-9][0-9]{4})[ -]?[0-9]{2}[ -]?[0-9]{2} *"
)
# A US state postal code in any letter case (stored upper case), or empty.
STATE_PATTERN = "(" + "|".join(["", *(f"[{a}{a.lower()}][{b}{b.lower()}]" for a, b in US_STATES)]) + ")"


class StrictDateField(serializers.DateField):
    """A date written exactly YYYY-MM-DD (Python alone would also take 20260226 or 2026-W09-4),
    from ``earliest`` (1900-01-01 on the wire) to today (config.dates; ``future=True``: no upper
    bound here, the service says "cannot be in the future")."""

    _FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
    default_error_messages = {"invalid": "Use a real date written YYYY-MM-DD."}

    def __init__(self, *, earliest: date = EARLIEST_DATE, future: bool = False, **kwargs):
        self.earliest, self.future = earliest, future
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not self._FORMAT.fullmatch(value):
            self.fail("invalid")
        parsed = super().to_internal_value(value)
        problem = date_bound_problem(parsed, earliest=self.earliest, latest=NO_LATER_BOUND_DATE if self.future else None)
        if problem:
            raise serializers.ValidationError(problem[:1].upper() + problem[1:] + ".")
        return parsed


@extend_schema_field({"type": "string", "format": "date", "nullable": True, "x-not-after-today": EARLIEST_SPUD_DATE.year})
class PastDateField(StrictDateField):
    """A date from 1850 (a spud date) to today (UTC): the schema's pattern says so (sync.openapi
    fills it in per request, from the year the marker carries)."""


class CoordinateField(serializers.DecimalField):
    """A number (JSON number or numeric string) kept exact as a Decimal; NaN and infinities refused."""

    def __init__(self, *, limit: int, **kwargs):
        super().__init__(max_digits=None, decimal_places=None, coerce_to_string=False, min_value=Decimal(-limit),
                         max_value=Decimal(limit), allow_null=True, required=False, **kwargs)

    def validate_empty_values(self, data):
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")  # "" is not a number; null clears the value
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float, Decimal)):
            self.fail("invalid")
        return super().to_internal_value(data)


def enum_field(choices, component: str):
    """A choice field shown in the schema as the named enum ``component`` (one name per domain,
    so "status" of a well, of equipment and of an inspection do not collide). ``choices``: a
    TextChoices class or a sequence of strings."""
    values = list(choices.values) if hasattr(choices, "values") else list(choices)

    class EnumField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=values, **kwargs)

    EnumField.__name__ = f"{component}Field"
    return extend_schema_field({"type": "string", "enum": values}, component_name=component)(EnumField)


WellStatusField = enum_field(WellStatus, "WellStatus")
EquipmentTypeField = enum_field(EquipmentType, "EquipmentType")
EquipmentStatusField = enum_field(EquipmentStatus, "EquipmentStatus")
InspectionStatusField = enum_field(InspectionStatus, "InspectionStatus")
InspectionTypeField = enum_field(InspectionType, "InspectionType")
ProductField = enum_field(Product, "Product")
ReadingTypeField = enum_field(ReadingType, "ReadingType")


def _text(max_length: int, **kwargs) -> serializers.CharField:
    return StrictCharField(max_length=max_length, validators=[NOT_BLANK], **kwargs)


def _optional_text(max_length: int, **kwargs) -> serializers.CharField:
    # null is taken as "empty" for optional text: clients need not know which one we store.
    return StrictCharField(max_length=max_length, required=False, allow_blank=True, allow_null=True, **kwargs)


# ------------------------------------------------------------------ wells


class WellInput(StrictInput):
    """A well as written by a client (PATCH: any subset). Unknown fields are refused."""

    apiNumber = _pattern_field(API_NUMBER_PATTERN, max_length=32, source="api_number", help_text=(
        "14-digit API/UWI number: state code (01-50, 55-61), county (not 000), well (not 00000), sidetrack, "
        "event; a hyphen or space may separate the groups, e.g. 42-501-20130-03-00. Unique in the tenant "
        "(a number another well has is 409 conflict)."))
    name = _text(200)
    lease = _optional_text(200)
    leaseId = serializers.UUIDField(source="lease_id", required=False, allow_null=True, help_text=(
        "The well's lease (API.md section 13), or null. Setting it without `lease` writes the lease's name there."))
    field = _optional_text(200)
    county = _optional_text(100)
    state = _pattern_field(STATE_PATTERN, max_length=2, required=False, allow_blank=True, allow_null=True,
                           help_text="US state postal code, e.g. TX (any letter case; stored upper case).")
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    status = WellStatusField(required=False)
    spudDate = PastDateField(source="spud_date", required=False, allow_null=True, earliest=EARLIEST_SPUD_DATE,
                             future=True, help_text="YYYY-MM-DD, from 1850-01-01, not in the future.")


class WellOutput(PlainOutput):
    """A well. ``version`` increases on every change."""

    id = serializers.UUIDField()
    apiNumber = serializers.CharField(source="api_number", help_text="14 digits.")
    name = serializers.CharField()
    lease = serializers.CharField()
    leaseId = serializers.UUIDField(source="lease_ref_id", allow_null=True, help_text="The lease entity, or null.")
    field = serializers.CharField()
    county = serializers.CharField()
    state = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    status = WellStatusField()
    spudDate = serializers.DateField(source="spud_date", allow_null=True)
    version = serializers.IntegerField(help_text="Increases by one on every change.")
    updatedAt = serializers.DateTimeField(source="updated_at", default_timezone=dt_timezone.utc)  # "…Z", as in the feed


class WellListQuery(serializers.Serializer):
    status = WellStatusField(required=False)
    lease = serializers.CharField(required=False, allow_blank=True, max_length=200)
    field = serializers.CharField(required=False, allow_blank=True, max_length=200)
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)


# ------------------------------------------------------------------ equipment


class EquipmentInput(StrictInput):
    """Equipment as written by a client (PATCH: any subset). Unknown fields are refused."""

    wellId = serializers.UUIDField(source="well_id", help_text="A well visible to you; equipment never moves "
                                   "to another well (PATCH accepts only its current well).")
    type = EquipmentTypeField()
    name = _text(200)
    serialNumber = _optional_text(100, source="serial_number")
    status = EquipmentStatusField(required=False)


class EquipmentOutput(PlainOutput):
    """A piece of equipment on a well."""

    id = serializers.UUIDField()
    wellId = serializers.UUIDField(source="well_id")
    type = EquipmentTypeField()
    name = serializers.CharField()
    serialNumber = serializers.CharField(source="serial_number")
    status = EquipmentStatusField()
    version = serializers.IntegerField(help_text="Increases by one on every change.")
    updatedAt = serializers.DateTimeField(source="updated_at", default_timezone=dt_timezone.utc)  # "…Z", as in the feed


# ------------------------------------------------------------------ field records (read only)


class FieldRecordOutput(serializers.Serializer):
    """What every record made in the field has."""

    id = serializers.UUIDField()
    wellId = serializers.UUIDField(source="well_id")
    recordedBy = serializers.UUIDField(source="recorded_by_id", allow_null=True, help_text="The user's id.")
    sourceEventId = serializers.UUIDField(source="source_event_id", allow_null=True,
                                          help_text="The sync event the record came from.")
    supersededBy = serializers.UUIDField(source="superseded_by_id", allow_null=True,
                                         help_text="null for the current record of its conflict key.")


class ProductionRecordOutput(PlainOutput, FieldRecordOutput):
    """A PRODUCTION_LOGGED record (current or superseded)."""

    productionDate = serializers.DateField(source="production_date")
    product = ProductField()
    volume = serializers.FloatField()
    unit = serializers.ChoiceField(choices=ALL_PRODUCTION_UNITS, help_text="OIL and WATER: BBL or M3; GAS: MCF or M3.")
    downtimeHours = serializers.FloatField(source="downtime_hours", allow_null=True)
    downtimeReason = serializers.CharField(source="downtime_reason")


class ReadingOutput(PlainOutput, FieldRecordOutput):
    """A WELL_READING_RECORDED record."""

    readingType = ReadingTypeField(source="reading_type")
    value = serializers.FloatField()
    unit = serializers.ChoiceField(choices=ALL_READING_UNITS)
    recordedAt = LenientDateTimeField(source="recorded_at")
    equipmentId = serializers.UUIDField(source="equipment_id", allow_null=True)


class InspectionOutput(PlainOutput, FieldRecordOutput):
    """An EQUIPMENT_INSPECTED record."""

    equipmentId = serializers.UUIDField(source="equipment_id")
    inspectionType = InspectionTypeField(source="inspection_type")
    status = InspectionStatusField()
    inspectedAt = LenientDateTimeField(source="inspected_at")
    notes = serializers.CharField()


class RepairOutput(PlainOutput, FieldRecordOutput):
    """An EQUIPMENT_REPAIRED record."""

    equipmentId = serializers.UUIDField(source="equipment_id")
    description = serializers.CharField()
    repairedAt = LenientDateTimeField(source="repaired_at")
    partsReplaced = serializers.CharField(source="parts_replaced")


class NoteOutput(PlainOutput, FieldRecordOutput):
    """A NOTES_ADDED record."""

    notes = serializers.CharField()
    recordedAt = LenientDateTimeField(source="recorded_at")


class PhotoOutput(FieldRecordOutput):
    """A PHOTO_ATTACHED record and, once it has arrived, its file."""

    photoId = serializers.UUIDField(source="photo_id")
    takenAt = LenientDateTimeField(source="taken_at")
    equipmentId = serializers.UUIDField(source="equipment_id", allow_null=True)
    caption = serializers.CharField()
    contentType = serializers.CharField(source="content_type", help_text="Empty until the file has arrived.")
    sizeBytes = serializers.IntegerField(source="size_bytes", allow_null=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True,
                          "description": "The file's storage URL; null until the file has arrived."})
    def get_url(self, photo) -> str | None:
        """Where the image is downloaded (with the same three credentials); null until it arrives."""
        return f"/api/v1/sync/photos/{photo.photo_id}" if photo.file else None


class NoQuery(serializers.Serializer):
    """A list with no filters (its page parameters are checked by config.pagination)."""


class _DateRangeQuery(serializers.Serializer):
    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"from": [f"from ({start}) is after to ({end})."]})
        return attrs


# "from" is a Python keyword: declare the fields through the class namespace.
ProductionQuery = type("ProductionQuery", (_DateRangeQuery,), {
    # From 1900-01-01; a range reaching into the future is a question, not data: no upper bound.
    "from": StrictDateField(source="date_from", required=False, future=True),
    "to": StrictDateField(source="date_to", required=False, future=True),
})

