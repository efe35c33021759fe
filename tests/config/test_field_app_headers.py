"""The headers the field web app (/field/, API.md section 17) stands on: the site-wide
Content-Security-Policy already grants what the app needs (scripts, workers, fetches and the
manifest from its own origin; images from blob: and data: URLs, for photos taken offline) and
nothing more, on /field/ as everywhere; and Chromium, given that policy, runs the app's module
scripts and refuses inline scripts and other origins."""

from __future__ import annotations

import os

import pytest

from config.middleware import CONTENT_SECURITY_POLICY

NEEDED = {
    "script-src": {"'self'"},
    "worker-src": {"'self'"},
    "connect-src": {"'self'"},
    "img-src": {"'self'", "blob:", "data:"},
    "manifest-src": {"'self'"},
}


def directives(policy: str) -> dict[str, set[str]]:
    out = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        out[name] = set(sources)
    return out


@pytest.mark.parametrize("path", ["/field/", "/field/sw.js", "/field/manifest.webmanifest", "/static/field/validate.js",
                                  "/api/v1/sync/schemas"])
def test_field_app_paths_carry_a_policy_that_grants_what_the_app_needs_and_no_inline_script(client, tenant_a, db,
                                                                                            path):
    response = client.get(path, HTTP_HOST=tenant_a.host)
    assert response.status_code < 500
    policy = directives(response["Content-Security-Policy"])
    for directive, sources in NEEDED.items():
        assert sources <= policy[directive], (path, directive, policy[directive])
    assert policy["script-src"] == {"'self'"}  # no inline script, no eval, no CDN
    assert policy["connect-src"] == {"'self'"} and policy["default-src"] == {"'self'"}
    assert "Service-Worker-Allowed" not in response  # the worker is served at /field/sw.js: scope /field/
    assert "camera=(self)" in response["Permissions-Policy"] and "geolocation=(self)" in response["Permissions-Policy"]


@pytest.fixture(scope="module")
def chromium():
    from tests.portal.conftest import CHROMIUM_ARGS, _browser_missing

    path = os.environ.get("PUMPJACK_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _browser_missing(f"No Chromium at {path}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


PAGE = """<!doctype html><title>field</title>
<script>window.inlineRan = true;</script>
<script type="module" src="/field/app.js"></script>"""
APP = """
window.moduleRan = true;
const own = await fetch("/field/data.json").then((r) => r.json()).then((d) => d.ok, () => false);
const other = await fetch("http://elsewhere.localhost:9/x").then(() => true, () => false);
const blob = URL.createObjectURL(new Blob([Uint8Array.from(atob(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="), c => c.charCodeAt(0))],
  {type: "image/png"}));
const image = await new Promise((done) => { const i = new Image(); i.onload = () => done(true);
  i.onerror = () => done(false); i.src = blob; });
const worker = await new Promise((done) => { const w = new Worker("/field/worker.js");
  w.onmessage = (e) => done(e.data); w.onerror = () => done("refused"); });
window.results = {own, other, image, worker};
"""


def test_chromium_under_the_policy_runs_the_apps_modules_and_refuses_inline_script_and_other_origins(chromium):
    origin = "http://field.localhost:8123"
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    bodies = {"/field/": (PAGE, "text/html"), "/field/app.js": (APP, "text/javascript"),
              "/field/data.json": ('{"ok": true}', "application/json"),
              "/field/worker.js": ("postMessage('worker ran')", "text/javascript")}
    page = chromium.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)

    def serve(route):
        path = route.request.url.removeprefix(origin)
        if path in bodies:
            body, kind = bodies[path]
            route.fulfill(body=body, content_type=kind, headers=headers)
        else:
            route.abort()

    page.route(f"{origin}/**", serve)
    page.route("http://elsewhere.localhost:9/**", lambda route: route.fulfill(body="{}", headers=headers))
    page.goto(f"{origin}/field/")
    page.wait_for_function("() => window.results !== undefined")
    assert page.evaluate("() => window.moduleRan") is True
    assert page.evaluate("() => window.inlineRan === undefined")  # inline script refused
    assert page.evaluate("() => window.results") == {"own": True, "other": False, "image": True, "worker": "worker ran"}
    assert any("inline script" in text or "script-src" in text for text in violations), violations
    assert any("connect-src" in text for text in violations), violations
    page.close()
