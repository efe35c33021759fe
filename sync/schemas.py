"""Event payload schemas (API.md section 7): one definition, used by the server's intake and by
the field client's local validation alike. Plain Python (no database, no settings), so the
client can import it as it is.

``validate_event_payload(type, payload)`` returns ``(cleaned, errors)``: ``cleaned`` holds typed
values (Decimal, date, datetime, UUID) under snake_case keys, ``errors`` maps camelCase field
names to messages. Whether the well exists and is on the user's route is the server's business.

Dates and times lie between 1900-01-01 and 10 minutes from now (config.dates); a productionDate
is not after ``today`` (the tenant's date on the server, the device's on the field client);
volumes and readings stay within what a field produces and a gauge reads (wells.domain bounds).
"""

from __future__ import annotations

import functools
import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from config.dates import (
    NO_LATER_BOUND_DATE,
    NO_LATER_BOUND_TIME,
    date_bound_problem,
    latest_date,
    time_bound_problem,
)
from wells.domain import (
    PRODUCT_UNITS,
    READING_UNITS,
    InspectionStatus,
    InspectionType,
    Product,
    ReadingType,
    WellStatus,
    production_volume_problem,
    reading_value_problem,
)

# Wire limits (API.md section 6): a batch request, and a photo upload.
MAX_EVENTS = 5_000
MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024

NOTES_MAX = 10_000
TEXT_MAX = 10_000
MAX_DECIMAL = Decimal("1e11")


class Invalid(ValueError):
    pass


# ------------------------------------------------------------------------- field parsers


def parse_uuid(value: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise Invalid("must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid("must be a UUID") from None


def parse_decimal(value: Any, *, minimum: Decimal | None = None, maximum: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Invalid("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid("must be a finite number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid("must be a number") from None
    if not number.is_finite() or abs(number) >= MAX_DECIMAL:
        raise Invalid("must be a finite number below 1e11")
    if minimum is not None and number < minimum:
        raise Invalid(f"must be >= {minimum}")
    if maximum is not None and number > maximum:
        raise Invalid(f"must be <= {maximum}")
    return number.quantize(Decimal("0.001"))


def parse_date(value: Any) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise Invalid("must be a date YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid("must be a valid date YYYY-MM-DD") from None
    problem = date_bound_problem(parsed, latest=NO_LATER_BOUND_DATE)  # "today": see validate_event_payload
    if problem:
        raise Invalid(problem)
    return parsed


def parse_datetime(value: Any) -> datetime:
    """RFC 3339 with an offset ("Z" or "+hh:mm"); naive times are refused."""
    if not isinstance(value, str) or not 19 <= len(value) <= 40:
        raise Invalid("must be an RFC 3339 timestamp with offset, e.g. 2026-11-26T14:03:00Z")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("must be an RFC 3339 timestamp with offset, e.g. 2026-11-26T14:03:00Z") from None
    problem = time_bound_problem(moment, latest=NO_LATER_BOUND_TIME)  # "now": see validate_event_payload
    if problem:
        raise Invalid(problem)
    return moment


def parse_choice(choices: list[str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise Invalid(f"must be one of {', '.join(choices)}")
        return value

    return parse


def parse_text(max_length: int, *, required: bool = True) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        if "\x00" in value:
            raise Invalid("must not contain NUL characters")
        if required and not value.strip():
            raise Invalid("must not be empty")
        if len(value) > max_length:
            raise Invalid(f"must be at most {max_length:,} characters")
        return value

    return parse


# ------------------------------------------------------------------------- schemas


@dataclass(frozen=True)
class Field:
    wire: str  # camelCase name on the wire
    parse: Callable[[Any], Any]
    required: bool = True

    @functools.cached_property  # computed once: intake asks for it for every field of every event
    def name(self) -> str:  # snake_case name in cleaned data
        out = []
        for ch in self.wire:
            out.append("_" + ch.lower() if ch.isupper() else ch)
        return "".join(out)


@dataclass(frozen=True)
class PayloadSchema:
    fields: tuple[Field, ...]
    # Cross-field checks on the cleaned values: return {wireName: [message]} problems.
    checks: tuple[Callable[[dict], dict[str, list[str]]], ...] = field(default_factory=tuple)
    # Times that must not lie in the future (cleaned names).
    times: tuple[str, ...] = ()
    # Dates that must not be after today (cleaned names).
    dates: tuple[str, ...] = ()


def _production_unit(cleaned: dict) -> dict[str, list[str]]:
    product, unit = cleaned.get("product"), cleaned.get("unit")
    if product and unit and unit not in PRODUCT_UNITS[product]:
        return {"unit": [f"{product} is measured in {' or '.join(PRODUCT_UNITS[product])}"]}
    return {}


def _reading_unit(cleaned: dict) -> dict[str, list[str]]:
    kind, unit = cleaned.get("reading_type"), cleaned.get("unit")
    if kind and unit and unit not in READING_UNITS[kind]:
        return {"unit": [f"{kind} is measured in {', '.join(READING_UNITS[kind])}"]}
    return {}


def _production_volume(cleaned: dict) -> dict[str, list[str]]:
    product, unit, volume = cleaned.get("product"), cleaned.get("unit"), cleaned.get("volume")
    problem = production_volume_problem(product, volume, unit) if product and unit and volume is not None else None
    return {"volume": [problem]} if problem else {}


def _reading_value(cleaned: dict) -> dict[str, list[str]]:
    kind, unit, value = cleaned.get("reading_type"), cleaned.get("unit"), cleaned.get("value")
    problem = reading_value_problem(kind, value, unit) if kind and unit and value is not None else None
    return {"value": [problem]} if problem else {}


_ANY_PRODUCTION_UNIT = sorted({u for units in PRODUCT_UNITS.values() for u in units})
_ANY_READING_UNIT = sorted({u for units in READING_UNITS.values() for u in units})

SCHEMAS: dict[str, PayloadSchema] = {
    "WELL_READING_RECORDED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("readingType", parse_choice(ReadingType.values)),
            Field("value", parse_decimal),
            Field("unit", parse_choice(_ANY_READING_UNIT)),
            Field("recordedAt", parse_datetime),
            Field("equipmentId", parse_uuid, required=False),
        ),
        checks=(_reading_unit, _reading_value),
        times=("recorded_at",),
    ),
    "PRODUCTION_LOGGED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("productionDate", parse_date),
            Field("product", parse_choice(Product.values)),
            Field("volume", lambda v: parse_decimal(v, minimum=Decimal(0))),
            Field("unit", parse_choice(_ANY_PRODUCTION_UNIT)),
            Field("downtimeHours", lambda v: parse_decimal(v, minimum=Decimal(0), maximum=Decimal(24)), required=False),
            Field("downtimeReason", parse_text(500, required=False), required=False),
            Field("recordedAt", parse_datetime, required=False),
        ),
        checks=(_production_unit, _production_volume),
        times=("recorded_at",),
        dates=("production_date",),
    ),
    "EQUIPMENT_INSPECTED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("equipmentId", parse_uuid),
            Field("inspectionType", parse_choice(InspectionType.values)),
            Field("status", parse_choice(InspectionStatus.values)),
            Field("inspectedAt", parse_datetime),
            Field("notes", parse_text(NOTES_MAX, required=False), required=False),
        ),
        times=("inspected_at",),
    ),
    "EQUIPMENT_REPAIRED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("equipmentId", parse_uuid),
            Field("description", parse_text(TEXT_MAX)),
            Field("repairedAt", parse_datetime),
            Field("partsReplaced", parse_text(TEXT_MAX, required=False), required=False),
        ),
        times=("repaired_at",),
    ),
    "NOTES_ADDED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("notes", parse_text(NOTES_MAX)),
            Field("recordedAt", parse_datetime),
        ),
        times=("recorded_at",),
    ),
    "PHOTO_ATTACHED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("photoId", parse_uuid),
            Field("takenAt", parse_datetime),
            Field("equipmentId", parse_uuid, required=False),
            Field("caption", parse_text(500, required=False), required=False),
        ),
        times=("taken_at",),
    ),
    "WELL_STATUS_CHANGED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("status", parse_choice(WellStatus.values)),
            Field("changedAt", parse_datetime),
            Field("reason", parse_text(TEXT_MAX, required=False), required=False),
            Field("baseVersion", lambda v: _positive_int(v), required=False),
        ),
        times=("changed_at",),
    ),
}
EVENT_TYPES = tuple(SCHEMAS)

