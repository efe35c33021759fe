"""What the OpenAPI schema says about sync, generated from the code that enforces it: the event
item schemas (one per type, with its payload) from sync.schemas.SCHEMAS and the intake's event
keys, so the schema and the server never disagree. Loaded by drf-spectacular's postprocessing
hook (config.openapi_views.OPENAPI_SETTINGS), never by a web worker that does not serve the schema.

A payload field's parser is read for what it checks: the common parsers by identity, choices and
text limits from their closures, number bounds from the parser's own messages (``must be >= 0``)."""

from __future__ import annotations

import inspect
import re
from decimal import Decimal
from typing import Any

from config.dates import date_not_after_pattern, digits_range  # noqa: F401 (digits_range: tests)

from . import schemas
from .schemas import EVENT_KEYS

TIME_BOUNDS = ("Between 1900-01-01T00:00:00Z and 10 minutes from now (server clock); JSON Schema cannot say "
               "this for a date-time, the server checks it.")
DATE_BOUNDS = "From 1900-01-01; not after today in the tenant's time zone where the field says so."

_BOUND = re.compile(r"must be ([<>]=) (-?[0-9.]+)")


def _number(parse) -> dict[str, Any]:
    # OpenAPI 3.0: exclusiveMinimum/Maximum are flags on minimum/maximum.
    out: dict[str, Any] = {"type": "number", "minimum": -float(schemas.MAX_DECIMAL), "exclusiveMinimum": True,
                           "maximum": float(schemas.MAX_DECIMAL), "exclusiveMaximum": True}
    for probe in (-(schemas.MAX_DECIMAL - 1), schemas.MAX_DECIMAL - 1):
        try:
            parse(int(probe))
        except schemas.Invalid as exc:
            match = _BOUND.search(str(exc))
            if match:
                key = "minimum" if match.group(1) == ">=" else "maximum"
                out[key] = float(Decimal(match.group(2)))
                out.pop(f"exclusive{key.title()}")
    return out


def field_schema(spec: schemas.Field) -> dict[str, Any]:
    """The JSON Schema of one payload field, read off its parser."""
    parse = spec.parse
    if parse is schemas.parse_uuid:
        out: dict[str, Any] = {"type": "string", "format": "uuid"}
    elif parse is schemas.parse_date:
        out = {"type": "string", "format": "date", "description": DATE_BOUNDS}
    elif parse is schemas.parse_datetime:
        out = {"type": "string", "format": "date-time", "description": "RFC 3339 with an offset. " + TIME_BOUNDS}
    elif parse is getattr(schemas, "_positive_int", None):
        out = {"type": "integer", "minimum": 1, "maximum": 2**31}
    elif parse is schemas.parse_seals:
        out = {"type": "array", "maxItems": schemas.SEALS_MAX,
               "items": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"^[^\n\r]*\S[^\n\r]*$"}}
    elif parse is schemas.parse_disposition:
        out = {"type": "string", "pattern": "^[0-9]{1,2}$",
               "description": "RRC disposition code: 0 pipeline, 1 truck, ... (a number is taken too)"}
    else:
        closure = inspect.getclosurevars(parse).nonlocals
        if "choices" in closure:
            out = {"type": "string", "enum": list(closure["choices"])}
        elif "max_length" in closure:
            out = {"type": "string", "maxLength": closure["max_length"]}
            if closure.get("required"):
                out.update(minLength=1, pattern=r"\S")
        else:  # parse_decimal, alone or with bounds
            out = _number(parse)
    if not spec.required:
        out["nullable"] = True  # null is taken as absent
    return out


def payload_schema(event_type: str) -> dict[str, Any]:
    spec = schemas.SCHEMAS[event_type]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.wire: field_schema(f) for f in spec.fields},
        "required": [f.wire for f in spec.fields if f.required],
    }


_EVENT_KEY_SCHEMAS = {
    "id": {"type": "string", "format": "uuid", "description": "Chosen by the device; the idempotency key."},
    "occurredAt": {"type": "string", "format": "date-time", "description": TIME_BOUNDS},
    "userId": {"type": "string", "format": "uuid", "nullable": True,
               "description": "When present, the authenticated user's id (else user_mismatch)."},
    "correctsEventId": {"type": "string", "format": "uuid", "nullable": True,
                        "description": "Makes this event a correction of an earlier event (same type, same well) "
                                       "sent by the same user, or by anyone when a MANAGER/ADMIN sends it: the "
                                       "key is decided again with these values whatever the strategy, the "
                                       "corrected record stays as superseded. The target may arrive later (the "
                                       "correction waits for it). Rejected correction_target_unknown or "
                                       "correction_forbidden."},
}


def event_schema(event_type: str) -> dict[str, Any]:
    properties = {key: _EVENT_KEY_SCHEMAS.get(key, {}) for key in sorted(EVENT_KEYS - {"type", "payload"})}
    properties["type"] = {"type": "string", "enum": [event_type]}
    properties["payload"] = payload_schema(event_type)
    return {"type": "object", "title": event_type, "additionalProperties": False, "properties": properties,
            "required": ["id", "type", "occurredAt", "payload"]}


def event_components() -> dict[str, dict]:
    """{"Event<Type>": schema} for every event type (the names the batch's items refer to)."""
    return {f"Event{''.join(part.title() for part in t.split('_'))}": event_schema(t) for t in schemas.EVENT_TYPES}


def postprocess(result: dict, generator=None, request=None, public=None) -> dict:
    """drf-spectacular postprocessing hook: the event item schemas in the batch request, and
    additionalProperties: false on the inputs that refuse unknown fields."""
    from wells.serializers import StrictInput

    components = result.setdefault("components", {}).setdefault("schemas", {})
    events = event_components()
    components.update(events)
    batch = components.get("BatchInputRequest")
    if batch:
        batch["properties"]["events"] = {
            "type": "array", "minItems": 1, "maxItems": schemas.MAX_EVENTS,
            "description": "One event per item. An event that breaks its schema is rejected alone (listed in "
                           "the 202's rejected), never the batch.",
            "items": {"oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in events],
                      "discriminator": {"propertyName": "type", "mapping": {
                          event["properties"]["type"]["enum"][0]: f"#/components/schemas/{name}"
                          for name, event in events.items()}}},
        }
    _dates_not_after_today(components)
    strict = {cls.__name__ for cls in _subclasses(StrictInput)}
    for name, component in components.items():
        bare = name.removeprefix("Patched").removesuffix("Request")
        if bare in strict and name.endswith("Request"):
            component["additionalProperties"] = False
    return result


def _subclasses(cls) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


# ------------------------------------------------------------------ dates not after today


NOT_AFTER_TODAY = "x-not-after-today"


def _dates_not_after_today(components: dict) -> None:
    """A field marked NOT_AFTER_TODAY (wells.serializers.PastDateField) gets today's pattern:
    the schema is generated per request, so its "today" is the server's (UTC)."""
    from django.utils import timezone

    today = timezone.now().date()
    for component in components.values():
        for prop in (component.get("properties") or {}).values():
            earliest_year = prop.pop(NOT_AFTER_TODAY, None)
            if earliest_year:
                prop["pattern"] = date_not_after_pattern(today, int(earliest_year))
