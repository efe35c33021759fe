"""The portal's lease pages (server side): who sees which lease, and the tank levels they show."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from tests.portal.conftest import assign, make_well

pytestmark = pytest.mark.django_db


@pytest.fixture
def leases(tenant_a, in_tenant):
    from wells.lease_services import tank_create, tank_gauge_record
    from wells.leases import Lease

    with in_tenant(tenant_a):
        on = Lease.objects.create(name="Route Lease", rrc_district="08", rrc_lease_number="100")
        off = Lease.objects.create(name="Other Lease")
        tank = tank_create(lease=on, data={"name": "Oil 01", "capacity_bbl": D(40), "height_inches": D(24),
                                           "strapping": [{"height_inches": 0, "barrels": 0},
                                                         {"height_inches": 24, "barrels": D("40.08")}]})
        tank_create(lease=on, data={"name": "Oil 02", "capacity_bbl": D(40), "height_inches": D(24)})
        tank_gauge_record(tank=tank, level=D("1.5"), unit="FT", gauged_at=datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc))
    well = make_well(tenant_a, name="Route 1H")
    with in_tenant(tenant_a):
        well.lease_ref = on
        well.save()
    assign(tenant_a, "OPERATOR", [well])
    return {"on": on, "off": off}


def test_a_lease_page_shows_each_tank_level_in_barrels_and_percent(portal_as, leases):
    page = portal_as("MANAGER").get(f"/leases/{leases['on'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    # 18 in of a 24 in table: 40.08 × 18 / 24 = 30.06 bbl, 75.15 % of 40 bbl, shown to 0.1 (half up).
    assert '<td class="nowrap level">1 ft 6 in</td>' in html
    assert '<td class="barrels">30.06</td>' in html and '<td class="percent">75.2 %</td>' in html
    assert "Not gauged yet" in html  # Oil 02
    assert "Route 1H" in html


def test_an_operator_sees_only_the_leases_of_their_route(portal_as, leases):
    client = portal_as("OPERATOR")
    listing = client.get("/leases/").content.decode()
    assert "Route Lease" in listing and "Other Lease" not in listing
    assert client.get(f"/leases/{leases['off'].pk}/").status_code == 404
    assert client.get(f"/leases/{leases['on'].pk}/").status_code == 200
    assert portal_as("MANAGER").get(f"/leases/{leases['off'].pk}/").status_code == 200

