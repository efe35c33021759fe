"""A pumper fixes a volume typed too high after it was synced: `pumpjack-field edit` sends a
correction (API.md section 6), the live server's real worker applies it although HIGHEST_VALUE
would refuse a lower value from any other event, `status` shows it, and the wells API serves the
corrected record with the old one kept as superseded."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from tests.client.harness import Device, make_route, server_events

pytestmark = pytest.mark.live


def test_editing_a_synced_volume_on_the_command_line_corrects_it_on_the_server(
        live_web, workers, e2e_tenant, django_db_blocker, tmp_path):
    from sync.models import Correction
    from tests.e2e.conftest import committed
    from tests.factories import PASSWORD
    from wells.models import ProductionRecord

    route = make_route(django_db_blocker, e2e_tenant)
    well = route.wells[0]
    pumper = Device(name="tablet-fix", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant,
                    email=route.operators[0])
    pumper.cli("login", "--tenant", e2e_tenant.public_id, "--secret", e2e_tenant.secret, "--email", pumper.email,
               "--password", PASSWORD, "--server", live_web.url)
    pumper.cli("pull")
    workers.start(concurrency=1)

    typo = json.loads(pumper.cli("record", "production", "--well", well.api_number, "--product", "OIL",
                                 "--volume", "1250", "--json").stdout)
    pumper.cli("sync")
    assert server_events(django_db_blocker, e2e_tenant, [typo["id"]]) == {typo["id"]: "APPLIED"}

    edited = json.loads(pumper.cli("edit", typo["id"][:8], "--set", "volume=125", "--json").stdout)
    assert edited["correctsEventId"] == typo["id"] and edited["replaces"] is None
    before = json.loads(pumper.cli("status", "--json").stdout)
    assert before["corrections"]["unsent"] == 1 and before["unsynced"] == 1
    assert "Corrections:       1 (1 unsent" in pumper.cli("status").stdout

    synced = pumper.cli("sync")
    assert "1 accepted" in synced.stdout
    assert server_events(django_db_blocker, e2e_tenant, [edited["id"]]) == {edited["id"]: "APPLIED"}
    after = json.loads(pumper.cli("status", "--json").stdout)
    assert after["corrections"] == {"total": 1, "unsent": 0, "awaitingOutcome": 0, "outcomes": {"APPLIED": 1}}
    assert [(e["id"], e["state"]) for e in after["correctionEvents"]] == [(edited["id"], "APPLIED")]
    assert f"correction {edited['id']} of {typo['id']} (PRODUCTION_LOGGED): APPLIED" in pumper.cli("status").stdout

    with committed(django_db_blocker, e2e_tenant):
        records = {str(r.source_event_id): r for r in ProductionRecord.objects.filter(well=well)}
        assert records[edited["id"]].superseded_by_id is None and records[edited["id"]].volume == Decimal("125")
        assert records[typo["id"]].superseded_by_id == records[edited["id"]].pk  # kept, superseded
        audit = Correction.objects.get(event__event_id=edited["id"])
        assert audit.old_values["volume"] == "1250.000" and audit.new_values["volume"] == "125.000"

    # The wells API (what the portal and reports read) serves the corrected record as current.
    token = json.loads((pumper.folder / "credentials.json").read_text())["access"]
    listed = requests.get(f"{live_web.url}/api/v1/wells/{well.pk}/production/", timeout=30,
                          headers={"Authorization": f"Bearer {token}", **_tenant_headers(e2e_tenant)}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    current = [r for r in rows if r["supersededBy"] is None]
    assert [(r["sourceEventId"], Decimal(str(r["volume"]))) for r in current] == [(edited["id"], Decimal("125"))]
    assert {r["sourceEventId"] for r in rows} == {typo["id"], edited["id"]}


def _tenant_headers(handle) -> dict:
    return {key.removeprefix("HTTP_").replace("_", "-").title(): value for key, value in handle.headers().items()}
