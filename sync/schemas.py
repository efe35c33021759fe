"""Event payload schemas (API.md section 7): one definition, used by the server's intake and by
the field client's local validation alike. Plain Python (no database, no settings), so the
client can import it as it is.

``validate_event_payload(type, payload)`` returns ``(cleaned, errors)``: ``cleaned`` holds typed
values (Decimal, date, datetime, UUID) under snake_case keys, ``errors`` maps camelCase field
names to messages. Whether the well exists and is on the user's route is the server's business.

Each parser says what it takes as a JSON Schema fragment, each cross-field check as if/then rules
or a note (``with_schema``, ``cross_field``): sync.json_schemas assembles them for
GET /api/v1/sync/schemas, so the field web app validates with what the server validates with.

Dates and times lie between 1900-01-01 and 10 minutes from now (config.dates); a productionDate
is not after ``today`` (the tenant's date on the server, the device's on the field client);
volumes and readings stay within what a field produces and a gauge reads (wells.domain bounds).
"""

from __future__ import annotations

import functools
import math
import re
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

from .schema_fragments import (  # noqa: F401 (re-exported: sync.json_schemas, tests)
    BLANK_PATTERN,
    DATE_PATTERN,
    DATE_TIME_PATTERN,
    END,
    FROM_1900_PATTERN,
    MAX_DECIMAL,
    MESSAGE,
    NO_NUL_PATTERN,
    OFFSET_PATTERN,
    UUID_PATTERN,
    WHITE_SPACE,
    bounds_per,
    choices_per,
    cross_field,
    decimal_schema,
    when,
    with_schema,
)

# Wire limits (API.md section 6): a batch request, and a photo upload.
MAX_EVENTS = 5_000
MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024

NOTES_MAX = 10_000
TEXT_MAX = 10_000


class Invalid(ValueError):
    pass


# ------------------------------------------------------------------------- field parsers
#
# Every parser carries ``json_schema`` (with_schema), the fragment of what it takes (patterns and
# helpers: sync.schema_fragments); a Field refuses a parser without one, so a field cannot be
# added without its schema. Each cross-field check says its if/then rules or a note (cross_field).
# The shape parse_datetime reads (any year and offset: their bounds have messages of their own).
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
                      r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UUID = re.compile(UUID_PATTERN[1:-len(END)])
DATE_TIME_MESSAGE = "must be an RFC 3339 timestamp with offset, e.g. 2026-11-26T14:03:00Z"

@with_schema({"type": "string", "pattern": UUID_PATTERN, "format": "uuid",
              MESSAGE: {"type": "must be a UUID string", "pattern": "must be a UUID", "format": "must be a UUID"}})
def parse_uuid(value: Any) -> uuid.UUID:
    """The canonical form (8-4-4-4-12 hexadecimal digits) only: uuid.UUID alone also takes braces,
    "urn:uuid:", a sign and underscores, which no schema (or client) would think a UUID.

    A batch names the same few wells, tanks and pieces of equipment again and again: their ids are
    parsed once (a UUID is immutable, so sharing one is safe). An id seen once, such as an event's
    own, is parsed by ``parse_new_uuid`` and stays out of the cache."""
    if not isinstance(value, str):
        raise Invalid("must be a UUID string")
    return _parse_cached(value)


def parse_new_uuid(value: Any) -> uuid.UUID:
    """parse_uuid for an id that will not come again (an event's own id): not cached."""
    if not isinstance(value, str):
        raise Invalid("must be a UUID string")
    return _parse_canonical(value)


def _parse_canonical(value: str) -> uuid.UUID:
    if not _UUID.fullmatch(value):
        raise Invalid("must be a UUID")
    return uuid.UUID(value)


_parse_cached = functools.lru_cache(maxsize=2_048)(_parse_canonical)  # an Invalid is raised, not cached


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


def decimal_field(minimum: str | None = None, maximum: str | None = None, places: str = "0.001"
                  ) -> Callable[[Any], Decimal]:
    """parse_decimal within [minimum, maximum], kept to ``places`` (a level in sixteenths of an
    inch and a meter factor need 4 decimals, parse_decimal keeps 3)."""
    low = Decimal(minimum) if minimum is not None else None
    high = Decimal(maximum) if maximum is not None else None

    @with_schema(decimal_schema(low, high, places))
    def parse(value: Any) -> Decimal:
        parse_decimal(value, minimum=low, maximum=high)  # the checks and their messages
        return Decimal(str(value)).quantize(Decimal(places))

    parse.places = Decimal(places)
    return parse


