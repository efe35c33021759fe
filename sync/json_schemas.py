"""The event schemas as JSON Schema draft 2020-12 (API.md section 17: ``GET /api/v1/sync/schemas``),
assembled from sync.schemas: each field's fragment is its parser's ``json_schema``, each cross-field
rule its check's if/then rules, and what JSON Schema cannot say (a time's "now", a date's "today"
in the tenant's time zone, comparisons between two fields, the route) is listed in
``x-serverChecks``. Plain Python, no Django, like sync.schemas.

Keywords beyond JSON Schema, which a validator that does not know them ignores:
``x-errorMessages`` (keyword -> the server's message for it), ``x-notAfter`` ("now+600s" for a time,
"today" for a date: checked by the server, and by a client against its own clock),
``x-step`` (the resolution a number is kept to), ``x-errorKey`` (the name the server gives errors
of the object itself: unknown keys), ``x-serverChecks``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from typing import Any

from . import schemas
from .schemas import EVENT_TYPES, MESSAGE, SCHEMAS, Field, PayloadSchema

DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOT_AFTER_NOW = "now+600s"
NOT_AFTER_TODAY = "today"

COMMON_SERVER_CHECKS = [
    "Times lie between 1900-01-01T00:00:00Z and 10 minutes from now on the server's clock (x-notAfter "
    "\"now+600s\"; the pattern only asks for a year from 1900, which an offset can still put before it).",
    "A number may also be sent as a JSON string (older clients); the server reads it, the schema asks for a "
    "number.",
    "Text holds no lone surrogate (UTF-16 halves).",
    "wellId, tankId and equipmentId name a well, tank or equipment on the sender's route; photoId a photo "
    "(uploaded before or after).",
]
ENVELOPE_SERVER_CHECKS = [
    "correctsEventId names an earlier event of the same type and well (or tank), not the event itself, sent "
    "by the same user or by a MANAGER/ADMIN (correction_target_unknown, correction_forbidden).",
    "userId, when present, is the authenticated user (user_mismatch).",
    "The same id with other content is event_id_reused.",
]
DATE_SERVER_CHECK = "{wire} is not after today in the tenant's time zone (x-notAfter \"today\": the device's date)."


def field_schema(spec: Field, schema: PayloadSchema) -> dict[str, Any]:
    """One payload field: its parser's fragment; an optional field also takes null (taken as absent)."""
    out = copy.deepcopy(spec.parse.json_schema)
    if spec.name in schema.times:
        out["x-notAfter"] = NOT_AFTER_NOW
        out[MESSAGE]["x-notAfter"] = "is more than 10 minutes in the future"
    if spec.name in schema.dates:
        out["x-notAfter"] = NOT_AFTER_TODAY
        out[MESSAGE]["x-notAfter"] = "must not be in the future (after {today})"  # {today}: the date compared
    if not spec.required:
        out = _nullable(out)
    return out


def _nullable(fragment: dict) -> dict:
    if "anyOf" in fragment:
        fragment["anyOf"] = [{"type": "null"}, *fragment["anyOf"]]
        return fragment
    fragment["type"] = [fragment["type"], "null"]
    if "enum" in fragment:
        fragment["enum"] = [*fragment["enum"], None]
    return fragment  # "not" (not blank) asks for a string inside, so null passes it


def payload_json_schema(event_type: str) -> dict[str, Any]:
    schema = SCHEMAS[event_type]
    out: dict[str, Any] = {
        "type": "object",
        "properties": {f.wire: field_schema(f, schema) for f in schema.fields},
        "required": [f.wire for f in schema.fields if f.required],
        "additionalProperties": False,
        "x-errorKey": "payload",
        MESSAGE: {"type": "must be an object", "required": "is required", "additionalProperties": "unknown field(s)"},
    }
    rules = [rule for check in schema.checks if check.json_schema for rule in check.json_schema(schema)]
    if rules:
        out["allOf"] = rules
    notes = [check.server_note for check in schema.checks if check.server_note]
    notes += [DATE_SERVER_CHECK.format(wire=f.wire) for f in schema.fields if f.name in schema.dates]
    out["x-serverChecks"] = notes + COMMON_SERVER_CHECKS
    return out


def _envelope_field(parse, *, required: bool, not_after_now: bool = False) -> dict[str, Any]:
    out = copy.deepcopy(parse.json_schema)
    if not_after_now:
        out["x-notAfter"] = NOT_AFTER_NOW
        out[MESSAGE]["x-notAfter"] = "is more than 10 minutes in the future"
    return out if required else _nullable(out)


def event_json_schema(event_type: str) -> dict[str, Any]:
    """One event as pushed in a batch (API.md section 6): the envelope and its payload."""
    properties = {
        "id": _envelope_field(schemas.parse_uuid, required=True),
        "type": {"const": event_type, MESSAGE: {"const": f"must be {event_type}"}},
        "occurredAt": _envelope_field(schemas.parse_datetime, required=True, not_after_now=True),
        "payload": payload_json_schema(event_type),
        "userId": _envelope_field(schemas.parse_uuid, required=False),
        schemas.CORRECTS_EVENT_ID: _envelope_field(schemas.parse_uuid, required=False),
    }
    assert set(properties) == schemas.EVENT_KEYS, "sync.schemas.EVENT_KEYS and the envelope disagree"
    return {
        "$schema": DIALECT,
        "title": event_type,
        "type": "object",
        "properties": properties,
        "required": ["id", "type", "occurredAt", "payload"],
        "additionalProperties": False,
        "x-errorKey": "event",
        MESSAGE: {"type": "must be a JSON object", "required": "is required", "additionalProperties": "unknown key(s)"},
        "x-serverChecks": ENVELOPE_SERVER_CHECKS,
    }


@functools.cache
def schemas_document() -> tuple[bytes, str]:
    """The body of GET /api/v1/sync/schemas, and its version (a hash of the schemas): the same
    for every tenant and every request of one deployment."""
    documents = {event_type: event_json_schema(event_type) for event_type in EVENT_TYPES}
    canonical = json.dumps(documents, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    version = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    body = json.dumps({"schemas": documents, "version": version}, separators=(",", ":"), ensure_ascii=False)
    return body.encode(), version
