"""What the OpenAPI schema says about sync, generated from the code that enforces it: the event
item schemas (one per type, with its payload) from sync.schemas.SCHEMAS and the intake's event
keys, so the schema and the server never disagree. Loaded by drf-spectacular's postprocessing
hook (config.openapi_views.OPENAPI_SETTINGS), never by a web worker that does not serve the schema.

A payload field's schema is its parser's JSON Schema fragment (sync.schemas, assembled by
sync.json_schemas, which GET /api/v1/sync/schemas serves whole, cross-field rules included), said
the OpenAPI 3.0 way."""

from __future__ import annotations

from typing import Any

from config.dates import date_not_after_pattern, digits_range  # noqa: F401 (digits_range: tests)

from . import json_schemas, schemas
from .schemas import EVENT_KEYS

TIME_BOUNDS = ("Between 1900-01-01T00:00:00Z and 10 minutes from now (server clock); JSON Schema cannot say "
               "this for a date-time, the server checks it.")
DATE_BOUNDS = "From 1900-01-01; not after today in the tenant's time zone where the field says so."

def openapi_fragment(fragment: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema 2020-12 fragment (sync.json_schemas) as OpenAPI 3.0 says it: nullable for a
    null type, exclusive bounds as flags, const as a one-value enum, no x- keywords."""
    out: dict[str, Any] = {}
    fragment = dict(fragment)
    for bound in ("minimum", "maximum"):  # OpenAPI 3.0 has one bound each way: the tighter one
        exclusive = f"exclusive{bound.title()}"
        if bound in fragment and exclusive in fragment:
            del fragment[exclusive]
    for key, value in fragment.items():
        if key.startswith("x-"):
            continue
        if key == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            out["type"] = kinds[0]
            if "null" in value:
                out["nullable"] = True
        elif key == "enum":
            out["enum"] = [choice for choice in value if choice is not None]
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            out[key.removeprefix("exclusive").lower()] = value
            out[key] = True
        elif key == "const":
            out["enum"] = [value]
        elif key in ("anyOf", "allOf", "oneOf"):
            branches = [b for b in value if b != {"type": "null"}]
            if len(branches) < len(value):
                out["nullable"] = True
            out[key] = [openapi_fragment(b) for b in branches]
        elif key in ("not", "items"):
            out[key] = openapi_fragment(value)
        else:
            out[key] = value
    return out


def field_schema(spec: schemas.Field, schema: schemas.PayloadSchema) -> dict[str, Any]:
    """The OpenAPI schema of one payload field: its parser's JSON Schema fragment."""
    out = openapi_fragment(json_schemas.field_schema(spec, schema))
    if out.get("format") == "date":
        out["description"] = DATE_BOUNDS
    elif out.get("format") == "date-time":
        out["description"] = "RFC 3339 with an offset. " + TIME_BOUNDS
    return out


def payload_schema(event_type: str) -> dict[str, Any]:
    spec = schemas.SCHEMAS[event_type]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.wire: field_schema(f, spec) for f in spec.fields},
        "required": [f.wire for f in spec.fields if f.required],
        "description": " ".join([
            "GET /api/v1/sync/schemas serves this payload as JSON Schema 2020-12 with its cross-field rules "
            "(a unit per product or reading type, bounds per unit, a run ticket's fields per kind) as if/then, "
            "and in x-serverChecks what only the server checks.",
            *(check.server_note for check in spec.checks if check.server_note)]),
    }


_EVENT_KEY_DESCRIPTIONS = {
    "id": {"description": "Chosen by the device; the idempotency key."},
    "occurredAt": {"description": TIME_BOUNDS},
    "userId": {"description": "When present, the authenticated user's id (else user_mismatch)."},
    "correctsEventId": {"description": "Makes this event a correction of an earlier event (same type, same well) "
                                       "sent by the same user, or by anyone when a MANAGER/ADMIN sends it: the "
                                       "key is decided again with these values whatever the strategy, the "
                                       "corrected record stays as superseded. The target may arrive later (the "
                                       "correction waits for it). Rejected correction_target_unknown or "
                                       "correction_forbidden."},
}


def event_schema(event_type: str) -> dict[str, Any]:
    envelope = json_schemas.event_json_schema(event_type)["properties"]
    properties = {key: openapi_fragment(envelope[key]) | _EVENT_KEY_DESCRIPTIONS.get(key, {})
                  for key in sorted(EVENT_KEYS - {"type", "payload"})}
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
