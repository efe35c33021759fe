"""What a web worker imports before its first request (config.wsgi, with config.warmup importing every
view): a module only one rarely opened page needs is imported by that page, not by every worker
(issue 12's worker RSS: each such module is memory in every worker process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Imported where they are used, never at start-up: the QR code of a new tenant secret (segno, half
# a megabyte) is drawn on one portal page.
LAZY = ("segno",)


def _in_a_fresh_worker(code: str):
    """What ``code`` (run in a new Python process, the test settings) prints last, as JSON."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_web_worker_does_not_import_what_one_page_needs():
    imported = _in_a_fresh_worker("import json, sys; import config.wsgi; "
                                  f"print(json.dumps([m for m in {list(LAZY)!r} if m in sys.modules]))")
    assert imported == [], f"imported at start-up: {imported}"


def test_the_qr_code_page_still_draws_its_code():
    from accounts.views import field_app_qr_svg

    svg = field_app_qr_svg("https://example.test/field/#secret=abc")
    assert svg.startswith("<svg") and "field-qr" in svg


# Django REST framework's optional imports (config.lean_imports): installed here by the test and
# client extras, never used by a JSON-only API.
@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_a_web_worker_leaves_out_what_django_rest_framework_would_import_and_never_use(entry_point):
    seen = _in_a_fresh_worker(
        f"import json, sys; import {entry_point}; import rest_framework.compat as compat; "
        "loaded = [m for m in ('requests', 'pygments', 'markdown') if m in sys.modules]; "
        "import requests, pygments; "  # installed here: still importable by any other code
        "print(json.dumps({'compat': [compat.requests is None, compat.pygments is None, compat.markdown is None], "
        "'loaded': loaded, 'later': [requests.__name__, pygments.__name__]}))")
    assert seen == {"compat": [True, True, True], "loaded": [], "later": ["requests", "pygments"]}


def test_django_rest_framework_still_answers_in_such_a_worker():
    # A view with the project's API settings (renderers, negotiation, error handler), called without
    # the database: Django REST framework works without the extras it was kept from.
    seen = _in_a_fresh_worker(
        "import json; import config.wsgi; from django.test import RequestFactory; "
        "from rest_framework.response import Response; from rest_framework.views import APIView\n"
        "class Ping(APIView):\n"
        "    authentication_classes = permission_classes = []\n"
        "    def get(self, request):\n"
        "        return Response({'ok': True})\n"
        "response = Ping.as_view()(RequestFactory().get('/ping', HTTP_ACCEPT='application/json')); response.render()\n"
        "print(json.dumps([response.status_code, response['Content-Type'], json.loads(response.content)]))")
    assert seen[0] == 200 and seen[1].startswith("application/json") and seen[2] == {"ok": True}


def test_the_browsable_api_would_keep_markdown_and_pygments(settings):
    from config import lean_imports as lean

    assert lean.unused_extras() == lean.UNUSED_ALWAYS + lean.UNUSED_WITHOUT_BROWSABLE_API  # JSON only, as configured
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]}
    assert lean.unused_extras() == lean.UNUSED_ALWAYS
    settings.REST_FRAMEWORK = {key: value for key, value in settings.REST_FRAMEWORK.items()
                               if key != "DEFAULT_RENDERER_CLASSES"}  # DRF's defaults: browsable too
    assert lean.unused_extras() == lean.UNUSED_ALWAYS


def test_a_package_hidden_before_stays_hidden():
    # bench/_production_like.py hides the extras' packages for the whole process (a server install).
    seen = _in_a_fresh_worker(
        "import json, sys; sys.modules['requests'] = None; import config.wsgi; "
        "print(json.dumps(sys.modules.get('requests', 'absent')))")
    assert seen is None
