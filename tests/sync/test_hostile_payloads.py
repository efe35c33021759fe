"""Hypothesis-generated hostile events: each is rejected with a code and kept in the event log, the
good events beside it are applied, and nothing answers 5xx. Hostile includes text no database
stores (NUL, lone surrogates) and dates and times outside 1900 .. now + 10 minutes, in every field."""

import uuid

import pytest
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings, strategies as st

from sync.models import RejectedEvent, SyncEvent
from sync.schemas import SCHEMAS
from sync.services.processing import batch_process
from tests.sync.conftest import production

pytestmark = pytest.mark.django_db

# Text a database cannot store: NUL and lone surrogates (Python's JSON decoder lets "\ud800" through).
unstorable_text = st.one_of(
    st.sampled_from(["\x00", "\ud800", "\udfff", "a\ud83db", "\x00\ud800", "NOTES_ADDED\x00"]),
    st.tuples(st.text(max_size=8), st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]),
              st.text(alphabet=st.characters(categories=["Cs", "Cc", "L"]), max_size=8)).map("".join),
)
extreme_times = st.sampled_from([
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "1900-01-01T05:00:00+06:00",
    "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59Z", "2999-01-01T00:00:00Z", "0001-01-01", "1899-12-31",
    "9999-12-31", "1850-01-01",
])
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=60),  # JSON has no NaN, Infinity
    st.sampled_from(["", "NaN", "1e400", "-0", "2026-02-30", "2026-11-20T25:00:00Z", "\x00", "' OR 1=1 --",
                     "00000000-0000-0000-0000-000000000000", "9" * 400]),
    unstorable_text, extreme_times,
)
json_keys = st.one_of(st.text(max_size=12), unstorable_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(json_keys, inner, max_size=4)),
                           max_leaves=12)


def hostile_event(well_id: str):
    field_names = sorted({f.wire for schema in SCHEMAS.values() for f in schema.fields})
    keys = st.one_of(st.sampled_from(field_names + ["__proto__", "wellId"]), unstorable_text)
    payload = st.dictionaries(keys, json_values, max_size=8).map(
        lambda p: {**p, "wellId": p.get("wellId", well_id)})
    return st.fixed_dictionaries(
        {"id": st.one_of(st.uuids().map(str), json_values), "type": st.one_of(st.sampled_from(list(SCHEMAS)), json_values),
         "occurredAt": st.one_of(st.just("2026-11-20T15:00:00Z"), json_values), "payload": st.one_of(payload, json_values)},
        optional={"userId": json_values, "extra": json_values, "\ud800": json_values},
    )


