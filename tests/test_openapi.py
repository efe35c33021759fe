"""The OpenAPI schema is served and valid."""

import pytest
import yaml
from openapi_spec_validator import validate


@pytest.mark.django_db
def test_the_openapi_schema_is_served_and_valid(client):
    response = client.get("/api/v1/schema/", HTTP_HOST="localhost")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    paths = schema["paths"]
    for path in ("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/me"):
        assert path in paths, path
    login = paths["/api/v1/auth/login"]["post"]
    assert {"200", "400", "401", "403", "429"} <= set(login["responses"])
    assert client.get("/api/v1/docs/", HTTP_HOST="localhost").status_code == 200


def test_the_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").stat().st_size > 1000
