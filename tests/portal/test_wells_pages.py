"""The wells list (filters, paging, an OPERATOR's route) and a well's page (attributes, the
production chart drawn as inline SVG, equipment, recent field records)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest

from tests.portal.conftest import assign, make_production, make_well

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    return re.findall(rb'<a href="/wells/[0-9a-f-]{36}/">([^<]+)</a>', response.content)


@pytest.fixture
def wells(tenant_a):
    return [
        make_well(tenant_a, name="Tarzan Unit 1H", lease="Tarzan Unit", field="Spraberry", status="ACTIVE",
                  api_number="42317412100000"),
        make_well(tenant_a, name="Tarzan Unit 2H", lease="Tarzan Unit", field="Spraberry", status="SHUT_IN"),
        make_well(tenant_a, name="Greenwood 1H", lease="Greenwood Ranch", field="Spraberry", status="ACTIVE"),
        make_well(tenant_a, name="Toyah Draw 1H", lease="Toyah Draw", field="Phantom", status="PLUGGED"),
    ]


def test_the_list_shows_every_well_with_a_link_to_its_page(portal_as, wells):
    response = portal_as("MANAGER").get("/wells/")
    assert response.status_code == 200
    assert listed(response) == [b"Greenwood 1H", b"Tarzan Unit 1H", b"Tarzan Unit 2H", b"Toyah Draw 1H"]
    assert f'href="/wells/{wells[0].pk}/"'.encode() in response.content
    assert b"42-317-41210-00-00" in response.content  # API numbers written the usual way


@pytest.mark.parametrize(
    ("query", "expected"),
    [("status=ACTIVE", [b"Greenwood 1H", b"Tarzan Unit 1H"]),
     ("lease=Tarzan+Unit", [b"Tarzan Unit 1H", b"Tarzan Unit 2H"]),
     ("field=Phantom", [b"Toyah Draw 1H"]),
     ("search=greenwood", [b"Greenwood 1H"]),
     ("search=42-317-41210", [b"Tarzan Unit 1H"]),
     ("lease=Tarzan+Unit&status=SHUT_IN", [b"Tarzan Unit 2H"]),
     ("status=ACTIVE&field=Phantom", [])],
)
def test_the_list_filters_by_status_lease_field_and_search(portal_as, wells, query, expected):
    response = portal_as("MANAGER").get(f"/wells/?{query}")
    assert response.status_code == 200
    assert listed(response) == expected
    if not expected:
        assert b"No wells match these filters" in response.content


def test_the_filters_offer_the_leases_and_fields_of_the_visible_wells(portal_as, wells):
    html = portal_as("MANAGER").get("/wells/").content.decode()
    lease_select = re.search(r'<select name="lease".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', lease_select) == ["", "Greenwood Ranch", "Tarzan Unit", "Toyah Draw"]


def test_an_unknown_filter_value_shows_no_wells_rather_than_all(portal_as, wells):
    response = portal_as("MANAGER").get("/wells/?lease=Somebody+Else")
    assert listed(response) == []
    assert b"Select a valid choice" in response.content


def test_the_list_pages_by_50_and_keeps_the_filters(portal_as, tenant_a):
    for n in range(55):
        make_well(tenant_a, name=f"Pager {n:02d}H", lease="Pager Lease")
    make_well(tenant_a, name="Other lease 1H", lease="Other")
    client = portal_as("ADMIN")
    first = client.get("/wells/?lease=Pager+Lease")
    assert len(listed(first)) == 50
    assert b"55 wells, showing 1\xe2\x80\x9350" in first.content
    assert b'href="?lease=Pager+Lease&amp;page=2"' in first.content
    second = client.get("/wells/?lease=Pager+Lease&page=2")
    assert listed(second) == [f"Pager {n}H".encode() for n in range(50, 55)]


def test_an_operator_lists_only_the_wells_on_their_route(portal_as, tenant_a, wells):
    assign(tenant_a, "OPERATOR", wells[:2])
    client = portal_as("OPERATOR")
    response = client.get("/wells/")
    assert listed(response) == [b"Tarzan Unit 1H", b"Tarzan Unit 2H"]
    assert b"Wells on your route" in response.content
    # Filters offer only what is on the route, and cannot reach beyond it.
    assert b"Greenwood Ranch" not in response.content
    assert listed(client.get("/wells/?search=Greenwood")) == []


def test_an_operator_without_a_route_is_told_so(portal_as, wells):
    response = portal_as("OPERATOR").get("/wells/")
    assert listed(response) == []
    assert b"No wells are on your route yet" in response.content


def test_an_operator_gets_404_for_a_well_off_their_route(portal_as, tenant_a, wells):
    assign(tenant_a, "OPERATOR", wells[:1])
    client = portal_as("OPERATOR")
    assert client.get(f"/wells/{wells[0].pk}/").status_code == 200
    off_route = client.get(f"/wells/{wells[2].pk}/")
    assert off_route.status_code == 404
    assert b"Greenwood" not in off_route.content


def test_a_deleted_well_is_not_found(portal_as, tenant_a, in_tenant, wells):
    from wells.services import well_delete

    with in_tenant(tenant_a):
        well_delete(well=wells[0])
    client = portal_as("ADMIN")
    assert client.get(f"/wells/{wells[0].pk}/").status_code == 404
    assert b"Tarzan Unit 1H" not in client.get("/wells/").content


@pytest.fixture
def producing_well(tenant_a, in_tenant):
    from wells.models import Equipment, EquipmentInspection, FieldNote
    from wells.selectors import tenant_today

    well = make_well(tenant_a, name="Chart <Test> 1H", lease="Tarzan Unit", county="Martin",
                     latitude="32.312000", longitude="-101.962000", status="ACTIVE")
    today = tenant_today(tenant_a.tenant.time_zone)
    for days_ago in range(0, 30):
        day = today - timedelta(days=days_ago)
        make_production(tenant_a, well, day, "OIL", 100 - days_ago)
        make_production(tenant_a, well, day, "GAS", 150)
        make_production(tenant_a, well, day, "WATER", 250)
    make_production(tenant_a, well, today - timedelta(days=120), "OIL", 5000)  # older than the chart
    with in_tenant(tenant_a):
        jack = Equipment.objects.create(well=well, type="PUMP_JACK", name="Lufkin C-640", serial_number="LUF-1")
        Equipment.objects.create(well=well, type="TANK", name="Oil tank 400 bbl", status="OUT_OF_SERVICE")
        now = datetime.now(dt_timezone.utc)
        EquipmentInspection.objects.create(well=well, equipment=jack, inspection_type="ROUTINE", status="FAIL",
                                           inspected_at=now - timedelta(hours=3), notes="Bearing noise")
        FieldNote.objects.create(well=well, notes="Gauged tanks; hauled 180 bbl.", recorded_at=now)
    return well


def test_a_well_page_shows_its_attributes_equipment_and_recent_records(portal_as, producing_well):
    response = portal_as("MANAGER").get(f"/wells/{producing_well.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chart &lt;Test&gt; 1H" in html and "<Test>" not in html
    for text in ("Tarzan Unit", "Martin, TX", "32.312000, -101.962000", "Lufkin C-640", "LUF-1",
                 "Out of service", "Routine inspection of Lufkin C-640", "Bearing noise", "hauled 180 bbl"):
        assert text in html, text
    assert html.index("hauled 180 bbl") < html.index("Bearing noise")  # newest first


def test_a_well_page_draws_90_days_of_production_as_an_accessible_svg_chart(portal_as, producing_well):
    html = portal_as("MANAGER").get(f"/wells/{producing_well.pk}/").content.decode()
    svg = re.search(r'<svg[^>]*id="production-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="production-chart-title production-chart-desc"' in svg
    assert re.search(r'<title id="production-chart-title">Daily production of Chart &lt;Test&gt; 1H, last 90 days'
                     r"</title>", svg)
    assert "Oil 2,565 BBL, Gas 4,500 MCF, Water 7,500 BBL" in svg  # the description sums the 90 days
    lines = dict(re.findall(r'<polyline class="series" data-product="(\w+)"[^>]*points="([^"]+)"', svg))
    assert list(lines) == ["OIL", "GAS", "WATER"]
    assert all(len(points.split()) == 90 for points in lines.values())
    # Days without a record are drawn at zero: the first 60 days of the window are on the x axis.
    axis_y = re.search(r'<line x1="64" x2="864" y1="([\d.]+)" y2="[\d.]+" stroke="#8a93a0"/>', svg).group(1)
    oil_y = [float(point.split(",")[1]) for point in lines["OIL"].split()]
    assert oil_y[:60] == [float(axis_y)] * 60 and all(y < float(axis_y) for y in oil_y[60:])
    for legend in ("Oil (BBL/d)", "Gas (MCF/d)", "Water (BBL/d)"):
        assert legend in svg
    # The one script is the chart's tooltip, served by the project (no inline script, no CDN).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/wells/production_chart.js" defer>']
    assert "cdn" not in html.lower()


def test_a_well_without_production_shows_no_data_instead_of_a_chart(portal_as, tenant_a):
    well = make_well(tenant_a, name="Dry Hole 1H", status="PLUGGED")
    html = portal_as("MANAGER").get(f"/wells/{well.pk}/").content.decode()
    assert "<svg" not in html
    assert "No production recorded for this well in the last 90 days" in html
    assert "No equipment is recorded for this well" in html
    assert "No readings, inspections, repairs, notes or photos yet" in html