def kept_in_the_event_log(batch_id: str, rejected: list[dict]) -> None:
    """Every rejection is stored: as a REJECTED event under its id, or set aside verbatim."""
    set_aside = RejectedEvent.objects.filter(batch_id=batch_id).count()
    logged = 0
    for rejection in rejected:
        try:
            event_id = uuid.UUID(str(rejection["eventId"]))
        except ValueError:
            continue
        logged += SyncEvent.objects.filter(event_id=event_id, outcome="REJECTED").exists()
    assert logged + set_aside >= len(rejected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_events_are_rejected_with_a_code_and_the_rest_applied(data, push, route, tenant_a):
    hostile = data.draw(st.lists(hostile_event(str(route.well.pk)), min_size=1, max_size=5))
    good = production(route.well, 42, day=f"2025-{data.draw(st.integers(1, 12)):02d}-{data.draw(st.integers(1, 28)):02d}")
    response = push(hostile + [good])
    assert response.status_code == 202, response.content
    body = response.json()
    assert good["id"] in body["accepted"]
    for rejection in body["rejected"]:
        assert rejection["code"] and isinstance(rejection["message"], str)
    # Everything is accounted for: accepted, duplicate or rejected with a code.
    assert len(body["accepted"]) + len(body["duplicates"]) + len(body["rejected"]) == len(hostile) + 1
    with schema_context(tenant_a.tenant.schema_name):
        kept_in_the_event_log(body["batchId"], body["rejected"])
        batch_process(batch_id=body["batchId"])
        assert SyncEvent.objects.get(event_id=good["id"]).outcome in ("APPLIED", "AUTO_RESOLVED")
        assert not SyncEvent.objects.filter(batch_id=body["batchId"], outcome="PENDING").exists()


def _spoil(event: dict, where: str, value) -> None:
    if where == "payload key":
        event["payload"][value if isinstance(value, str) else str(value)] = "x"
    elif where.startswith("payload."):
        event["payload"][where.removeprefix("payload.")] = value
    else:
        event[where] = value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(where=st.sampled_from(["id", "type", "occurredAt", "userId", "payload key", "payload.notes",
                              "payload.recordedAt", "payload.wellId"]), data=st.data())
def test_one_event_with_bad_text_or_an_extreme_time_anywhere_is_rejected_alone_and_kept(
        where, data, push, route, tenant_a):
    # Any field may hold unstorable text; any but the notes and a key may hold an extreme time.
    value = data.draw(unstorable_text if where in ("payload key", "payload.notes")
                      else st.one_of(unstorable_text, extreme_times))
    bad = {"id": str(uuid.uuid4()), "type": "NOTES_ADDED", "occurredAt": "2026-11-20T15:00:00Z",
           "payload": {"wellId": str(route.well.pk), "notes": "ok", "recordedAt": "2026-11-20T15:00:00Z"}}
    _spoil(bad, where, value)
    good = production(route.well, 42, day=f"2025-{data.draw(st.integers(1, 12)):02d}-{data.draw(st.integers(1, 28)):02d}")
    response = push([bad, good])
    assert response.status_code == 202, response.content
    body = response.json()
    assert good["id"] in body["accepted"] + body["duplicates"]
    [rejection] = body["rejected"]
    assert rejection["code"] in ("invalid_event", "invalid_payload", "unknown_event_type", "user_mismatch",
                                 "unknown_well"), rejection
    with schema_context(tenant_a.tenant.schema_name):
        if where == "id":
            assert RejectedEvent.objects.filter(batch_id=body["batchId"]).count() == 1
        else:
            assert SyncEvent.objects.get(event_id=bad["id"]).outcome == "REJECTED"


device_values = st.one_of(json_scalars, st.just("tablet-07"), st.just("android"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(device=st.dictionaries(st.one_of(st.sampled_from(["deviceId", "platform", "appVersion"]), unstorable_text),
                              device_values, max_size=4))
def test_hostile_device_fields_are_400_naming_the_field_never_5xx(device, client, tenant_a, operator_tokens, route):
    good = production(route.well, 42, day="2025-06-01")
    response = client.post("/api/v1/sync/batches", {"device": device, "events": [good]},
                           content_type="application/json", **tenant_a.headers(token=operator_tokens["access"]))
    assert response.status_code in (202, 400), response.content
    if response.status_code == 400:
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert any(key.startswith("device") for key in error["details"]), error


@pytest.mark.parametrize("raw", [b"\xff\xfe garbage", b'{"device": ', b"[" * 5000 + b"]" * 5000, b"\x00" * 100])
def test_unparseable_bodies_are_invalid_request_not_5xx(client, tenant_a, operator_tokens, raw):
    response = client.post("/api/v1/sync/batches", raw, content_type="application/json",
                           **tenant_a.headers(token=operator_tokens["access"]))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_request"


def test_an_event_id_that_is_not_a_string_is_rejected(push, route):
    body = push([{"id": 12345, "type": "NOTES_ADDED", "occurredAt": "2026-11-20T15:00:00Z",
                  "payload": {"wellId": str(route.well.pk), "notes": "x", "recordedAt": "2026-11-20T15:00:00Z"}},
                 {"id": str(uuid.uuid4()).upper(), "type": "NOTES_ADDED", "occurredAt": "2026-11-20T15:00:00Z",
                  "payload": {"wellId": str(route.well.pk), "notes": "y", "recordedAt": "2026-11-20T15:00:00Z"}}]).json()
    assert [r["code"] for r in body["rejected"]] == ["invalid_event"]
    assert len(body["accepted"]) == 1
