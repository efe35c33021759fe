"""A pumper's tank gauge and run ticket from the command line (`pumpjack-field record gauge` and
`record run-ticket`) through the live server and a real Celery worker (API.md section 13): stored
with the level in inches, the ticket's volumes computed, a level above the table refused at once."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from tests.client.harness import Device, make_route
from tests.e2e.test_field_cli import _login_args

pytestmark = pytest.mark.live


def test_a_gauge_and_a_run_ticket_from_the_command_line(live_web, workers, e2e_tenant, django_db_blocker, tmp_path):
    from tests.e2e.conftest import committed
    from wells.leases import Lease, RunTicket, StrappingRow, Tank, TankGauge

    route = make_route(django_db_blocker, e2e_tenant)
    with committed(django_db_blocker, e2e_tenant):
        lease = Lease.objects.create(name=f"E2E lease {route.wells[0].pk.hex[:6]}")
        route.wells[0].lease_ref = lease
        route.wells[0].save()
        tank = Tank.objects.create(lease=lease, name="Oil 1", capacity_bbl=D(400), height_inches=D(240))
        StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=D(h), barrels=D(h) * D("1.67"))
                                          for h in range(0, 241, 12)])
    pumper = Device(name="tablet-t", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant,
                    email=route.operators[0])
    pumper.cli(*_login_args(e2e_tenant, pumper.email), "--server", live_web.url, "--json")
    pumper.cli("pull", "--server", live_web.url)  # the route's leases and tanks come with the feed
    offline = ["--server", "http://127.0.0.1:9"]
    gauge = json.loads(pumper.cli("record", "gauge", "--tank", str(tank.pk), "--level", "12ft 4-1/4in",
                                  "--temperature", "70", *offline, "--json").stdout)
    high = json.loads(pumper.cli("record", "gauge", "--tank", str(tank.pk), "--level", "21ft", "--at",
                                 "2026-11-20T15:00:00Z", *offline, "--json").stdout)
    # By the tank's name, from the pulled tanks (the id works too, as above).
    ticket = json.loads(pumper.cli("record", "run-ticket", "--tank", "oil 1", "--number", "E2E-1",
                                   "--gravity", "40.0", "--temperature", "60", "--bsw", "0.5", "--disposition", "1",
                                   "--opening", "12ft 4-1/4in", "--closing", "1ft", "--seals-removed", "S1",
                                   *offline, "--json").stdout)
    bad = pumper.cli("record", "gauge", "--tank", str(tank.pk), "--level", "12ft 13in", *offline, check=False)
    assert bad.returncode != 0 and "the inches after feet must be under 12" in bad.stderr

    workers.start(concurrency=1)
    synced = pumper.cli("sync")
    assert "3 events" in synced.stdout and "1 rejected" in synced.stdout, synced.stdout
    assert "level_out_of_range" in synced.stdout
    with committed(django_db_blocker, e2e_tenant):
        stored = TankGauge.objects.get(source_event_id=gauge["id"])
        assert stored.level_inches == D("148.25") and stored.unit == "IN"
        assert not TankGauge.objects.filter(source_event_id=high["id"]).exists()
        run = RunTicket.objects.get(source_event_id=ticket["id"])
        # 148.25 in and 12 in on a table of 1.67 bbl per inch: (148.25 − 12) × 1.67 = 227.54 bbl.
        assert run.gross_observed_bbl == D("227.54") and run.ctl == D("1.00000") and run.seals_removed == ["S1"]
