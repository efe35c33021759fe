"""The month close in the portal (server side): the printable Form PR page and its CSV download,
the month-close section of a lease's page and its form for a manual disposition; MANAGER and ADMIN
only. The October below, by hand (a tank strapped at 1 bbl per inch): 40 bbl on 30 September,
a 70 bbl truck ticket (90 → 20 in) on 11 October, 65 bbl gauged on 31 October: production
65 − 40 + 70 = 95, ending 40 + 95 − 70 = 65."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import datetime
from decimal import Decimal as D

import pytest

from tests.portal.conftest import assign, make_well

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.fixture
def lease(tenant_a, in_tenant):
    from wells.lease_services import run_ticket_record, tank_create, tank_gauge_record
    from wells.leases import Lease

    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Tarzan Unit", rrc_district="08", rrc_lease_number="41210")
        tank = tank_create(lease=lease, data={"name": "Oil 01", "capacity_bbl": D(100), "height_inches": D(100),
                                              "strapping": [{"height_inches": 0, "barrels": 0},
                                                            {"height_inches": 100, "barrels": 100}]})
        for level, day in ((40, datetime(2026, 9, 30, 18, tzinfo=CHICAGO)), (90, datetime(2026, 10, 10, 18, tzinfo=CHICAGO)),
                           (65, datetime(2026, 10, 31, 18, tzinfo=CHICAGO))):
            tank_gauge_record(tank=tank, level=D(level), unit="IN", gauged_at=day)
        run_ticket_record(tank=tank, data={
            "ticket_number": "T-1", "kind": "TANK", "closed_at": datetime(2026, 10, 11, 9, tzinfo=CHICAGO),
            "observed_gravity_api": D("40.0"), "observed_temperature_f": D("60.0"), "bsw_percent": D("0.30"),
            "disposition": "1", "opening_level": D(90), "closing_level": D(20), "unit": "IN"})
    well = make_well(tenant_a, name="Tarzan 101H")
    with in_tenant(tenant_a):
        well.lease_ref = lease
        well.save()
    assign(tenant_a, "OPERATOR", [well])
    return lease


def test_the_form_pr_page_shows_each_lease_in_the_rrc_shape_and_prints(portal_as, lease):
    page = portal_as("MANAGER").get("/leases/form-pr/?month=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Texas RRC Form PR: October 2026" in html
    assert "District 08 · Lease 41210" in html
    assert '<td class="num" data-item="beginning">40</td>' in html
    assert '<td class="num" data-item="production">95</td>' in html
    assert '<td class="num" data-code="1">70</td>' in html and "Disposition 1: Truck" in html
    assert '<td class="num" data-item="ending">65</td>' in html
    assert "@media print" in html and 'href="/leases/form-pr.csv?month=2026-10"' in html
    # A month not begun, or not a month, falls back to the last full month and says so.
    assert "is not a month that has begun" in portal_as("ADMIN").get("/leases/form-pr/?month=2099-01").content.decode()
    assert "is not a month written YYYY-MM" in portal_as("ADMIN").get("/leases/form-pr/?month=nope").content.decode()


def test_the_portal_csv_is_the_api_csv(portal_as, lease):
    download = portal_as("MANAGER").get("/leases/form-pr.csv?month=2026-10")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="form-pr-2026-10.csv"'
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(r["lease_name"], r["liquid_beginning_stock_bbl"], r["liquid_production_bbl"],
             r["liquid_disposition_1_bbl"], r["liquid_ending_stock_bbl"]) for r in rows] == [
        ("Tarzan Unit", "40", "95", "70", "65")]


def test_an_operator_is_refused_the_form_pr_and_sees_no_month_close(portal_as, lease):
    client = portal_as("OPERATOR")
    assert client.get("/leases/form-pr/").status_code == 403
    assert client.get("/leases/form-pr.csv").status_code == 403
    listing = client.get("/leases/").content.decode()
    assert "Tarzan Unit" in listing and "Form PR" not in listing
    page = client.get(f"/leases/{lease.pk}/?month=2026-10").content.decode()
    assert "Tarzan Unit" in page and "Month close" not in page
    refused = client.submit(f"/leases/{lease.pk}/dispositions/", {"month": "2026-10", "disposition": "GAS:10",
                                                                   "volume": "5"})
    assert refused.status_code == 403


def test_a_manager_adds_a_disposition_on_the_lease_page_and_the_balance_shows_the_problem(portal_as, lease, in_tenant,
                                                                                          tenant_a):
    from wells.leases import Disposition

    client = portal_as("MANAGER")
    assert 'id="form-pr-link"' in client.get("/leases/").content.decode()
    page = client.get(f"/leases/{lease.pk}/?month=2026-10").content.decode()
    assert "Month close: October 2026" in page and 'id="month-close-ok"' in page
    assert '<option value="GAS:10">10 Flared</option>' in page and 'value="GAS:4"' not in page
    assert 'value="CONDENSATE:' not in page  # an OIL lease

    added = client.submit(f"/leases/{lease.pk}/dispositions/", {"month": "2026-10", "disposition": "OIL:3",
                                                                 "volume": "10", "note": "lease use"})
    assert added.status_code == 302
    assert added["Location"] == f"/leases/{lease.pk}/?month=2026-10#month-close"
    with in_tenant(tenant_a):
        entry = Disposition.objects.get()
        assert (entry.product, entry.code, entry.volume, entry.note) == ("OIL", "3", D(10), "lease use")
        assert entry.recorded_by.email == tenant_a.users["MANAGER"]
    page = client.get(added["Location"]).content.decode()
    # 40 + 95 − (70 + 10) = 55, gauged 65.
    assert '<td class="num" data-item="ending"><strong>55</strong></td>' in page
    assert 'data-problem="stock_mismatch"' in page and "lease use" in page

    bad = client.submit(f"/leases/{lease.pk}/dispositions/", {"month": "2099-01", "disposition": "GAS:4",
                                                               "volume": "0"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "A month written YYYY-MM that has begun." in html and "Select a valid choice" in html
    with in_tenant(tenant_a):
        assert Disposition.objects.count() == 1


def test_a_manager_withdraws_a_mistaken_disposition_from_the_lease_page(portal_as, lease, in_tenant, tenant_a):
    from wells.disposition_services import disposition_record
    from wells.leases import Disposition

    with in_tenant(tenant_a):
        entry = disposition_record(lease=lease, month=datetime(2026, 10, 1).date(), product="OIL", code="5",
                                   volume=D(500))
    client = portal_as("MANAGER")
    page = client.get(f"/leases/{lease.pk}/?month=2026-10").content.decode()
    assert 'data-problem="dispositions_exceed_available"' in page and f'data-withdraw="{entry.pk}"' in page
    assert portal_as("OPERATOR").submit(f"/leases/{lease.pk}/dispositions/{entry.pk}/withdraw/").status_code == 403
    done = client.submit(f"/leases/{lease.pk}/dispositions/{entry.pk}/withdraw/")
    assert done.status_code == 302 and done["Location"].endswith("?month=2026-10#month-close")
    page = client.get(done["Location"]).content.decode()
    assert 'id="month-close-ok"' in page and "Withdrew 500.00 bbl of oil, code 5" in page
    assert client.submit(f"/leases/{lease.pk}/dispositions/{entry.pk}/withdraw/").status_code == 404
    with in_tenant(tenant_a):
        assert Disposition.objects.get(pk=entry.pk).deleted_by.email == tenant_a.users["MANAGER"]
