"""The JSON Schemas of GET /api/v1/sync/schemas say what the server's intake checks: on a corpus of
valid and invalid payloads (tests/sync/schema_corpus.py) a JSON Schema validator (jsonschema,
draft 2020-12 with format assertion, plus the x-notAfter keyword) fails exactly the fields that
validate_event_payload fails, but where x-serverChecks says the server checks more (or reads
more); and those differences do occur, so the notes are true. No database: plain Python."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import jsonschema
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from sync import schemas
from sync.json_schemas import event_json_schema, payload_json_schema, schemas_document
from sync.schemas import EVENT_TYPES, SCHEMAS
from tests.sync import schema_corpus
from tests.sync.schema_corpus import NOW, TODAY, documented_difference, server_fields


def _not_after(validator, value, instance, schema):
    if not isinstance(instance, str) or not re.search(schema["pattern"], instance):
        return  # the pattern's error
    try:
        if value == "today":
            late = date.fromisoformat(instance) > TODAY
        else:
            seconds = int(value.removeprefix("now+").removesuffix("s"))
            late = datetime.fromisoformat(instance.replace("Z", "+00:00").replace("z", "+00:00")) > \
                NOW + timedelta(seconds=seconds)
    except ValueError:
        return  # the format's error
    if late:
        yield ValidationError(f"{instance!r} is after {value}")


Validator = jsonschema.validators.extend(Draft202012Validator, {"x-notAfter": _not_after})


def schema_fields(schema: dict, instance) -> set[str]:
    """The fields a JSON Schema validator fails, named as the server names them: a property
    path joined with dots (array indexes dropped), the object's own errors under its x-errorKey."""
    out = set()
    for error in Validator(schema, format_checker=FormatChecker()).iter_errors(instance):
        path = [part for part in error.absolute_path if isinstance(part, str)]
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            out.update(".".join([*path, name]) for name in missing)
        elif path:
            out.add(".".join(path))
        else:
            out.add(schema["x-errorKey"])
    return out


CASES = schema_corpus.cases()


def test_the_corpus_holds_valid_and_invalid_payloads_of_every_type_and_field():
    valid = {t for t, payload in CASES if not server_fields(t, payload)}
    assert valid == set(EVENT_TYPES)
    for event_type in EVENT_TYPES:
        failed = set().union(*(server_fields(t, p) for t, p in CASES if t == event_type))
        assert failed >= {f.wire for f in SCHEMAS[event_type].fields} | {"payload"}, event_type
    assert len(CASES) > 5000


def test_the_schema_and_the_server_fail_the_same_fields_but_where_x_server_checks_says():
    schemas_by_type = {t: payload_json_schema(t) for t in EVENT_TYPES}
    differences: dict[str, int] = {}
    for event_type, payload in CASES:
        server = server_fields(event_type, payload)
        claimed = schema_fields(schemas_by_type[event_type], payload)
        for field in server ^ claimed:
            why = documented_difference(event_type, payload, field, in_server=field in server)
            assert why, (event_type, payload, field, "server" if field in server else "schema",
                         server, claimed)
            differences[why] = differences.get(why, 0) + 1
    # Each documented difference happens (and is listed), so x-serverChecks is no dead letter.
    assert set(differences) == {"numeric text", "comparison of two fields", "a time before 1900 by its offset"}
    notes = " ".join(payload_json_schema("RUN_TICKET_RECORDED")["x-serverChecks"])
    assert "JSON string" in notes and "closingLevel is not above" in notes and "offset" in notes


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_the_event_envelope_agrees_with_intake(event_type):
    from sync.services.intake import _check_shape

    user_text = str(schema_corpus.U3)
    schema = event_json_schema(event_type)
    base = {"id": schema_corpus.U2, "type": event_type, "occurredAt": schema_corpus.T,
            "payload": schema_corpus.BASES[event_type][0]}
    variants = [base, {**base, "userId": None}, {**base, "userId": schema_corpus.U3},
                {**base, "correctsEventId": schema_corpus.U1}, {**base, "correctsEventId": None},
                {**base, "extra": 1}, {k: v for k, v in base.items() if k != "payload"},
                {k: v for k, v in base.items() if k != "occurredAt"}, {**base, "payload": None},
                {**base, "payload": {**base["payload"], "nope": 1}}]
    variants += [{**base, "occurredAt": value} for value in schema_corpus.DATE_TIMES + [None, 5]]
    variants += [{**base, "correctsEventId": value} for value in schema_corpus.UUIDS + [5, ""]]
    payload_fields = {f.wire for f in SCHEMAS[event_type].fields}
    for wire in sorted(payload_fields):
        variants.append({**base, "payload": {k: v for k, v in base["payload"].items() if k != wire}})
    for raw in variants:
        checked = _check_shape(raw, user_text=user_text, now=NOW, today=TODAY)
        server = set(checked.rejection.details) if checked.rejection else set()
        claimed = schema_fields(schema, raw)
        for field in server ^ claimed:
            why = documented_difference(event_type, raw.get("payload"), field.removeprefix("payload."),
                                        in_server=field in server) if field.startswith("payload.") else None
            if field == "occurredAt" and field in server and raw["occurredAt"] == "1900-01-01T00:00:00+06:00":
                why = "a time before 1900 by its offset"
            if field == "correctsEventId" and field in server and str(raw["correctsEventId"]).lower() == raw["id"].lower():
                why = "an event correcting itself"
            assert why, (raw, field, server, claimed)
    self_correction = {**base, "correctsEventId": base["id"]}
    assert "correctsEventId" in _check_shape(self_correction, user_text=user_text, now=NOW, today=TODAY).rejection.details
    assert any("not the event itself" in note for note in schema["x-serverChecks"])


def test_a_field_cannot_be_declared_without_its_schema():
    with pytest.raises(TypeError, match="json_schema"):
        schemas.Field("wellId", lambda value: value)
    with pytest.raises(TypeError, match="json_schema or server_note"):
        schemas.PayloadSchema(fields=(), checks=(lambda cleaned: {},))


def test_a_bound_per_unit_is_found_at_the_rounding_the_server_applies():
    rules = payload_json_schema("PRODUCTION_LOGGED")["allOf"]
    oil_bbl = next(r for r in rules if r["if"]["properties"].get("unit", {}).get("const") == "BBL"
                   and r["if"]["properties"]["product"]["const"] == "OIL" and "volume" in r["then"]["properties"])
    volume = oil_bbl["then"]["properties"]["volume"]
    assert volume["maximum"] == 50000.0005  # 50000.0005 rounds (half even) to 50000.000: taken
    assert volume["x-errorMessages"]["maximum"] == "must be at most 50,000 BBL per well and day"
    base = schema_corpus.BASES["PRODUCTION_LOGGED"][0]
    assert not server_fields("PRODUCTION_LOGGED", {**base, "volume": 50000.0005})
    assert server_fields("PRODUCTION_LOGGED", {**base, "volume": 50000.0006}) == {"volume"}


def test_the_served_document_is_every_event_schema_and_its_version_follows_the_content():
    import hashlib
    import json

    body, version = schemas_document()
    document = json.loads(body)
    assert document["version"] == version
    assert document["schemas"] == {t: event_json_schema(t) for t in EVENT_TYPES}
    canonical = json.dumps(document["schemas"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert version == hashlib.sha256(canonical.encode()).hexdigest()[:32]
    for schema in document["schemas"].values():
        Draft202012Validator.check_schema(schema)
