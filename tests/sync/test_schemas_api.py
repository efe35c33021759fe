"""GET /api/v1/sync/schemas (API.md section 17): the event schemas as JSON Schema, for any
authenticated user of the tenant, revalidated by ETag."""

import jsonschema
import pytest

from sync.schemas import EVENT_TYPES
from tests.factories import api_login

URL = "/api/v1/sync/schemas"


@pytest.mark.django_db
def test_every_event_type_has_a_valid_draft_2020_12_schema_served_to_an_operator(client, tenant_a):
    token = api_login(client, tenant_a, email=tenant_a.users["OPERATOR"])["access"]
    response = client.get(URL, **tenant_a.headers(token=token))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["schemas"]) == set(EVENT_TYPES)
    for event_type, schema in body["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["properties"]["type"]["const"] == event_type
        assert set(schema["required"]) == {"id", "type", "occurredAt", "payload"}
        assert schema["properties"]["id"]["format"] == "uuid"
        assert "correctsEventId" in schema["properties"]
    production = body["schemas"]["PRODUCTION_LOGGED"]["properties"]["payload"]
    assert production["properties"]["product"]["enum"] == ["OIL", "GAS", "WATER"]
    assert production["properties"]["downtimeHours"]["maximum"] == 24
    assert any("tenant's time zone" in note for note in production["x-serverChecks"])
    assert response["ETag"] == f'"{body["version"]}"'
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db
def test_the_schemas_answer_304_to_the_etag_held_and_200_to_another(client, tenant_a):
    token = api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"]
    headers = tenant_a.headers(token=token)
    etag = client.get(URL, **headers)["ETag"]
    again = client.get(URL, HTTP_IF_NONE_MATCH=etag, **headers)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    weak = client.get(URL, HTTP_IF_NONE_MATCH=f'"stale", W/{etag}', **headers)
    assert weak.status_code == 304
    stale = client.get(URL, HTTP_IF_NONE_MATCH='"stale"', **headers)
    assert stale.status_code == 200 and stale.json()["schemas"]


@pytest.mark.django_db
def test_the_schemas_need_a_login(client, tenant_a):
    response = client.get(URL, **tenant_a.headers())
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("invalid_credentials", "token_expired")
    assert response["Cache-Control"] == "no-store"
