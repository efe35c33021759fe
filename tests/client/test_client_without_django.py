"""The field client runs on a laptop where Django is not installed: the payload schemas
(sync.schemas), the value domains under them (wells.domain) and the whole command line import and
validate there (issue 11 part 2: the schemas stay importable without Django)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

NO_DJANGO = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("django", "rest_framework", "celery"):
            raise ImportError("no " + name + " on this laptop")
sys.meta_path.insert(0, Refuse())
import sync.client.cli  # noqa: F401  (every command's module)
from sync.schemas import validate_event_payload
from wells.domain import Product
ok, errors = validate_event_payload("PRODUCTION_LOGGED", {
    "wellId": "6f1c2a9e-0d7b-4c55-9a43-2f0e8b1d7c11", "productionDate": "2026-11-30",
    "product": "OIL", "volume": "120.5", "unit": "BBL"})
bad, bad_errors = validate_event_payload("PRODUCTION_LOGGED", {"wellId": "x", "product": "OIL"})
print(errors == {}, str(ok["volume"]), sorted(bad_errors)[:2], Product.choices[0])
"""


def test_schemas_domain_and_client_import_and_validate_without_django():
    done = subprocess.run([sys.executable, "-c", NO_DJANGO], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "True 120.500 ['productionDate', 'unit'] ('OIL', 'Oil')"
