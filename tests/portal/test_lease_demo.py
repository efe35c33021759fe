"""The demo leases (wells.lease_demo, run by seed_demo): leases linked to the demo wells, 400 bbl
tanks strapped in quarter inches, 90 days of gauges consistent with the wells' oil production."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal as D

import pytest

from wells.demo import demo_data_seed
from wells.lease_demo import lease_demo_seed

pytestmark = pytest.mark.django_db


def test_demo_leases_tanks_and_gauges_match_production_and_are_seeded_once(tenant_a, in_tenant):
    from wells.lease_selectors import tank_levels
    from wells.lease_services import strapping_rows
    from wells.leases import Lease, Tank, TankGauge
    from wells.models import ProductionRecord, Well
    from wells.strapping import barrels_at

    demo_data_seed(tenant=tenant_a.tenant, operator_email=tenant_a.users["OPERATOR"])
    counts = lease_demo_seed(tenant=tenant_a.tenant)
    assert counts["leases"] == 3 and counts["tanks"] == 25 and counts["gauges"] == 25 * 90
    assert lease_demo_seed(tenant=tenant_a.tenant) == {"leases": 0, "tanks": 0, "gauges": 0, "tickets": 0, "runs": [],
                                                          "dispositions": 0}
    with in_tenant(tenant_a):
        assert Lease.objects.count() == 3
        assert not Well.objects.filter(lease_ref__isnull=True).exists()
        lease = Lease.objects.get(name="Tarzan Unit")
        oil_tanks = list(Tank.objects.filter(lease=lease, product="OIL"))
        rows = strapping_rows(oil_tanks[0])
        assert len(rows) == 961
        stock = defaultdict(D)
        for gauge in TankGauge.objects.filter(tank__in=oil_tanks).select_related("tank"):
            day = gauge.gauged_at.astimezone(__import__("zoneinfo").ZoneInfo(tenant_a.tenant.time_zone)).date()
            stock[day] += barrels_at(rows, gauge.level_inches)
        production = defaultdict(D)
        for day, volume in ProductionRecord.objects.filter(well__lease_ref=lease, product="OIL").values_list(
                "production_date", "volume_normalized"):
            production[day] += volume
        hauled = defaultdict(D)
        for run in counts["runs"]:
            if run["lease"] == "Tarzan Unit":
                hauled[__import__("datetime").date.fromisoformat(run["date"])] += D(run["barrels"])
        days = sorted(stock)
        assert len(days) == 90
        for previous, day in zip(days, days[1:]):
            reconstructed = stock[day] - stock[previous] + hauled[day]
            # Each tank's gauge is read to a quarter inch (~0.42 bbl): 5 tanks, twice.
            assert abs(reconstructed - production[day]) < D("4.5"), (day, reconstructed, production[day])
        assert all(level.percent is not None and D(0) < level.percent <= D(100)
                   for level in tank_levels(tanks=Tank.objects.filter(lease=lease)))


def test_the_demo_s_last_full_month_closes_on_form_pr_with_no_problem(tenant_a, in_tenant):
    """Oil balances by construction (gauged stock − previous + runs, every day gauged); the
    casinghead gas of each ended month is disposed of in whole MCF (fuel, flared, plant)."""
    import zoneinfo

    from wells.balance_selectors import form_pr
    from wells.leases import Disposition, Lease
    from wells.report_views import last_full_month
    from wells.selectors import tenant_today

    demo_data_seed(tenant=tenant_a.tenant, operator_email=tenant_a.users["OPERATOR"])
    counts = lease_demo_seed(tenant=tenant_a.tenant)
    assert counts["dispositions"] > 0
    zone = zoneinfo.ZoneInfo(tenant_a.tenant.time_zone)
    today = tenant_today(tenant_a.tenant.time_zone)
    month = last_full_month(today)
    with in_tenant(tenant_a):
        report = form_pr(leases=Lease.objects.filter(deleted_at__isnull=True), month=month, time_zone=zone,
                         today=today)
        assert report.problems == [] and len(report.rows) == 3
        for row in report.rows:
            assert row.oil.ending_stock == row.oil.gauged_stock
            assert row.oil.beginning_stock + row.oil.production - sum(d.volume for d in row.oil.dispositions) \
                == row.oil.ending_stock
            assert row.oil.production > 0 and [d.code for d in row.oil.dispositions] == ["1"]  # trucked
            assert row.gas.production > 0
            assert sum(d.volume for d in row.gas.dispositions) == row.gas.production
            assert [d.code for d in row.gas.dispositions] == ["1", "3", "10"]
            assert row.oil.estimated_days == 0
        assert Disposition.objects.filter(code="10", note__startswith="AR").exists()
