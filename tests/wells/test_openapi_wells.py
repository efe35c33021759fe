"""The OpenAPI schema describes every wells endpoint, its parameters and its error responses."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/wells/": {"get", "post"},
    "/api/v1/wells/{well_id}/": {"get", "patch", "delete"},
    **{f"/api/v1/wells/{{well_id}}/{what}/": {"get"}
       for what in ("equipment", "production", "readings", "inspections", "repairs", "notes", "photos")},
    "/api/v1/equipment/": {"post"},
    "/api/v1/equipment/{equipment_id}/": {"get", "patch", "delete"},
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/", HTTP_HOST="localhost")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_every_wells_endpoint_is_described_with_its_error_responses(schema, path):
    operations = schema["paths"][path]
    assert set(operations) - {"parameters"} == ENDPOINTS[path]
    for method in ENDPOINTS[path]:
        operation = operations[method]
        assert operation.get("summary"), (path, method)
        responses = operation["responses"]
        assert {"400", "401", "403", "404"} <= set(responses), (path, method)
        for status in ("400", "401", "403", "404"):
            assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            assert responses[status]["description"]
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (path, method, parameter["name"])


def test_list_endpoints_document_pagination_and_filters(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/wells/"]["get"]["parameters"]}
    assert {"status", "lease", "field", "search", "page", "page_size"} <= names
    production = {p["name"] for p in schema["paths"]["/api/v1/wells/{well_id}/production/"]["get"]["parameters"]}
    assert {"from", "to", "page", "page_size", "well_id"} <= production
    page_size = next(p for p in schema["paths"]["/api/v1/wells/"]["get"]["parameters"] if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == 200 and "never clamped" in page_size["description"]
    page = schema["components"]["schemas"]["WellPage"]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}


def test_the_representations_are_camel_case(schema):
    components = schema["components"]["schemas"]
    assert set(components["WellOutput"]["properties"]) == {
        "id", "apiNumber", "name", "lease", "leaseId", "field", "county", "state", "latitude", "longitude", "status",
        "spudDate", "version", "updatedAt"}  # leaseId: API.md section 13
    assert set(components["WellInputRequest"]["properties"]) == set(components["WellOutput"]["properties"]) - {
        "id", "version", "updatedAt"}
    assert components["WellOutput"]["properties"]["latitude"]["type"] == "number"
    assert set(components["EquipmentOutput"]["properties"]) == {
        "id", "wellId", "type", "name", "serialNumber", "status", "version", "updatedAt"}
    assert {"photoId", "contentType", "sizeBytes", "url", "supersededBy"} <= set(components["PhotoOutput"]["properties"])
    assert components["WellStatus"]["enum"] == ["ACTIVE", "SHUT_IN", "INACTIVE", "PLUGGED"]
