"""Hypothesis-generated hostile events: each is rejected with a code, the good events beside it are
applied, and nothing answers 5xx."""

import uuid

import pytest
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings, strategies as st

from sync.models import SyncEvent
from sync.schemas import SCHEMAS
from sync.services.processing import batch_process
from tests.sync.conftest import production

pytestmark = pytest.mark.django_db

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=60),  # JSON has no NaN, Infinity
    st.sampled_from(["", "NaN", "1e400", "-0", "2026-02-30", "2026-11-20T25:00:00Z", "\x00", "' OR 1=1 --",
                     "00000000-0000-0000-0000-000000000000", "9" * 400]),
)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                           max_leaves=12)


def hostile_event(well_id: str):
    field_names = sorted({f.wire for schema in SCHEMAS.values() for f in schema.fields})
    payload = st.dictionaries(st.sampled_from(field_names + ["__proto__", "wellId"]), json_values, max_size=8).map(
        lambda p: {**p, "wellId": p.get("wellId", well_id)})
    return st.fixed_dictionaries(
        {"id": st.one_of(st.uuids().map(str), json_values), "type": st.one_of(st.sampled_from(list(SCHEMAS)), json_values),
         "occurredAt": st.one_of(st.just("2026-11-20T15:00:00Z"), json_values), "payload": st.one_of(payload, json_values)},
        optional={"userId": json_values, "extra": json_values},
    )


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
        batch_process(batch_id=body["batchId"])
        assert SyncEvent.objects.get(event_id=good["id"]).outcome in ("APPLIED", "AUTO_RESOLVED")
        assert not SyncEvent.objects.filter(batch_id=body["batchId"], outcome="PENDING").exists()


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
