"""The field app's pages on the server (API.md section 17): the shell and the service worker on a
tenant's sub-domain only, their caching headers, the manifest, and the shell's transfer size."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from sync.field_views import SHELL_FILES, shell_version

pytestmark = pytest.mark.django_db


def test_the_shell_is_served_on_the_tenants_sub_domain_with_its_name_and_id(tenant_a):
    response = Client(HTTP_HOST=tenant_a.host).get("/field/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-tenant-id="{tenant_a.public_id}"' in html and "Log in" not in html  # the form is drawn by the app
    assert f"<title>Pumpjack field · {tenant_a.tenant.name}</title>" in html
    assert '<link rel="manifest" href="/static/field/manifest.webmanifest">' in html
    assert response["Cache-Control"] == "private, no-cache"
    assert "<script>" not in html and "script-src 'self'" in response["Content-Security-Policy"]  # no inline script


def test_the_base_domain_has_no_field_app():
    assert Client(HTTP_HOST="localhost").get("/field/").status_code == 404
    assert Client(HTTP_HOST="localhost").get("/field/sw.js").status_code == 404


def test_the_service_worker_is_scoped_to_the_app_and_names_its_versioned_shell(tenant_a):
    response = Client(HTTP_HOST=tenant_a.host).get("/field/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "private, no-cache"  # served at /field/sw.js: its scope is /field/
    body = response.content.decode()
    version = re.search(r'^const SHELL_VERSION = "([0-9a-f]{16})";$', body, re.M).group(1)
    assert version == shell_version()
    urls = json.loads(re.search(r"^const SHELL_URLS = (\[.*\]);$", body, re.M).group(1))
    assert urls[0] == "/field/" and "/static/field/app.js" in urls and "/static/field/validate.js" in urls
    assert "pumpjack-field-${SHELL_VERSION}" in body
    assert Client(HTTP_HOST=tenant_a.host).post("/field/sw.js").status_code == 405


def test_the_manifest_makes_an_installable_app_for_the_field_scope():
    manifest = json.loads(open(finders.find("field/manifest.webmanifest")).read())
    assert manifest["start_url"] == manifest["scope"] == "/field/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        path = finders.find("field/" + icon["src"])
        assert path, icon
        if icon["type"] == "image/png":
            head = open(path, "rb").read(24)
            width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
            assert head[:8] == b"\x89PNG\r\n\x1a\n" and f"{width}x{height}" == icon["sizes"]


def test_the_app_shell_is_far_under_300_kb_compressed(tenant_a):
    """Issue 16's budget: the whole shell (page, modules, styles, manifest, icons), gzip-compressed
    as WhiteNoise serves it, under 300 KB."""
    page = Client(HTTP_HOST=tenant_a.host).get("/field/").content
    sizes = {"/field/": len(gzip.compress(page, 9))}
    for name in SHELL_FILES:
        path = finders.find(name)
        assert path, f"{name} is missing"
        data = open(path, "rb").read()
        compressed = len(gzip.compress(data, 9))
        sizes[name] = min(len(data), compressed)  # PNGs are compressed already: served as they are
    total = sum(sizes.values())
    print(f"\nfield app shell: {total / 1024:.1f} KB compressed over {len(sizes)} files")
    assert total < 300 * 1024
