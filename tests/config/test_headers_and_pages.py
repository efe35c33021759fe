"""Headers every response carries (X-Request-ID, Content-Security-Policy, Permissions-Policy,
X-Frame-Options; Cache-Control: no-store where tokens or tenant data are), the API docs without
a CDN, and `make run` without debug pages (API.md sections 1 and 12)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config import run
from config.middleware import RequestGuardMiddleware
from tests.config.conftest import credentials

REPO = run.BASE_DIR
STATIC_FILE = "/static/admin/css/base.css"


def responses(client, handle) -> dict[str, object]:
    """One response of each kind: API with and without a tenant, every tenant-resolution error,
    portal, admin, static file, health."""
    suspended_header = {"HTTP_X_TENANT_ID": "NOPE-000000"}
    return {
        "api me": client.get("/api/v1/me", **credentials(handle)),
        "api login refused": client.post("/api/v1/auth/login", {}, content_type="application/json",
                                         **handle.headers()),
        "no tenant (401)": client.get("/api/v1/me"),
        "unknown tenant header (401)": client.get("/api/v1/me", **suspended_header),
        "unknown sub-domain (404 page)": client.get("/", HTTP_HOST="nope.localhost"),
        "unknown sub-domain api (404)": client.get("/api/v1/me", HTTP_HOST="nope.localhost"),
        "tenant mismatch (400)": client.get("/api/v1/me", HTTP_HOST="bakken.localhost", **handle.headers()),
        "portal login page": client.get("/login/", HTTP_HOST=handle.host),
        "portal redirect": client.get("/wells/", HTTP_HOST=handle.host),
        "admin login": client.get("/admin/login/"),
        "static file": client.get(STATIC_FILE, HTTP_HOST=handle.host),
        "health": client.get("/healthz"),
        "api 404 (no slash)": client.post("/api/v1/wells", **credentials(handle)),
        "bad text (400)": client.get("/api/v1/me?x=%00", **handle.headers()),
    }


def test_every_response_carries_the_security_headers_and_a_request_id(client, tenant_a, tenant_b, db):
    for name, response in responses(client, tenant_a).items():
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"]), name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy, name
        assert "frame-ancestors 'none'" in policy, name
        assert "microphone=()" in response["Permissions-Policy"], name


def test_responses_with_tokens_or_tenant_data_are_not_stored_static_files_are(client, tenant_a, tenant_b, db):
    got = responses(client, tenant_a)
    for name in ("api me", "api login refused", "portal login page", "portal redirect", "admin login",
                 "no tenant (401)", "api 404 (no slash)"):
        assert got[name]["Cache-Control"] == "no-store", name
    static = got["static file"]
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_a_login_answer_with_tokens_is_not_stored(client, tenant_a, db):
    from tests.factories import PASSWORD

    response = client.post("/api/v1/auth/login", {"email": tenant_a.users["OPERATOR"], "password": PASSWORD},
                           content_type="application/json", **tenant_a.headers())
    assert response.status_code == 200 and "access" in response.json()
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("sent,kept", [
    ("req-2026.12.01_abc", True),
    ("a" * 200, True),
    ("a" * 201, False),
    ("has space", False),
    ("<script>", False),
    ("", False),
])
def test_the_clients_request_id_is_echoed_when_sane_else_a_new_one(client, db, sent, kept):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    if kept:
        assert response["X-Request-ID"] == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"]) and response["X-Request-ID"] != sent


def test_the_request_id_is_on_the_request_for_the_code_that_handles_it():
    guard = RequestGuardMiddleware(lambda request: HttpResponse(request.request_id))
    for request in (RequestFactory().get("/", HTTP_X_REQUEST_ID="abc-1"), RequestFactory().get("/")):
        response = guard(request)
        assert response.content.decode() == response["X-Request-ID"] == request.request_id
    assert guard(RequestFactory().get("/")).content != guard(RequestFactory().get("/")).content


@pytest.mark.parametrize("host", ["localhost", "permian.localhost"])
def test_the_api_docs_load_nothing_from_another_origin(client, tenant_a, db, host):
    page = client.get("/api/v1/docs/", HTTP_HOST=host)
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html and "http://" not in html, html
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources == ["/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"]
    assert not re.search(r"<script>", html)  # no inline script: the CSP forbids them
    bundle = client.get(sources[0], HTTP_HOST=host)
    assert bundle.status_code == 200 and b"Redoc" in b"".join(bundle.streaming_content)[:2_000_000]


def test_a_404_and_a_500_show_no_debug_page_with_the_test_settings(client, tenant_a, db):
    page = client.get("/no-such-page/", HTTP_HOST=tenant_a.host)
    assert page.status_code == 404 and b"urlpatterns" not in page.content and b"URLconf" not in page.content


def test_make_run_serves_with_gunicorn_and_debug_off_make_dev_with_runserver(monkeypatch):
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    env = run.child_environment(8123, "localhost")
    assert env["DJANGO_DEBUG"] == "false"
    command = run.web_command(sys.executable, 8123, env)
    assert command[1:3] == ["-m", "gunicorn"] and "config.wsgi:application" in command
    assert command[command.index("-c") + 1] == str(run.GUNICORN_CONF)  # workers etc.: tests/ops/test_gunicorn_conf.py
    assert "--bind" in command and "0.0.0.0:8123" in command

    monkeypatch.setenv("DJANGO_DEBUG", "true")  # make dev
    debug_env = run.child_environment(8123, "localhost")
    assert run.web_command(sys.executable, 8123, debug_env)[-2:] == ["runserver", "0.0.0.0:8123"]


@pytest.mark.parametrize("debug,expected", [(None, "False"), ("true", "True")], ids=["make run", "make dev"])
def test_the_settings_make_run_gives_its_children_turn_debug_off(monkeypatch, debug, expected):
    """The web server's own view of DEBUG, from the environment make run passes to it."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    if debug:
        monkeypatch.setenv("DJANGO_DEBUG", debug)
    env = run.child_environment(8123, "localhost")
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == expected
