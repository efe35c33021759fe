"""sync/static/field/validate.js in Chromium (Debian's, driven by Playwright) against the server: on
the corpus of tests/sync/schema_corpus.py it fails the same fields as validate_event_payload (but
where x-serverChecks says the server checks more or reads more), with the server's messages.

The module is served to the page by Playwright's request routing from the file in the tree (a
made-up origin, no server process): what runs is the file the field app imports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sync.json_schemas import event_json_schema, payload_json_schema
from sync.schemas import EVENT_TYPES, validate_event_payload
from tests.portal.conftest import CHROMIUM_ARGS, _browser_missing
from tests.sync import schema_corpus
from tests.sync.schema_corpus import NOW, TODAY, documented_difference, server_fields

MODULE = Path(__file__).resolve().parents[2] / "sync" / "static" / "field" / "validate.js"
ORIGIN = "http://validate.test"


@pytest.fixture(scope="module")
def page():
    path = os.environ.get("PUMPJACK_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _browser_missing(f"No Chromium at {path}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("The `playwright` Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route(f"{ORIGIN}/validate.js", lambda route: route.fulfill(
                body=MODULE.read_text(), content_type="text/javascript"))
            page.route(f"{ORIGIN}/", lambda route: route.fulfill(
                body="<!doctype html><title>validate.js</title>", content_type="text/html"))
            page.goto(f"{ORIGIN}/")
            page.evaluate("async () => { window.validate = (await import('/validate.js')).validate; }")
            yield page
        finally:
            browser.close()


def run_in_browser(page, schemas: dict, cases: list) -> list[dict]:
    return page.evaluate(
        """([schemas, cases, now, today]) => cases.map(([type, value]) =>
               validate(schemas[type], value, {now: new Date(now), today}))""",
        [schemas, cases, NOW.timestamp() * 1000, TODAY.isoformat()])


def test_validate_js_fails_the_fields_the_server_fails(page):
    cases = schema_corpus.cases()
    # JSON as a browser would read it (1.0 is 1 there: the server reads both alike).
    cases = json.loads(json.dumps([[t, p] for t, p in cases]))
    schemas = {t: payload_json_schema(t) for t in EVENT_TYPES}
    results = run_in_browser(page, schemas, cases)
    differences: dict[str, int] = {}
    same_message = total = 0
    for (event_type, payload), found in zip(cases, results):
        errors = validate_event_payload(event_type, payload, now=NOW, today=TODAY)[1]
        server, claimed = set(errors), set(found)
        for field in server ^ claimed:
            why = documented_difference(event_type, payload, field, in_server=field in server)
            assert why, (event_type, payload, field, "server" if field in server else "validate.js",
                         errors, found)
            differences[why] = differences.get(why, 0) + 1
        for field in server & claimed:
            total += 1
            same_message += bool(set(errors[field]) & set(found[field]))
    assert set(differences) == {"numeric text", "comparison of two fields", "a time before 1900 by its offset"}
    # The server's wording for nearly every failing field (the rest: a field's own message where the
    # server gives a cross-field one first, or the reverse).
    assert same_message / total > 0.95, (same_message, total)


def test_validate_js_speaks_the_servers_words(page):
    base = schema_corpus.BASES["PRODUCTION_LOGGED"][0]
    cases = [
        {**base, "volume": -1},
        {**base, "unit": "MCF"},
        {**base, "volume": 60000},
        {**base, "product": "oil"},
        {**base, "downtimeReason": "x" * 501},
        {**base, "productionDate": "2026-11-27"},
        {k: v for k, v in base.items() if k != "wellId"},
        {**base, "extra": 1},
    ]
    schema = payload_json_schema("PRODUCTION_LOGGED")
    results = run_in_browser(page, {"P": schema}, [["P", case] for case in cases])
    for case, found in zip(cases, results):
        errors = validate_event_payload("PRODUCTION_LOGGED", case, now=NOW, today=TODAY)[1]
        assert set(found) == set(errors), (case, found, errors)
        for field, messages in errors.items():
            if field == "payload":
                assert found[field] == ["unknown field(s): extra"] == messages
            else:
                assert messages[0] in found[field], (field, messages, found[field])


def test_validate_js_names_an_events_fields_as_intake_does(page):
    schema = event_json_schema("NOTES_ADDED")
    event = {"id": schema_corpus.U1, "type": "NOTES_ADDED", "occurredAt": "2026-11-26T19:00:00Z",
             "payload": {"wellId": "nope", "notes": " ", "recordedAt": schema_corpus.T, "x": 1}, "y": 2}
    [found] = run_in_browser(page, {"N": schema}, [["N", event]])
    assert set(found) == {"event", "occurredAt", "payload", "payload.wellId", "payload.notes"}
    assert found["occurredAt"] == ["is more than 10 minutes in the future"]
    assert found["payload.notes"] == ["must not be empty"]
    valid_event = {"id": schema_corpus.U1, "type": "NOTES_ADDED", "occurredAt": schema_corpus.T,
                   "payload": {"wellId": schema_corpus.U1, "notes": "ok", "recordedAt": schema_corpus.T}}
    [valid] = run_in_browser(page, {"N": schema}, [["N", valid_event]])
    assert valid == {}
    assert server_fields("NOTES_ADDED", event["payload"]) == {"payload", "wellId", "notes"}
