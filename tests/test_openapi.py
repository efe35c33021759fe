"""The OpenAPI schema is served, valid, and says what the server enforces."""

import re
from datetime import date, timedelta

import pytest
import yaml
from openapi_spec_validator import validate

from sync.openapi import date_not_after_pattern, digits_range
from sync.schemas import SCHEMAS


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/", HTTP_HOST="localhost")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.django_db
def test_the_openapi_schema_is_served_and_valid(schema, client):
    validate(schema)
    paths = schema["paths"]
    for path in ("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/me"):
        assert path in paths, path
    login = paths["/api/v1/auth/login"]["post"]
    assert {"200", "400", "401", "403", "429"} <= set(login["responses"])
    assert client.get("/api/v1/docs/", HTTP_HOST="localhost").status_code == 200


def test_the_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--custom-settings",
                 "config.openapi_views.OPENAPI_SETTINGS", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").stat().st_size > 1000


def test_every_sync_event_type_has_an_item_schema_generated_from_its_payload_schema(schema):
    components = schema["components"]["schemas"]
    items = components["BatchInputRequest"]["properties"]["events"]
    assert items["minItems"] == 1 and items["maxItems"] == 5000
    refs = [ref["$ref"].rsplit("/", 1)[1] for ref in items["items"]["oneOf"]]
    assert len(refs) == len(SCHEMAS)
    for name in refs:
        event = components[name]
        event_type = event["properties"]["type"]["enum"][0]
        payload = event["properties"]["payload"]
        assert set(payload["properties"]) == {f.wire for f in SCHEMAS[event_type].fields}, event_type
        assert set(payload["required"]) == {f.wire for f in SCHEMAS[event_type].fields if f.required}
        assert payload["additionalProperties"] is False and event["additionalProperties"] is False
        assert event["properties"]["occurredAt"]["format"] == "date-time"
        assert "1900-01-01" in event["properties"]["occurredAt"]["description"]
    production = components["EventProductionLogged"]["properties"]["payload"]["properties"]
    assert production["product"]["enum"] == ["OIL", "GAS", "WATER"]
    assert (production["downtimeHours"]["minimum"], production["downtimeHours"]["maximum"]) == (0, 24)
    assert production["volume"]["minimum"] == 0 and production["productionDate"]["format"] == "date"
    notes = components["EventNotesAdded"]["properties"]["payload"]["properties"]["notes"]
    assert (notes["minLength"], notes["maxLength"]) == (1, 10_000)


def test_inputs_that_refuse_unknown_fields_say_so_and_required_text_is_not_blank(schema):
    components = schema["components"]["schemas"]
    for name in ("WellInputRequest", "PatchedWellInputRequest", "EquipmentInputRequest",
                 "PatchedEquipmentInputRequest"):
        assert components[name]["additionalProperties"] is False, name
    assert components["WellInputRequest"]["properties"]["name"]["minLength"] == 1
    assert components["LoginInputRequest"]["properties"]["email"]["minLength"] == 1
    assert components["ResolveInputRequest"]["properties"]["action"]["$ref"].endswith("/ResolutionAction")
    assert components["ConflictOutput"]["properties"]["status"]["$ref"].endswith("/ConflictStatus")


def test_page_page_size_and_limit_have_their_bounds(schema):
    wells = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/wells/"]["get"]["parameters"]}
    assert (wells["page_size"]["minimum"], wells["page_size"]["maximum"]) == (1, 200)
    assert wells["page"]["minimum"] == 1
    changes = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/sync/changes"]["get"]["parameters"]}
    assert (changes["limit"]["minimum"], changes["limit"]["maximum"]) == (1, 1000)


def test_the_spud_date_pattern_takes_today_and_refuses_tomorrow(schema):
    pattern = schema["components"]["schemas"]["WellInputRequest"]["properties"]["spudDate"]["pattern"]
    today = date.today()
    assert re.fullmatch(pattern, today.isoformat()) and re.fullmatch(pattern, "1850-01-01")
    assert not re.fullmatch(pattern, (today + timedelta(days=2)).isoformat())
    assert not re.fullmatch(pattern, "1849-12-31")  # the server's lower bound of a spud date


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 12, 1), date(2000, 10, 9), date(1999, 12, 31)])
def test_the_date_pattern_matches_exactly_the_dates_up_to_today(today):
    pattern = re.compile(date_not_after_pattern(today))
    for offset in range(-800, 800):
        day = today + timedelta(days=offset)
        assert bool(pattern.fullmatch(day.isoformat())) == (offset <= 0), day


def test_the_date_pattern_starts_at_its_earliest_year():
    pattern = re.compile(date_not_after_pattern(date(2026, 12, 1), 1850))
    assert pattern.fullmatch("1850-01-01") and pattern.fullmatch("1999-12-31") and pattern.fullmatch("2026-12-01")
    assert not pattern.fullmatch("1849-12-31") and not pattern.fullmatch("0001-01-01")


def test_a_digit_range_regex_matches_exactly_its_range():
    pattern = re.compile(digits_range(17, 342, 3))
    assert [n for n in range(1000) if pattern.fullmatch(f"{n:03d}")] == list(range(17, 343))


def test_the_production_date_filters_state_their_lower_bound(schema):
    # The server refuses from/to before 1900 (config.dates); the schema says so, or a fuzzer's
    # schema-valid 1186-02-23 is a "valid request rejected".
    path = next(p for p in schema["paths"] if p.endswith("/production/"))
    parameters = {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}
    for name in ("from", "to"):
        pattern = parameters[name]["pattern"]
        assert re.fullmatch(pattern, "1900-01-01") and re.fullmatch(pattern, "2027-01-01")
        assert not re.fullmatch(pattern, "1899-12-31") and not re.fullmatch(pattern, "1186-02-23")
