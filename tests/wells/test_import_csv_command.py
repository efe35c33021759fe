"""python manage.py import_csv (API.md section 10 and 16), run as a real process: the API's result
on stdout (--json), --dry-run writes nothing, row errors on stderr with a non-zero exit and nothing
written. The command's process sees only committed rows, so this module commits its own tenant."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from tests.factories import make_tenant
from tests.wells.helpers import next_api_number
from wells.models import Well

pytestmark = [pytest.mark.django_db, pytest.mark.live]

_made: dict = {}


@pytest.fixture(scope="module")
def importers(django_db_setup, django_db_blocker):
    if not _made:
        with django_db_blocker.unblock():
            _made["handle"] = make_tenant(name="Import Importers", slug="importers")
    return _made["handle"]


def wells_in(handle, numbers) -> dict[str, Well]:
    with schema_context(handle.tenant.schema_name):
        return {w.api_number: w for w in Well.objects.filter(api_number__in=numbers)}


def test_a_dry_run_writes_nothing_then_the_import_creates_and_a_repeat_changes_nothing(live_env, importers, tmp_path):
    numbers = [next_api_number(), next_api_number()]
    path = tmp_path / "wells.csv"
    path.write_text("apiNumber,name,county\r\n" + "".join(f"{n},Command {i},Ector\r\n" for i, n in enumerate(numbers)),
                    encoding="utf-8-sig")
    args = ("import_csv", "--tenant", importers.tenant.slug, "--kind", "wells", str(path), "--json")
    dry = live_env.manage(*args, "--dry-run")
    assert json.loads(dry.stdout) == {"created": 2, "updated": 0, "unchanged": 0}
    assert wells_in(importers, numbers) == {}
    done = live_env.manage(*args)
    assert json.loads(done.stdout) == {"created": 2, "updated": 0, "unchanged": 0}
    assert {w.name for w in wells_in(importers, numbers).values()} == {"Command 0", "Command 1"}
    again = live_env.manage(*args)
    assert json.loads(again.stdout) == {"created": 0, "updated": 0, "unchanged": 2}
    path.write_text(f"apiNumber,status\n{numbers[0]},SHUT_IN\n", encoding="utf-8")
    human = live_env.manage("import_csv", "--tenant", importers.public_id, "--kind", "wells", str(path))
    assert "created 0, updated 1, unchanged 0." in human.stdout
    assert wells_in(importers, numbers)[numbers[0]].status == "SHUT_IN"


def test_row_errors_go_to_stderr_with_a_non_zero_exit_and_nothing_is_written(live_env, importers, tmp_path):
    good, bad = next_api_number(), "42-000-1"
    path = tmp_path / "bad.csv"
    path.write_text(f"apiNumber,name\n{good},Fine\n{bad},\n", encoding="utf-8")
    result = live_env.manage("import_csv", "--tenant", importers.tenant.slug, "--kind", "wells", str(path), "--json",
                             check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "1 row has errors; nothing was imported" in result.stderr
    assert "row 3, apiNumber:" in result.stderr and "row 3, name:" in result.stderr
    assert wells_in(importers, [good]) == {}


def test_a_missing_file_or_an_unknown_tenant_is_a_clear_error(live_env, importers, tmp_path):
    missing = live_env.manage("import_csv", "--tenant", importers.tenant.slug, "--kind", "wells",
                              str(tmp_path / "nope.csv"), check=False)
    assert missing.returncode != 0 and "No such file" in missing.stderr
    unknown = live_env.manage("import_csv", "--tenant", "no-such-tenant", "--kind", "wells",
                              str(tmp_path / "nope.csv"), check=False)
    assert unknown.returncode != 0 and unknown.stdout == ""


def test_the_file_may_come_on_standard_input(live_env, importers):
    import subprocess
    import sys
    from pathlib import Path

    number = next_api_number()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_csv", "--tenant", importers.tenant.slug, "--kind", "wells", "-", "--json"],
        input=f"apiNumber,name\n{number},From stdin\n".encode(), cwd=Path(__file__).resolve().parents[2],
        env=live_env.env, capture_output=True, timeout=120, check=True)
    assert json.loads(result.stdout) == {"created": 1, "updated": 0, "unchanged": 0}
    assert wells_in(importers, [number])[number].name == "From stdin"