# The keys of an event on the wire (API.md section 6). ``correctsEventId`` makes the event a
# correction of an earlier event of the same type and well (sync.rules.corrections).
EVENT_KEYS = frozenset({"id", "type", "occurredAt", "payload", "userId", "correctsEventId"})
CORRECTS_EVENT_ID = "correctsEventId"


def parse_corrects_event_id(raw: dict, *, event_id: uuid.UUID | None = None) -> uuid.UUID | None:
    """The event id a correction names (None: not a correction); Invalid when it is not a UUID or
    names the event itself."""
    value = raw.get(CORRECTS_EVENT_ID)
    if value is None:
        return None
    target = parse_uuid(value)
    if event_id is not None and target == event_id:
        raise Invalid("an event cannot correct itself")
    return target


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > 2**31:
        raise Invalid("must be a positive integer")
    return value


def validate_event_payload(event_type: str, payload: Any, *, now: datetime | None = None,
                           today: date | None = None):
    """Check a payload against its type's schema: (cleaned, errors).

    ``now`` bounds times (10 minutes of tolerance); ``today`` bounds dates such as productionDate:
    the server passes the tenant's date, the field client its own. Without it, a date after today
    everywhere on Earth (config.dates.latest_date) is refused."""
    schema = SCHEMAS.get(event_type)
    if schema is None:
        return {}, {"type": [f"unknown event type; one of {', '.join(EVENT_TYPES)}"]}
    if not isinstance(payload, dict):
        return {}, {"payload": ["must be an object"]}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    known = {f.wire for f in schema.fields}
    unknown = sorted(str(k)[:60] for k in payload if k not in known)
    if unknown:
        errors["payload"] = [f"unknown field(s): {', '.join(unknown[:10])}"]
    for spec in schema.fields:
        if spec.wire not in payload or payload[spec.wire] is None:
            if spec.required:
                errors[spec.wire] = ["is required"]
            continue
        try:
            cleaned[spec.name] = spec.parse(payload[spec.wire])
        except Invalid as exc:
            errors[spec.wire] = [str(exc)]
    for check in schema.checks:
        for key, messages in check(cleaned).items():
            errors.setdefault(key, []).extend(messages)
    wire = {f.name: f.wire for f in schema.fields}
    for name in schema.times:
        moment = cleaned.get(name)
        problem = time_bound_problem(moment, now=now) if moment is not None else None
        if problem:
            errors.setdefault(wire[name], []).append(problem)
    for name in schema.dates:
        day = cleaned.get(name)
        problem = date_bound_problem(day, latest=today or latest_date(now)) if day is not None else None
        if problem:
            errors.setdefault(wire[name], []).append(problem)
    return cleaned, errors


def sniff_image_type(data: bytes) -> str | None:
    """JPEG, PNG or HEIC by the leading bytes, whatever a Content-Type header says."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim",
                                                                     b"heis"):
        return "image/heic"
    return None
