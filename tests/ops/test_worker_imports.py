"""What a web worker imports before its first request (config.wsgi, with config.warmup importing every
view): a module only one rarely opened page needs is imported by that page, not by every worker
(issue 12's worker RSS: each such module is memory in every worker process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Imported where they are used, never at start-up: the QR code of a new tenant secret (segno, half
# a megabyte) is drawn on one portal page.
LAZY = ("segno",)


def test_a_web_worker_does_not_import_what_one_page_needs():
    code = ("import json, sys; import config.wsgi; "
            f"print(json.dumps([m for m in {list(LAZY)!r} if m in sys.modules]))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported == [], f"imported at start-up: {imported}"


def test_the_qr_code_page_still_draws_its_code():
    from accounts.views import field_app_qr_svg

    svg = field_app_qr_svg("https://example.test/field/#secret=abc")
    assert svg.startswith("<svg") and "field-qr" in svg
