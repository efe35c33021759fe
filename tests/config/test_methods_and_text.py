"""No method on any path is a server error; a write without the trailing slash is a 404 in the
error shape (GET and HEAD redirect); text that is not text is a 400 naming where it was
(API.md section 1)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.config.conftest import credentials

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "get",
           "post", "Patch", "BREW"]
PATHS = ["/api/v1/wells", "/api/v1/wells/", f"/api/v1/wells/{uuid.uuid4()}", f"/api/v1/equipment/{uuid.uuid4()}",
         "/api/v1/me", "/api/v1/me/", "/api/v1/auth/login", "/api/v1/sync/batches", "/api/v1/conflicts",
         "/api/v1/docs/", "/api/v1/nope", "/api/", "/", "/login", "/login/", "/wells", "/conflicts/",
         "/admin", "/admin/", "/admin/login/", "/admin/tenants/tenant/", "/static/admin/css/base.css",
         "/static/nope.css", "/static/", "/static/admin/css/%00base.css", "/static/%ED%A0%80.css", "/wells/%00/",
         "/api/v1/wells/%FF/", "/healthz", "/nope", "/%2e%2e/etc/passwd"]


def tenant_routes(handle):
    """Ways a request may (not) name a tenant: none, header, sub-domain, unknown ones, both at odds."""
    return {
        "none": {},
        "header": handle.headers(),
        "sub-domain": {"HTTP_HOST": handle.host},
        "unknown header": {"HTTP_X_TENANT_ID": "NOPE-000000"},
        "unknown sub-domain": {"HTTP_HOST": "nope.localhost"},
        "reserved sub-domain": {"HTTP_HOST": "admin.localhost"},
        "disallowed host": {"HTTP_HOST": "evil.example"},
    }


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_no_method_on_any_path_answers_a_server_error(client, tenant_a, db, settings, debug):
    settings.DEBUG = debug
    client.raise_request_exception = False
    failures = []
    for route, extra in tenant_routes(tenant_a).items():
        for path in PATHS:
            for method in METHODS:
                response = client.generic(method, path, **extra)
                if response.status_code >= 500:
                    failures.append(f"{method} {path} ({route}): {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("method,path", [
    ("POST", "/api/v1/wells"),
    ("PATCH", f"/api/v1/wells/{uuid.uuid4()}"),
    ("PUT", f"/api/v1/wells/{uuid.uuid4()}"),
    ("DELETE", f"/api/v1/equipment/{uuid.uuid4()}"),
])
def test_a_write_without_the_trailing_slash_is_a_404_in_the_error_shape(client, tenant_a, db, settings, debug,
                                                                         method, path):
    settings.DEBUG = debug
    for extra in ({}, tenant_a.headers(), credentials(tenant_a)):
        response = client.generic(method, path, b"{}", content_type="application/json", **extra)
        assert response.status_code in (401, 404), (extra.keys(), response.status_code, response.content)
        assert response.json()["error"]["code"] in ("invalid_credentials", "not_found")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_read_without_the_trailing_slash_is_redirected(client, tenant_a, db, method):
    response = client.generic(method, "/api/v1/wells", **credentials(tenant_a))
    assert response.status_code == 301 and response["Location"] == "/api/v1/wells/"


BAD_QUERIES = {"%00": "NUL", "%ED%A0%80": "lone surrogate", "%FF%FE": "not UTF-8", "a%C3": "cut short"}


@pytest.mark.parametrize("encoded", BAD_QUERIES, ids=BAD_QUERIES.values())
def test_a_query_parameter_that_is_not_text_is_a_400_naming_it(client, manager, encoded):
    response = client.get(f"/api/v1/wells/?status=ACTIVE&lease=x{encoded}y", **manager)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and list(error["details"]) == ["lease"]


def test_a_query_parameter_name_that_is_not_text_is_a_400(client, manager):
    response = client.get("/api/v1/wells/?le%00ase=1", **manager)
    assert response.status_code == 400 and list(response.json()["error"]["details"]) == ["query"]


def test_plain_unicode_in_the_query_is_accepted(client, manager):
    response = client.get("/api/v1/wells/?lease=%C3%89tang%20%F0%9F%9B%A2", **manager)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("value", ["DEMO\x00-1", "\xed\xa0\x80", "ok \xed\xbf\xbf"],
                         ids=["NUL", "high surrogate", "low surrogate"])
def test_a_header_that_is_not_text_is_a_400_naming_it(client, manager, value):
    # WSGI hands headers over as latin-1 strings of their bytes: "\xed\xa0\x80" is U+D800 in UTF-8.
    response = client.get("/api/v1/me", HTTP_X_DEVICE_NAME=value, **manager)
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["details"]) == ["X-Device-Name"]


@pytest.mark.parametrize("value", ["Étang".encode().decode("latin-1"), "caf\xe9"], ids=["UTF-8", "latin-1"])
def test_a_header_of_utf8_or_other_bytes_is_accepted(client, manager, value):
    response = client.get("/api/v1/me", HTTP_X_DEVICE_NAME=value, **manager)
    assert response.status_code == 200, response.content


def test_a_content_type_with_a_nul_is_a_400_naming_it(client, manager):
    response = client.post("/api/v1/wells/", "{}", content_type="application/json\x00", **manager)
    assert response.status_code == 400 and list(response.json()["error"]["details"]) == ["Content-Type"]


def test_a_portal_query_that_is_not_text_is_a_400_outside_the_api_too(client, tenant_a, db):
    for path in ("/login/?next=%ED%A0%80", "/wells/?lease=%00"):
        response = client.get(path, HTTP_HOST=tenant_a.host)
        assert response.status_code == 400, (path, response.status_code)
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("text", ["\\u0000", "\\ud800", "ok\\udfffok"], ids=["NUL", "high surrogate", "low surrogate"])
def test_a_json_string_that_is_not_text_is_a_400_naming_the_field(client, manager, text):
    body = '{"apiNumber": "42329000010000", "name": "Well %s", "county": "Midland"}' % text
    response = client.post("/api/v1/wells/", body, content_type="application/json", **manager)
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["details"]) == ["name"]


def test_a_nested_json_key_that_is_not_text_is_a_400_naming_the_key(client, manager):
    body = '{"name": "Well", "extra": [1, {"ok": "x", "k\\u0000": 2}]}'
    response = client.post("/api/v1/wells/", body, content_type="application/json", **manager)
    assert response.status_code == 400, response.content
    # The key is named with the character it cannot hold replaced (config.text).
    assert list(response.json()["error"]["details"]) == ["extra[1].k\ufffd"]


def test_a_login_with_a_nul_in_the_email_is_a_400(client, tenant_a, db):
    body = json.dumps({"email": "operator\x00@permian.test", "password": "x"})
    response = client.post("/api/v1/auth/login", body, content_type="application/json", **tenant_a.headers())
    assert response.status_code == 400 and list(response.json()["error"]["details"]) == ["email"]


def test_a_sync_batch_is_not_refused_whole_for_the_text_of_one_event(client, tenant_a, db):
    # The device envelope is checked here; the events one by one by the intake (one bad event is
    # rejected, the batch is not).
    events = '[{"id": "%s", "type": "NOTE_ADDED", "occurredAt": "2026-11-26T14:03:00Z", "payload": {"text": "a\\u0000"}}]'
    body = '{"device": {"deviceId": "t1", "platform": "cli", "appVersion": "1\\ud800"}, "events": %s}' % (
        events % uuid.uuid4())
    headers = credentials(tenant_a, "OPERATOR")
    response = client.post("/api/v1/sync/batches", body, content_type="application/json", **headers)
    assert response.status_code == 400 and list(response.json()["error"]["details"]) == ["device.appVersion"]
    body = body.replace("1\\ud800", "1.0")
    response = client.post("/api/v1/sync/batches", body, content_type="application/json", **headers)
    assert response.status_code == 202, response.content
