"""A corpus of valid and invalid event payloads per type, built from the schemas themselves (so a
new field is covered without a line here): for each field every value of its kind's pool (and
absent), the values just inside and outside every bound the schema states (the if/then bounds
too), and seeded random mixtures of all of them. The server's validate_event_payload is the
reference; tests/sync/test_json_schemas.py (Python's jsonschema) and tests/sync/test_validate_js.py
(sync/static/field/validate.js in Chromium) hold the schema to it.

Plain data: cases are (event type, payload) with JSON values only (no NaN, no lone surrogates).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sync.json_schemas import payload_json_schema
from sync.schemas import EVENT_TYPES, SCHEMAS, validate_event_payload

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 26)  # the tenant's date at NOW (America/Chicago: 12:00)
ABSENT = object()

U1, U2, U3 = "6f1c2a4e-8b7d-4c3e-9a1f-0d2e3c4b5a69", "0B0C0D0E-1F2A-4B3C-8D4E-5F6A7B8C9D0E", \
    "11111111-2222-4333-8444-555555555555"
T = "2026-11-26T14:03:00Z"

BASES: dict[str, list[dict]] = {
    "WELL_READING_RECORDED": [{"wellId": U1, "readingType": "PRESSURE", "value": 120.5, "unit": "PSI",
                               "recordedAt": T, "equipmentId": U2}],
    "PRODUCTION_LOGGED": [{"wellId": U1, "productionDate": "2026-11-25", "product": "OIL", "volume": 120.5,
                           "unit": "BBL", "downtimeHours": 2, "downtimeReason": "pump down", "recordedAt": T}],
    "EQUIPMENT_INSPECTED": [{"wellId": U1, "equipmentId": U2, "inspectionType": "ROUTINE", "status": "PASS",
                             "inspectedAt": T, "notes": "belt worn"}],
    "EQUIPMENT_REPAIRED": [{"wellId": U1, "equipmentId": U2, "description": "Replaced belt", "repairedAt": T,
                            "partsReplaced": "belt"}],
    "NOTES_ADDED": [{"wellId": U1, "notes": "Gate left open", "recordedAt": T}],
    "PHOTO_ATTACHED": [{"wellId": U1, "photoId": U3, "takenAt": T, "equipmentId": U2, "caption": "Leak"}],
    "WELL_STATUS_CHANGED": [{"wellId": U1, "status": "SHUT_IN", "changedAt": T, "reason": "leak", "baseVersion": 3}],
    "TANK_GAUGED": [{"tankId": U1, "level": 148.25, "unit": "IN", "gaugedAt": T, "temperatureF": 70,
                     "bswPercent": 0.5, "notes": "after run"}],
    "RUN_TICKET_RECORDED": [
        {"ticketNumber": "RT-1001", "tankId": U1, "kind": "TANK", "closedAt": T, "observedGravityApi": 40.1,
         "observedTemperatureF": 60, "bswPercent": 0.2, "disposition": "0", "openingLevel": 150,
         "closingLevel": 20, "unit": "IN", "purchaser": "Plains", "sealsRemoved": ["A1"],
         "sealsInstalled": ["B2", "B3"], "notes": "ok"},
        {"ticketNumber": "RT-1002", "tankId": U1, "kind": "LACT", "closedAt": T, "observedGravityApi": 40.1,
         "observedTemperatureF": 60, "bswPercent": 0.2, "disposition": 1, "openingTotalizerBbl": 1000,
         "closingTotalizerBbl": 1200.5, "meterFactor": 1.0001},
    ],
}
assert set(BASES) == set(EVENT_TYPES)

ANY = [None, True, False, [], {}, "", " ", "x", 0, 1, -1, 2.5]
UUIDS = [U1, U2, U1.upper(), U1.replace("-", ""), "{" + U1 + "}", "urn:uuid:" + U1, U1 + "\n", U1[:-1],
         U1[:-1] + "g", " " + U1, "+" + U1.replace("-", "")[1:]]
DATES = ["2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "1900-01-01", "1899-12-31", "2026-02-29",
         "2024-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "2026-1-01", "2026-W48-4", "20261126",
         "2026-11-26\n", "2026-11-26T00:00:00Z", "0001-01-01", "9999-12-31", "２０２６-11-25"]


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


DATE_TIMES = [
    T, "2026-11-26t14:03:00z", "2026-11-26T14:03:00+00:00", "2026-11-26T08:03:00-06:00",
    "2026-11-26T14:03:00.5Z", "2026-11-26T14:03:00.123456789Z", "2026-11-26T14:03:00.1234567890Z",
    "2026-11-26 14:03:00Z", "2026-11-26T14:03Z", "2026-11-26T14:03:00", "2026-11-26T14:03:00+0000",
    "2026-11-26T14:03:00+14:00", "2026-11-26T14:03:00+14:01", "2026-11-26T14:03:00-12:00",
    "2026-11-26T14:03:00-12:30", "2026-11-26T14:03:00+05:30", "2026-11-26T14:03:00+24:00",
    "2026-11-26T24:00:00Z", "2026-11-26T14:60:00Z", "2026-11-26T14:03:60Z", "2026-02-30T14:03:00Z",
    "2026-W48-4T14:03:00Z", "1899-12-31T23:59:59Z", "1900-01-01T00:00:00Z", "1900-01-01T00:00:00-06:00", "1900-01-01T00:00:00+06:00",
    "0001-01-01T00:00:00Z", T + "\n", " " + T, "2026-11-26T14:03:00,5Z",
    _stamp(NOW + timedelta(minutes=9, seconds=59)), _stamp(NOW + timedelta(minutes=10)),
    _stamp(NOW + timedelta(minutes=10, seconds=1)), _stamp(NOW + timedelta(days=400)),
    "2026-11-26T12:10:00-06:00", "2026-11-26T12:10:01-06:00",
]
WIDE = "\U0001F600"  # one code point, two UTF-16 units: maxLength counts code points


def text_pool(fragment: dict) -> list:
    limit = fragment["maxLength"]
    return ["ok", " padded ", "line\nbreak", "\t", "\u00a0", "\u3000", "\ufeff", "\x1c", "\x85", "a\x00b",
            "\u200b", "x" * limit, "x" * (limit + 1), WIDE * limit, WIDE * (limit + 1), " " * 3 + "\n",
            "é" * limit]


SEALS = [[], ["A1"], ["A1", " B2 "], [" "], [""], ["x" * 40], ["x" * 41], ["a\nb"], ["a\rb"], ["a\x00"],
         ["\u00a0"], [WIDE * 40], [WIDE * 41], [1], [None], "A1", ["S%d" % n for n in range(20)],
         ["S%d" % n for n in range(21)]]
DISPOSITIONS = ["0", "1", "99", "100", "", "-1", "1.0", "a", "٣", "1\n", 0, 1, 99, 100, -1, 1.0, 2.5, True]


def _numbers_around(values: list[float], step: float) -> list:
    out = []
    for value in values:
        for delta in (0, step / 2, step, 1e-9, 1e-4, 1):
            out += [value - delta, value + delta]
    return out


def number_pool(fragment: dict) -> list:
    step = float(fragment.get("x-step", "0.001"))
    bounds = [fragment[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if k in fragment]
    return [*_numbers_around(bounds, step), 0, 1, -1, 0.5, 12.34567, 1e10, 99999999999, 1e11, -1e11, 10**30,
            "12.5", "abc", "1e3", "NaN", "Infinity", " 7 ", True]


def integer_pool(fragment: dict) -> list:
    return [0, 1, 2, 2**31, 2**31 + 1, -1, 1.0, 3.0, 2.5, "3", True, 10**20]


def _kind(fragment: dict) -> str:
    if "anyOf" in fragment:
        return "disposition"
    kinds = fragment["type"] if isinstance(fragment["type"], list) else [fragment["type"]]
    main = next(k for k in kinds if k != "null")
    if main == "string":
        return {"uuid": "uuid", "date": "date", "date-time": "date-time"}.get(fragment.get("format"),
                                                                             "enum" if "enum" in fragment else "text")
    return main  # number, integer, array


def pool(fragment: dict) -> list:
    kind = _kind(fragment)
    if kind == "enum":
        choices = [c for c in fragment["enum"] if c is not None]
        values = choices + [c.lower() for c in choices] + [choices[0] + " "]
    else:
        values = {"uuid": lambda f: UUIDS, "date": lambda f: DATES, "date-time": lambda f: DATE_TIMES,
                  "text": text_pool, "number": number_pool, "integer": integer_pool, "array": lambda f: SEALS,
                  "disposition": lambda f: DISPOSITIONS}[kind](fragment)
    return [*values, *ANY]


def _then_pools(payload_schema: dict) -> list[tuple[dict, str, list]]:
    """(the if's values, a then property, its probes) for every if/then rule."""
    out = []
    for rule in payload_schema.get("allOf", []):
        condition = {k: v["const"] for k, v in rule["if"]["properties"].items()}
        for target, sub in rule["then"].get("properties", {}).items():
            bounds = [sub[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if k in sub]
            step = float(payload_schema["properties"][target].get("x-step", "0.001"))
            probes = _numbers_around(bounds, step) + list(sub.get("enum", [])) + [None, 5]
            out.append((condition, target, probes))
        for target in rule["then"].get("required", []):
            out.append((condition, target, [ABSENT]))
    return out


def _with(base: dict, **changes) -> dict:
    out = dict(base)
    for key, value in changes.items():
        if value is ABSENT:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def cases(random_per_type: int = 400, seed: int = 16) -> list[tuple[str, object]]:
    rng = random.Random(seed)
    out: list[tuple[str, object]] = []
    for event_type in EVENT_TYPES:
        schema = payload_json_schema(event_type)
        pools = {wire: pool(fragment) + [ABSENT] for wire, fragment in schema["properties"].items()}
        for base in BASES[event_type]:
            out.append((event_type, base))
            out.append((event_type, {**base, "unknownField": 1}))
            for wire, values in pools.items():
                out += [(event_type, _with(base, **{wire: value})) for value in values]
            for condition, target, probes in _then_pools(schema):
                for probe in probes:
                    out.append((event_type, _with(base, **condition, **{target: probe})))
            for _ in range(random_per_type):
                changed = rng.sample(sorted(pools), k=rng.randint(1, min(4, len(pools))))
                out.append((event_type, _with(base, **{wire: rng.choice(pools[wire]) for wire in changed})))
    for event_type in EVENT_TYPES:
        out += [(event_type, value) for value in (None, [], "payload", 3, {})]
    return out


def server_fields(event_type: str, payload) -> set[str]:
    return set(validate_event_payload(event_type, payload, now=NOW, today=TODAY)[1])


def is_numeric_text(value) -> bool:
    """A number sent as a JSON string: the server reads it (x-serverChecks says so), the schema asks
    for a number."""
    if not isinstance(value, str):
        return False
    try:
        return Decimal(value).is_finite()
    except ArithmeticError:
        return False


def documented_difference(event_type: str, payload, field: str, in_server: bool) -> str | None:
    """Why the server and the schema may differ on ``field``: one of the x-serverChecks, or None."""
    if not isinstance(payload, dict):
        return None
    schema = SCHEMAS[event_type]
    value = payload.get(field)
    if not in_server and field in {f.wire for f in schema.fields} and is_numeric_text(value):
        spec = schema.field(field)
        if "x-step" in spec.parse.json_schema:
            return "numeric text"
    if in_server:
        errors = validate_event_payload(event_type, payload, now=NOW, today=TODAY)[1].get(field, [])
        if any("must not be above openingLevel" in e or "must not be below openingTotalizerBbl" in e
               for e in errors):
            return "comparison of two fields"
        if any(e == "must be on or after 1900-01-01T00:00:00Z" for e in errors):
            return "a time before 1900 by its offset"
    return None
