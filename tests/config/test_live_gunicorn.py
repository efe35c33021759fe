"""The same limits and headers behind the production server: a live gunicorn (as `make run`
starts it) on the test database, spoken to over raw sockets so that what is sent, and when, is
exact. The API docs page in Chromium, with every request to another origin blocked."""

from __future__ import annotations

import json
import re
import socket

import pytest

from config.middleware import MIB
from sync.schemas import MAX_BYTES
from tests.factories import PASSWORD

pytestmark = pytest.mark.live


def exchange(port: int, head: str, body: bytes = b"", *, timeout: float = 20) -> tuple[int, dict[str, str], bytes]:
    """Send a request (head, then body) and read the answer until the server closes the
    connection (a gunicorn sync worker serves one request per connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head_bytes, _, content = received.partition(b"\r\n\r\n")
    status_line, *lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    if headers.get("transfer-encoding") == "chunked":
        content = dechunked(content)
    return int(status_line.split()[1]), headers, content


def dechunked(data: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2:]


def request_head(method: str, path: str, tenant, **headers: str) -> str:
    fields = {"Host": "127.0.0.1", "X-Tenant-ID": tenant.public_id, "X-Tenant-Secret": tenant.secret,
              "Content-Type": "application/json", "Connection": "close", **headers}
    return f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def error_of(content: bytes) -> dict:
    return json.loads(content)["error"]


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(gunicorn, live_tenant):
    # Only the head is sent: a server that waited for the 12 MiB would time this test out.
    head = request_head("POST", "/api/v1/auth/login", live_tenant, **{"Content-Length": str(12 * MIB)})
    status, headers, content = exchange(gunicorn.port, head, timeout=10)
    assert status == 413 and error_of(content)["code"] == "request_too_large"
    assert error_of(content)["details"] == {"maxBytes": [str(MIB)]}
    assert headers["cache-control"] == "no-store" and re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])


def test_a_sync_batch_over_8_mib_is_refused_before_it_is_sent(gunicorn, live_tenant):
    head = request_head("POST", "/api/v1/sync/batches", live_tenant, **{"Content-Length": str(MAX_BYTES + 1)})
    status, _, content = exchange(gunicorn.port, head, timeout=10)
    assert status == 413 and error_of(content)["code"] == "batch_too_large"


def test_a_chunked_body_over_the_limit_is_refused_after_a_bounded_read(gunicorn, live_tenant):
    body = b'{"email": "' + b"x" * MIB + b'"}'
    head = request_head("POST", "/api/v1/auth/login", live_tenant, **{"Transfer-Encoding": "chunked"})
    status, _, content = exchange(gunicorn.port, head, chunked(body))
    assert status == 413 and error_of(content)["details"] == {"maxBytes": [str(MIB)]}


def test_a_chunked_body_within_the_limit_is_read(gunicorn, live_tenant):
    body = json.dumps({"email": live_tenant.users["OPERATOR"], "password": PASSWORD}).encode()
    head = request_head("POST", "/api/v1/auth/login", live_tenant, **{"Transfer-Encoding": "chunked"})
    status, headers, content = exchange(gunicorn.port, head, chunked(body, size=7))
    assert status == 200, content
    assert json.loads(content)["access"] and headers["cache-control"] == "no-store"


def test_headers_and_text_checks_hold_behind_gunicorn(gunicorn, live_tenant):
    head = request_head("GET", "/api/v1/me", live_tenant, **{"X-Request-ID": "trace-42", "X-Tenant-ID": "NOPE-000000"})
    status, headers, _ = exchange(gunicorn.port, head)
    assert status == 401 and headers["x-request-id"] == "trace-42"
    assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]

    status, _, content = exchange(gunicorn.port, request_head("GET", "/api/v1/wells/?lease=%ED%A0%80", live_tenant))
    assert status == 400 and list(error_of(content)["details"]) == ["lease"]
    status, _, content = exchange(gunicorn.port, request_head("GET", "/api/v1/me", live_tenant,
                                                              **{"X-Device-Name": "\xed\xa0\x80"}))
    assert status == 400 and list(error_of(content)["details"]) == ["X-Device-Name"]


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PROPFIND", "TRACE", "get"])
def test_odd_methods_and_missing_slashes_are_never_a_server_error_behind_gunicorn(gunicorn, live_tenant, method):
    for path in ("/api/v1/wells", "/api/v1/equipment/0f0e3b9e-7d1c-4a8e-9d3c-0a1b2c3d4e5f", "/admin/", "/login/",
                 "/static/admin/css/base.css"):
        status, _, content = exchange(gunicorn.port, request_head(method, path, live_tenant,
                                                                  **{"Content-Length": "0"}))
        assert status < 500, (method, path, status, content[:300])


def test_the_api_docs_render_in_a_browser_with_nothing_from_another_origin(gunicorn):
    from tests.portal.conftest import CHROMIUM_ARGS, _browser_missing

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("The `playwright` Python package is not installed")
    import os

    chromium_path = os.environ.get("PUMPJACK_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium_path, os.X_OK):
        _browser_missing(f"No Chromium at {chromium_path}")
    origin = f"http://127.0.0.1:{gunicorn.port}"
    elsewhere, violations = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: violations.append(message.text)
                    if "Content Security Policy" in message.text else None)

            def only_this_server(route):
                if route.request.url.startswith((origin, "blob:", "data:")):
                    route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    route.abort()

            page.route("**/*", only_this_server)
            response = page.goto(f"{origin}/api/v1/docs/")
            assert response.status == 200
            page.wait_for_selector("h1:has-text('Pumpjack API')", timeout=60_000)
            page.wait_for_selector("li[data-item-id]", timeout=30_000)  # the side menu, from the schema
            assert page.locator("li[data-item-id]").count() > 10
        finally:
            browser.close()
    # Redoc's menu links Redocly's logo from their CDN: the policy blocks that image, which is
    # fine (the page works without it). Any other blocked load (a script, a font, a style, the
    # schema) would be a page that needs another origin.
    assert elsewhere == [], elsewhere
    assert [text for text in violations if "img-src" not in text] == [], violations
