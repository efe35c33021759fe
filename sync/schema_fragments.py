"""The JSON Schema (draft 2020-12) side of sync.schemas: the patterns its parsers' fragments use,
``with_schema`` (a parser's fragment), ``decimal_schema``, and ``cross_field`` with the rules a
cross-field check derives from itself (``choices_per``, ``bounds_per``). Plain Python, like
sync.schemas, which imports it; sync.json_schemas assembles the documents.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

MAX_DECIMAL = Decimal("1e11")  # a number's magnitude stays below it (parse_decimal)
MESSAGE = "x-errorMessages"  # keyword -> the server's message for it, for clients that show them

# Patterns end with END, not "$": Python's "$" also matches before a final newline, which the
# parsers refuse; "(?![\s\S])" means end of text in Python and ECMAScript alike.
END = r"(?![\s\S])"
# What str.strip() and str.isspace() call white space (Python's, not ECMAScript's \s).
WHITE_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}" + END
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}" + END  # the calendar: format "date"
# RFC 3339 with hours, minutes and seconds in range (the calendar: format "date-time").
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
DATE_TIME_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]" + _CLOCK + r":[0-5][0-9](?:\.[0-9]{1,9})?(?:[Zz]|[+-]"
                     + _CLOCK + ")" + END)
FROM_1900_PATTERN = r"^(?:19|[2-9][0-9])"  # config.dates.EARLIEST_DATE
# The offsets config.dates takes: -12:00 to +14:00.
OFFSET_PATTERN = r"(?:[Zz]|\+(?:0[0-9]|1[0-3]):[0-5][0-9]|\+14:00|-(?:0[0-9]|1[01]):[0-5][0-9]|-12:00)" + END
NO_NUL_PATTERN = "^[^\\u0000]*" + END
BLANK_PATTERN = "^[" + WHITE_SPACE + "]*" + END


def with_schema(fragment: dict) -> Callable[[Callable], Callable]:
    """Marks a parser with the JSON Schema fragment of what it takes (its ``json_schema``)."""
    def mark(parse: Callable) -> Callable:
        parse.json_schema = fragment
        return parse

    return mark


def decimal_schema(minimum: Decimal | None, maximum: Decimal | None, step: str) -> dict:
    """The schema of parse_decimal within [minimum, maximum]. The server also reads a number sent
    as a JSON string (older clients); the schema asks for a JSON number (x-serverChecks says so).
    ``x-step``: the resolution the value is kept to (cross-field bounds apply to the rounded value)."""
    finite = "must be a finite number below 1e11"  # the server's first check
    out: dict[str, Any] = {"type": "number", "exclusiveMinimum": -float(MAX_DECIMAL),
                           "exclusiveMaximum": float(MAX_DECIMAL), "x-step": step,
                           MESSAGE: {"type": "must be a number", "exclusiveMinimum": finite, "exclusiveMaximum": finite}}
    if minimum is not None:
        out["minimum"] = _json_number(minimum)
        out[MESSAGE]["minimum"] = f"must be >= {minimum}"
    if maximum is not None:
        out["maximum"] = _json_number(maximum)
        out[MESSAGE]["maximum"] = f"must be <= {maximum}"
    return out


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# ------------------------------------------------------------------------- cross-field rules
#
# A check's ``json_schema(schema)`` gives its draft 2020-12 if/then rules; they are derived from
# the check itself (its messages, and the bounds found by asking it), never written twice.


def cross_field(*, json_schema: Callable[[Callable, Any], list[dict]] | None = None,
                server_note: str | None = None) -> Callable[[Callable], Callable]:
    def mark(check: Callable) -> Callable:
        check.json_schema = (lambda schema: json_schema(check, schema)) if json_schema else None
        check.server_note = server_note
        return check

    return mark


def when(**values: str) -> dict:
    """An ``if`` that holds when each field has its value."""
    return {"properties": {wire: {"const": value} for wire, value in values.items()}, "required": sorted(values)}


def choices_per(key: str, target: str, table: dict[str, tuple[str, ...]]):
    """The ``target`` choices for each value of ``key`` (a unit per product, per reading type)."""
    def rules(check: Callable, schema) -> list[dict]:
        out = []
        for value, allowed in table.items():
            probe = {schema.field(key).name: value, schema.field(target).name: "?"}
            message = check(probe)[target][0]
            out.append({"if": when(**{key: str(value)}),
                        "then": {"properties": {target: {"enum": list(allowed), MESSAGE: {"enum": message}}}}})
        return out

    return rules


def bounds_per(target: str, cases: list[dict[str, str]]):
    """The bounds of the number ``target`` for each combination of the other fields in ``cases``
    (a volume per product and unit), found by asking the check at the resolution the value is
    kept to (x-step)."""
    def rules(check: Callable, schema) -> list[dict]:
        spec = schema.field(target)
        out = []
        for case in cases:
            context = {schema.field(wire).name: value for wire, value in case.items()}
            bounds = number_bounds(lambda x: not check({**context, spec.name: x}).get(target),
                                   Decimal(spec.parse.json_schema["x-step"]))
            if not bounds:
                continue
            messages = {key: check({**context, spec.name: probe})[target][0] for key, probe in bounds.pop("probes")}
            out.append({"if": when(**case), "then": {"properties": {target: {**bounds, MESSAGE: messages}}}})
        return out

    return rules


def number_bounds(passes: Callable[[Decimal], bool], step: Decimal) -> dict:
    """The JSON Schema bounds on a number sent, for a check of its value rounded to ``step``
    (half-even, as Decimal.quantize): {minimum or exclusiveMinimum, maximum or exclusiveMaximum,
    probes: [(keyword, a failing rounded value)]}. {} when the check never fails. 0 passes."""
    far = int(MAX_DECIMAL / step)
    out: dict[str, Any] = {"probes": []}
    for sign, keyword in ((1, "aximum"), (-1, "inimum")):
        if passes(sign * far * step):
            continue
        low, high = 0, far  # passes(sign * low * step) and not passes(sign * high * step)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if passes(sign * middle * step) else (low, middle)
        # Sent values that round to the last passing grid point pass; the half-way value rounds
        # to it when its last digit is even.
        edge = sign * (Decimal(low) + Decimal("0.5")) * step
        out[("m" if low % 2 == 0 else "exclusiveM") + keyword] = float(edge)
        out["probes"].append((("m" if low % 2 == 0 else "exclusiveM") + keyword, sign * high * step))
    return out if out["probes"] else {}
