"""make lint-js (run by make test before pytest): ESLint at the exact versions the committed
package.json and package-lock.json name, over sync/static/field/ without vendor/, failing on a
problem. Needs node_modules/ (make lint-js installs it with npm ci); without it these skip,
and under CI=true make lint-js has failed already."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ESLINT = REPO / "node_modules" / ".bin" / "eslint"


def test_eslint_and_its_plugins_are_pinned_to_exact_versions_in_package_json_and_its_lock():
    package = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    wanted = package["devDependencies"]
    assert {"eslint", "@eslint/js", "globals"} <= set(wanted)
    for name, version in wanted.items():
        assert version[0].isdigit(), f"{name} {version}: an exact version, no range"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert lock["packages"][""]["devDependencies"] == wanted
    assert "node_modules/" in (REPO / ".gitignore").read_text().split()


def _eslint(*paths: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    if not ESLINT.exists() or not shutil.which("node"):
        pytest.skip("node_modules/ is not installed: `make lint-js` installs it (npm ci)")
    return subprocess.run(["node", str(ESLINT), "--max-warnings", "0", *paths], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_the_field_apps_javascript_passes_the_linter():
    result = _eslint("sync/static/field/")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_fails_on_a_problem_and_ignores_vendored_code(tmp_path):
    field = tmp_path / "sync" / "static" / "field"
    (field / "vendor").mkdir(parents=True)
    shutil.copy(REPO / "eslint.config.js", tmp_path)
    (tmp_path / "node_modules").symlink_to(REPO / "node_modules")
    (field / "page.js").write_text(
        "var count = 1;\nif (count == 2) { missingFunction(); }\nnavigator.serviceWorker.register('/field/sw.js');\n")
    (field / "sw.js").write_text("self.addEventListener('fetch', (event) => event.respondWith(caches.match(event.request)));\n")
    (field / "vendor" / "lib.js").write_text("var x = 1 == 2; undefinedEverywhere();\n")
    result = _eslint("sync/static/field/", cwd=tmp_path)
    assert result.returncode == 1
    assert "no-var" in result.stdout and "eqeqeq" in result.stdout and "'missingFunction' is not defined" in result.stdout
    assert "vendor" not in result.stdout and "sw.js" not in result.stdout  # worker globals known; vendor/ skipped
    assert "navigator" not in result.stdout  # browser globals known
