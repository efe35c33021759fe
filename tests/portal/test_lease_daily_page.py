"""The lease page's daily oil production (from gauges and run tickets, beside what the wells
reported) and its run tickets (API.md section 13)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from decimal import Decimal as D

import pytest

from tests.portal.conftest import assign, make_well

pytestmark = pytest.mark.django_db


def test_the_lease_page_shows_daily_production_beside_the_wells_and_the_run_tickets(portal_as, tenant_a, in_tenant):
    from wells.lease_services import run_ticket_record, tank_create, tank_gauge_record
    from wells.leases import Lease
    from wells.models import ProductionRecord
    from wells.selectors import tenant_today

    zone = zoneinfo.ZoneInfo(tenant_a.tenant.time_zone)
    today = tenant_today(tenant_a.tenant.time_zone)
    yesterday = today - timedelta(days=1)
    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Daily Lease", rrc_district="08", rrc_lease_number="777")
        tank = tank_create(lease=lease, data={"name": "Oil 01", "capacity_bbl": D(40), "height_inches": D(24),
                                              "strapping": [{"height_inches": 0, "barrels": 0},
                                                            {"height_inches": 24, "barrels": D("40.08")}]})
        tank_gauge_record(tank=tank, level=D(6), unit="IN", gauged_at=datetime.combine(yesterday - timedelta(days=1),
                                                                                      time(17), tzinfo=zone))
        tank_gauge_record(tank=tank, level=D(18), unit="IN", gauged_at=datetime.combine(yesterday, time(17), tzinfo=zone))
        run_ticket_record(tank=tank, data={
            "ticket_number": "PAGE-1", "kind": "TANK", "closed_at": datetime.combine(yesterday, time(18), tzinfo=zone),
            "observed_gravity_api": D("40.0"), "observed_temperature_f": D("60.0"), "bsw_percent": D("0.5"),
            "disposition": "1", "opening_level": D(18), "closing_level": D(12), "unit": "IN", "purchaser": "Plains"})
    well = make_well(tenant_a, name="Daily 1H")
    with in_tenant(tenant_a):
        well.lease_ref = lease
        well.save()
        ProductionRecord.objects.create(well=well, production_date=yesterday, product="OIL", volume=D("30.5"),
                                        unit="BBL", volume_normalized=D("30.5"))
    assign(tenant_a, "OPERATOR", [well])
    html = portal_as("OPERATOR").get(f"/leases/{lease.pk}/").content.decode()
    # Yesterday: the 17:00 gauge (18 in = 30.06 bbl) is the last of the day; the ticket at 18:00 ran
    # 30.06 − 20.04 = 10.02 bbl. Stock 30.06 − 10.02 (the day before, 6 in) + 10.02 = 30.06.
    row = html.split(f'data-day="{yesterday.isoformat()}"')[1].split("</tr>")[0]
    assert '<td class="stock">30.06</td>' in row and '<td class="runs">10.02</td>' in row
    assert '<td class="production">30.06</td>' in row and '<td class="reported">30.50</td>' in row
    today_row = html.split(f'data-day="{today.isoformat()}"')[1].split("</tr>")[0]
    assert 'est.' in today_row  # not gauged today: carried forward
    ticket = html.split('data-ticket="PAGE-1"')[1].split("</tr>")[0]
    assert "10.02" in ticket and "1.00000" in ticket and "Plains" in ticket


def test_the_demo_tickets_account_for_the_demo_production(tenant_a, in_tenant):
    """The demo's run tickets (one per haul) and gauges give back, day by day, the oil its wells
    reported: stock − previous stock + runs, to within the quarter inch a gauge is read to."""
    from wells.demo import demo_data_seed
    from wells.lease_demo import lease_demo_seed
    from wells.lease_selectors import lease_daily, wells_reported_oil
    from wells.leases import Lease, RunTicket
    from wells.selectors import tenant_today

    demo_data_seed(tenant=tenant_a.tenant, operator_email=tenant_a.users["OPERATOR"])
    counts = lease_demo_seed(tenant=tenant_a.tenant)
    assert counts["tickets"] == len(counts["runs"]) > 0
    assert lease_demo_seed(tenant=tenant_a.tenant)["tickets"] == 0  # seeded once
    zone = zoneinfo.ZoneInfo(tenant_a.tenant.time_zone)
    today = tenant_today(tenant_a.tenant.time_zone)
    with in_tenant(tenant_a):
        assert RunTicket.objects.count() == counts["tickets"]
        assert not RunTicket.objects.filter(gross_observed_bbl__lte=0).exists()
        lease = Lease.objects.get(name="Tarzan Unit")
        days = lease_daily(lease=lease, date_from=today - timedelta(days=88), date_to=today, time_zone=zone)
        reported = wells_reported_oil(wells=list(lease.wells.all()), date_from=today - timedelta(days=88),
                                      date_to=today)
        assert sum(1 for day in days if day.runs_bbl > 0) >= 5
        for day in days:
            assert not day.estimated
            # 5 tanks gauged to a quarter inch (~0.42 bbl) twice, plus the tickets' own two gauges.
            assert abs(day.production_bbl - reported.get(day.date, D(0))) < D("7"), day
