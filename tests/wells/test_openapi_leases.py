"""The OpenAPI schema describes the lease and tank endpoints of API.md section 13 as the server
behaves: paths, representations, the strapping table's two media types and the error responses."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/leases/": {"get", "post"},
    "/api/v1/leases/{lease_id}/": {"get", "patch", "delete"},
    "/api/v1/tanks/": {"get", "post"},
    "/api/v1/tanks/{tank_id}/": {"get", "patch", "delete"},
    "/api/v1/tanks/{tank_id}/strapping": {"put"},
    "/api/v1/tanks/{tank_id}/gauges/": {"get"},
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/", HTTP_HOST="localhost")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_section_13_endpoint_is_described_with_its_errors(schema):
    for path, methods in ENDPOINTS.items():
        assert set(schema["paths"][path]) - {"parameters"} == methods, path
        for method in methods:
            responses = set(schema["paths"][path][method]["responses"])
            assert {"400", "401", "403", "404", "429"} <= responses, (path, method)


def test_the_representations_carry_the_section_13_fields(schema):
    components = schema["components"]["schemas"]
    assert set(components["LeaseOutput"]["properties"]) == {
        "id", "name", "rrcDistrict", "rrcLeaseNumber", "kind", "version", "updatedAt"}
    assert set(components["TankOutput"]["properties"]) == {
        "id", "leaseId", "name", "product", "capacityBbl", "heightInches", "strapping", "version", "updatedAt"}
    assert set(components["TankGaugeOutput"]["properties"]) >= {
        "level", "unit", "levelInches", "barrels", "temperatureF", "bswPercent", "gaugedAt", "recordedBy",
        "sourceEventId", "supersededBy"}
    row = components["TankInputRequest"]["properties"]["strapping"]
    assert row["minItems"] == 2 and set(row["items"]["required"]) == {"heightInches", "barrels"}
    put = schema["paths"]["/api/v1/tanks/{tank_id}/strapping"]["put"]
    assert set(put["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert {"409"} <= set(schema["paths"]["/api/v1/leases/"]["post"]["responses"])