@with_schema({"type": "string", "minLength": 10, "maxLength": 10, "pattern": DATE_PATTERN, "format": "date",
              "allOf": [{"pattern": FROM_1900_PATTERN, MESSAGE: {"pattern": "must be on or after 1900-01-01"}}],
              MESSAGE: {"type": "must be a date YYYY-MM-DD", "minLength": "must be a date YYYY-MM-DD",
                        "maxLength": "must be a date YYYY-MM-DD", "pattern": "must be a valid date YYYY-MM-DD",
                        "format": "must be a valid date YYYY-MM-DD"}})
def parse_date(value: Any) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise Invalid("must be a date YYYY-MM-DD")
    # The pattern first: date.fromisoformat also reads week dates (2026-W48-4).
    if not _ISO_DATE.fullmatch(value):
        raise Invalid("must be a valid date YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise Invalid("must be a valid date YYYY-MM-DD") from None
    problem = date_bound_problem(parsed, latest=NO_LATER_BOUND_DATE)  # "today": see validate_event_payload
    if problem:
        raise Invalid(problem)
    return parsed


@with_schema({"type": "string", "pattern": DATE_TIME_PATTERN, "format": "date-time",
              "allOf": [{"pattern": FROM_1900_PATTERN, MESSAGE: {"pattern": "must be on or after 1900-01-01T00:00:00Z"}},
                        {"pattern": OFFSET_PATTERN,
                         MESSAGE: {"pattern": "needs a time zone offset between -12:00 and +14:00"}}],
              MESSAGE: {"type": DATE_TIME_MESSAGE, "pattern": DATE_TIME_MESSAGE, "format": DATE_TIME_MESSAGE}})
def parse_datetime(value: Any) -> datetime:
    """RFC 3339 with an offset ("Z" or "+hh:mm"); naive times are refused, and so are the other
    shapes datetime.fromisoformat reads (a space for the T, week dates, "+0000", no seconds)."""
    if not isinstance(value, str) or not 19 <= len(value) <= 40 or not _RFC3339.fullmatch(value):
        raise Invalid(DATE_TIME_MESSAGE)
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(DATE_TIME_MESSAGE) from None
    problem = time_bound_problem(moment, latest=NO_LATER_BOUND_TIME)  # "now": see validate_event_payload
    if problem:
        raise Invalid(problem)
    return moment


def parse_choice(choices: list[str]) -> Callable[[Any], str]:
    choices = list(choices)
    message = f"must be one of {', '.join(choices)}"

    @with_schema({"type": "string", "enum": choices, MESSAGE: {"type": message, "enum": message}})
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise Invalid(message)
        return value

    return parse


def parse_text(max_length: int, *, required: bool = True) -> Callable[[Any], str]:
    fragment: dict[str, Any] = {
        "type": "string", "maxLength": max_length, "pattern": NO_NUL_PATTERN,
        MESSAGE: {"type": "must be a string", "pattern": "must not contain NUL characters",
                  "maxLength": f"must be at most {max_length:,} characters"}}
    if required:  # not blank: one character that is not white space
        fragment.update(minLength=1, **{"not": {"type": "string", "pattern": BLANK_PATTERN}})
        fragment[MESSAGE].update(minLength="must not be empty", **{"not": "must not be empty"})

    @with_schema(fragment)
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

    def __post_init__(self):
        if not isinstance(getattr(self.parse, "json_schema", None), dict):
            raise TypeError(f"{self.wire}: its parser has no json_schema (see with_schema)")

    @functools.cached_property  # computed once: intake asks for it for every field of every event
    def name(self) -> str:  # snake_case name in cleaned data
        out = []
        for ch in self.wire:
            out.append("_" + ch.lower() if ch.isupper() else ch)
        return "".join(out)


@dataclass(frozen=True)
class PayloadSchema:
    fields: tuple[Field, ...]
    # Cross-field checks on the cleaned values: return {wireName: [message]} problems. Each says
    # what JSON Schema it stands for (cross_field): if/then rules, or a note of what only the
    # server checks (x-serverChecks), or both.
    checks: tuple[Callable[[dict], dict[str, list[str]]], ...] = field(default_factory=tuple)
    # Times that must not lie in the future (cleaned names).
    times: tuple[str, ...] = ()
    # Dates that must not be after today (cleaned names).
    dates: tuple[str, ...] = ()

    def __post_init__(self):
        for check in self.checks:
            if getattr(check, "json_schema", None) is None and not getattr(check, "server_note", None):
                raise TypeError(f"{check.__name__}: a cross-field check needs its json_schema or server_note")

    def field(self, wire: str) -> Field:
        return next(f for f in self.fields if f.wire == wire)

    # Computed once (intake validates every event of a batch against its type's schema).
    @functools.cached_property
    def wire_names(self) -> frozenset[str]:
        return frozenset(f.wire for f in self.fields)

    @functools.cached_property
    def parsers(self) -> tuple[tuple[str, str, Callable[[Any], Any], bool], ...]:
        """(wire name, cleaned name, parser, required) of every field."""
        return tuple((f.wire, f.name, f.parse, f.required) for f in self.fields)

    @functools.cached_property
    def wire_of(self) -> dict[str, str]:
        """Cleaned name -> wire name."""
        return {f.name: f.wire for f in self.fields}


# ------------------------------------------------------------------------- cross-field rules

def kind_fields_rules(check: Callable, schema: PayloadSchema) -> list[dict]:
    out = []
    for kind in TICKET_KINDS:
        needed, other = (TANK_FIELDS, LACT_FIELDS) if kind == "TANK" else (LACT_FIELDS, TANK_FIELDS)
        required = [_WIRE[name] for name in needed]
        properties = {wire: {"not": {"type": "null"}, MESSAGE: {"not": f"is required for a {kind} ticket"}}
                      for wire in required}
        properties.update({_WIRE[name]: {"type": "null", MESSAGE: {"type": f"is not part of a {kind} ticket"}}
                           for name in other})
        out.append({"if": when(kind=kind), "then": {
            "required": required, "properties": properties, MESSAGE: {"required": f"is required for a {kind} ticket"}}})
    return out


@cross_field(json_schema=choices_per("product", "unit", PRODUCT_UNITS))
def _production_unit(cleaned: dict) -> dict[str, list[str]]:
    product, unit = cleaned.get("product"), cleaned.get("unit")
    if product and unit and unit not in PRODUCT_UNITS[product]:
        return {"unit": [f"{product} is measured in {' or '.join(PRODUCT_UNITS[product])}"]}
    return {}


@cross_field(json_schema=choices_per("readingType", "unit", READING_UNITS))
def _reading_unit(cleaned: dict) -> dict[str, list[str]]:
    kind, unit = cleaned.get("reading_type"), cleaned.get("unit")
    if kind and unit and unit not in READING_UNITS[kind]:
        return {"unit": [f"{kind} is measured in {', '.join(READING_UNITS[kind])}"]}
    return {}


@cross_field(json_schema=bounds_per("volume", [{"product": str(p), "unit": u}
                                               for p, units in PRODUCT_UNITS.items() for u in units]))
def _production_volume(cleaned: dict) -> dict[str, list[str]]:
    product, unit, volume = cleaned.get("product"), cleaned.get("unit"), cleaned.get("volume")
    problem = production_volume_problem(product, volume, unit) if product and unit and volume is not None else None
    return {"volume": [problem]} if problem else {}


@cross_field(json_schema=bounds_per("value", [{"readingType": str(k), "unit": u}
                                              for k, units in READING_UNITS.items() for u in units]))
def _reading_value(cleaned: dict) -> dict[str, list[str]]:
    kind, unit, value = cleaned.get("reading_type"), cleaned.get("unit"), cleaned.get("value")
    problem = reading_value_problem(kind, value, unit) if kind and unit and value is not None else None
    return {"value": [problem]} if problem else {}


# ------------------------------------------------------------------------- tanks (API.md section 13)

LEVEL_UNITS = ["IN", "FT", "M"]
# The tallest tank a level may name: 100 ft (wells.strapping.MAX_HEIGHT_INCHES), in each unit.
LEVEL_MAX = {"IN": Decimal(1200), "FT": Decimal(100), "M": Decimal("30.48")}
TICKET_KINDS = ["TANK", "LACT"]
TANK_FIELDS = ("opening_level", "closing_level", "unit")
LACT_FIELDS = ("opening_totalizer_bbl", "closing_totalizer_bbl", "meter_factor")
SEAL_SEPARATOR = "\n"  # seals are a list on the wire, one text in a cleaned payload (cleaned_json stores scalars)
SEALS_MAX = 20
_WIRE = {"opening_level": "openingLevel", "closing_level": "closingLevel", "unit": "unit",
         "opening_totalizer_bbl": "openingTotalizerBbl", "closing_totalizer_bbl": "closingTotalizerBbl",
         "meter_factor": "meterFactor"}


def _level_bound(name: str, unit_name: str = "unit") -> Callable[[dict], dict[str, list[str]]]:
    wire = _WIRE.get(name, "level")

    @cross_field(json_schema=bounds_per(wire, [{"unit": unit} for unit in LEVEL_UNITS]))
    def check(cleaned: dict) -> dict[str, list[str]]:
        level, unit = cleaned.get(name), cleaned.get(unit_name)
        if level is not None and unit in LEVEL_MAX and level > LEVEL_MAX[unit]:
            return {wire: [f"must be <= {LEVEL_MAX[unit]} {unit} (a 100 ft tank)"]}
        return {}

    return check


@cross_field(json_schema=kind_fields_rules,
             server_note="A TANK ticket's closingLevel is not above its openingLevel; a LACT ticket's "
                         "closingTotalizerBbl is not below its openingTotalizerBbl.")
def _ticket_kind_fields(cleaned: dict) -> dict[str, list[str]]:
    kind = cleaned.get("kind")
    if kind not in TICKET_KINDS:
        return {}
    needed, other = (TANK_FIELDS, LACT_FIELDS) if kind == "TANK" else (LACT_FIELDS, TANK_FIELDS)
    problems: dict[str, list[str]] = {}
    for name in needed:
        if cleaned.get(name) is None:
            problems[_WIRE[name]] = [f"is required for a {kind} ticket"]
    for name in other:
        if cleaned.get(name) is not None:
            problems[_WIRE[name]] = [f"is not part of a {kind} ticket"]
    if kind == "TANK" and not problems and cleaned["closing_level"] > cleaned["opening_level"]:
        problems["closingLevel"] = ["must not be above openingLevel: nothing left the tank"]
    if kind == "LACT" and not problems and cleaned["closing_totalizer_bbl"] < cleaned["opening_totalizer_bbl"]:
        problems["closingTotalizerBbl"] = ["must not be below openingTotalizerBbl"]
    return problems


DISPOSITION_MESSAGE = ("must be an RRC oil disposition code from 0 to 9 (0 pipeline, 1 truck, 2 tank car or barge, "
                       "...; wells/rrc.py)")


@with_schema({"anyOf": [{"type": "string", "pattern": "^0?[0-9]" + END}, {"type": "integer", "minimum": 0,
                                                                        "maximum": 9}],
              MESSAGE: {"anyOf": DISPOSITION_MESSAGE}})
def parse_disposition(value: Any) -> str:
    """The RRC disposition code of a run ticket: how the oil left the lease, one of the oil codes 0
    to 9 of Form PR ("0" pipeline, "1" truck, ...; the table is wells/rrc.py), as text ("1" or the
    RRC data's "01") or a number (1.0 is the number 1, as JSON Schema and JavaScript have it)."""
    if isinstance(value, float) and value.is_integer() and 0 <= value < 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if (not isinstance(value, str) or not value.isascii() or not value.isdigit() or not 1 <= len(value) <= 2
            or int(value) > 9):
        raise Invalid(DISPOSITION_MESSAGE)
    return value


_SEAL_CHARACTER = "[^\\u0000\\n\\r]"
SEAL_MESSAGE = "each seal number is text of 1 to 40 characters on one line"


@with_schema({"type": "array", "maxItems": SEALS_MAX,
              "items": {"type": "string", "minLength": 1, "maxLength": 40,
                        "pattern": f"^{_SEAL_CHARACTER}*[^\\u0000\\n\\r{WHITE_SPACE}]{_SEAL_CHARACTER}*{END}",
                        MESSAGE: {k: SEAL_MESSAGE for k in ("type", "minLength", "maxLength", "pattern")}},
              MESSAGE: {"type": f"must be a list of at most {SEALS_MAX} seal numbers",
                        "maxItems": f"must be a list of at most {SEALS_MAX} seal numbers"}})
def parse_seals(value: Any) -> str:
    if not isinstance(value, list) or len(value) > SEALS_MAX:
        raise Invalid(f"must be a list of at most {SEALS_MAX} seal numbers")
    seals = []
    for seal in value:
        if not isinstance(seal, str) or not seal.strip() or len(seal) > 40 or any(c in seal for c in "\x00\n\r"):
            raise Invalid(SEAL_MESSAGE)
        seals.append(seal.strip())
    return SEAL_SEPARATOR.join(seals)


def seals_list(cleaned_value: str | None) -> list[str]:
    return [seal for seal in (cleaned_value or "").split(SEAL_SEPARATOR) if seal]


_TEMPERATURE = decimal_field("-58", "302")  # the range of API MPMS 11.1 for crude oil
_PERCENT = decimal_field("0", "100")
_LEVEL = decimal_field("0", "1200", "0.0001")


# A level as a pumper reads a gauge line: "12ft 4-1/4in", "12' 4 1/4\"", "148.25in", "12.5 ft", "3.2m".
_FEET_INCHES = re.compile(
    r"^\s*(?:(?P<feet>\d{1,3})\s*(?:ft|feet|foot|')\s*)?"
    r"(?:(?P<inches>\d{1,4}(?:\.\d{1,4})?)?(?:(?:\s+|-)?(?P<num>\d{1,2})/(?P<den>\d{1,2}))?\s*(?:in|inch|inches|\"))?\s*$",
    re.IGNORECASE)
_SINGLE = re.compile(r"^\s*(?P<value>\d{1,5}(?:\.\d{1,4})?)\s*(?P<unit>in|inch|inches|\"|ft|feet|foot|'|m|metres|meters)?\s*$",
                     re.IGNORECASE)
_UNIT_WORDS = {"in": "IN", "inch": "IN", "inches": "IN", '"': "IN", "ft": "FT", "feet": "FT", "foot": "FT",
               "'": "FT", "m": "M", "metres": "M", "meters": "M"}


def parse_gauge_level(text: str, *, unit: str | None = None) -> tuple[Decimal, str]:
    """A gauge reading as typed → (level, unit) for TANK_GAUGED. Feet with inches and quarters
    ("12ft 4-1/4in", "12' 4 1/4\"") become inches (148.25 IN); a single value keeps its unit
    ("148.25in", "12.5ft", "3.2m"); a bare number takes ``unit``. Invalid with a message saying
    what a level looks like otherwise."""
    hint = 'write a level as 12ft 4-1/4in, 148.25in, 12.5ft or 3.2m'
    if not isinstance(text, str) or not text.strip() or len(text) > 40:
        raise Invalid(f"no level given: {hint}")
    single = _SINGLE.match(text)
    if single:
        value = Decimal(single["value"])
        chosen = _UNIT_WORDS[single["unit"].lower()] if single["unit"] else (unit or "").upper()
        if chosen not in LEVEL_UNITS:
            raise Invalid(f"{text.strip()!r} has no unit: {hint} (or give the unit)")
    else:
        match = _FEET_INCHES.match(text)
        if not match or (match["feet"] is None and match["inches"] is None and match["num"] is None):
            raise Invalid(f"{text.strip()!r} is not a gauge level: {hint}")
        inches = Decimal(match["inches"] or 0)
        if match["num"] is not None:
            numerator, denominator = int(match["num"]), int(match["den"])
            if denominator not in (2, 4, 8, 16) or not 0 < numerator < denominator:
                raise Invalid(f"{match['num']}/{match['den']} is not a fraction of an inch a gauge line shows "
                              "(halves, quarters, eighths, sixteenths)")
            inches += Decimal(numerator) / Decimal(denominator)
        if match["feet"] is not None and inches >= 12:
            raise Invalid(f"{text.strip()!r}: the inches after feet must be under 12")
        value, chosen = Decimal(match["feet"] or 0) * 12 + inches, "IN"
    if value > LEVEL_MAX[chosen]:
        raise Invalid(f"{text.strip()!r} is above {LEVEL_MAX[chosen]} {chosen.lower()} (a 100 ft tank)")
    return value, chosen


@with_schema({"type": "integer", "minimum": 1, "maximum": 2**31,
              MESSAGE: {k: "must be a positive integer" for k in ("type", "minimum", "maximum")}})
def _positive_int(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():  # 3.0 is the integer 3 in JSON Schema and JavaScript
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > 2**31:
        raise Invalid("must be a positive integer")
    return value


_ANY_PRODUCTION_UNIT = sorted({u for units in PRODUCT_UNITS.values() for u in units})
_ANY_READING_UNIT = sorted({u for units in READING_UNITS.values() for u in units})

SCHEMAS: dict[str, PayloadSchema] = {
    "WELL_READING_RECORDED": PayloadSchema(
        fields=(
            Field("wellId", parse_uuid),
            Field("readingType", parse_choice(ReadingType.values)),
            Field("value", decimal_field()),
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
            Field("volume", decimal_field("0")),
            Field("unit", parse_choice(_ANY_PRODUCTION_UNIT)),
            Field("downtimeHours", decimal_field("0", "24"), required=False),
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
            Field("baseVersion", _positive_int, required=False),
        ),
        times=("changed_at",),
    ),
    "TANK_GAUGED": PayloadSchema(
        fields=(
            Field("tankId", parse_uuid),
            Field("level", _LEVEL),
            Field("unit", parse_choice(LEVEL_UNITS)),
            Field("gaugedAt", parse_datetime),
            Field("temperatureF", _TEMPERATURE, required=False),
            Field("bswPercent", _PERCENT, required=False),
            Field("notes", parse_text(NOTES_MAX, required=False), required=False),
        ),
        checks=(_level_bound("level"),),
        times=("gauged_at",),
    ),
    "RUN_TICKET_RECORDED": PayloadSchema(
        fields=(
            Field("ticketNumber", parse_text(40)),
            Field("tankId", parse_uuid),
            Field("kind", parse_choice(TICKET_KINDS)),
            Field("closedAt", parse_datetime),
            Field("observedGravityApi", decimal_field("-10", "100")),
            Field("observedTemperatureF", _TEMPERATURE),
            Field("bswPercent", _PERCENT),
            Field("disposition", parse_disposition),
            Field("openingLevel", _LEVEL, required=False),
            Field("closingLevel", _LEVEL, required=False),
            Field("unit", parse_choice(LEVEL_UNITS), required=False),
            Field("openingTotalizerBbl", decimal_field("0", "99999999"), required=False),
            Field("closingTotalizerBbl", decimal_field("0", "99999999"), required=False),
            Field("meterFactor", decimal_field("0.9", "1.1", "0.0001"), required=False),
            Field("purchaser", parse_text(200, required=False), required=False),
            Field("sealsRemoved", parse_seals, required=False),
            Field("sealsInstalled", parse_seals, required=False),
            Field("notes", parse_text(NOTES_MAX, required=False), required=False),
        ),
        checks=(_ticket_kind_fields, _level_bound("opening_level"), _level_bound("closing_level")),
        times=("closed_at",),
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
    if not schema.wire_names.issuperset(payload):
        unknown = sorted(str(k)[:60] for k in payload if k not in schema.wire_names)
        errors["payload"] = [f"unknown field(s): {', '.join(unknown[:10])}"]
    for wire_name, name, parse, required in schema.parsers:
        value = payload.get(wire_name)
        if value is None:
            if required:
                errors[wire_name] = ["is required"]
            continue
        try:
            cleaned[name] = parse(value)
        except Invalid as exc:
            errors[wire_name] = [str(exc)]
    for check in schema.checks:
        for key, messages in check(cleaned).items():
            errors.setdefault(key, []).extend(messages)
    wire = schema.wire_of
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
