"""The dashboard's map of wells (rendered data) and the well page's tank gauges and chart days.

The map's markers come from the page's json_script ``well-map-data``: every visible well with
coordinates, its status and its colour (``alert`` while it has an open or acknowledged alert);
wells without coordinates are listed under the map. The tile server is a setting (none by
default) whose origin joins the Content-Security-Policy's img-src."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.portal.conftest import assign, make_production, make_well
from wells.alerts.models import Alert

pytestmark = pytest.mark.django_db


def map_data(response) -> dict:
    match = re.search(rb'<script id="well-map-data" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "no well-map-data on the page"
    return json.loads(match.group(1))


def unplaced(response) -> list[str]:
    return [m.decode() for m in re.findall(rb'data-unplaced="([0-9a-f-]+)"', response.content)]


def csp_img_src(response) -> str:
    return next(part for part in response["Content-Security-Policy"].split("; ") if part.startswith("img-src"))


@pytest.fixture
def wells(tenant_a):
    placed_active = make_well(tenant_a, name="Placed Active 1H", status="ACTIVE",
                              latitude=Decimal("31.912345"), longitude=Decimal("-102.345678"))
    placed_shut_in = make_well(tenant_a, name="Placed Shut In 2H", status="SHUT_IN",
                               latitude=Decimal("31.95"), longitude=Decimal("-102.30"))
    placed_alerted = make_well(tenant_a, name="Placed Alerted 3H", status="ACTIVE",
                               latitude=Decimal("32.0"), longitude=Decimal("-102.2"))
    acknowledged = make_well(tenant_a, name="Placed Acknowledged 4H", status="PLUGGED",
                             latitude=Decimal("32.1"), longitude=Decimal("-102.1"))
    closed = make_well(tenant_a, name="Placed Closed Alert 5H", status="INACTIVE",
                       latitude=Decimal("32.2"), longitude=Decimal("-102.0"))
    nowhere = make_well(tenant_a, name="No Coordinates 6H", status="ACTIVE")
    half = make_well(tenant_a, name="Latitude Only 7H", status="SHUT_IN", latitude=Decimal("31.5"))
    with schema_context(tenant_a.tenant.schema_name):
        now = timezone.now()
        for well, status in ((placed_alerted, "OPEN"), (acknowledged, "ACKNOWLEDGED"), (closed, "CLOSED"),
                             (nowhere, "OPEN")):
            open_key = None if status == "CLOSED" else f"WELL_DOWN:{well.pk}"
            Alert.objects.create(type="WELL_DOWN", well=well, open_key=open_key, opened_at=now,
                                 message=f"{well.name} is down.", status=status,
                                 closed_at=now if status == "CLOSED" else None)
    assign(tenant_a, "OPERATOR", [placed_active, nowhere])
    return {w.name: w for w in (placed_active, placed_shut_in, placed_alerted, acknowledged, closed, nowhere, half)}


def test_the_markers_hold_every_well_with_coordinates_and_its_colour(portal_as, wells):
    response = portal_as("MANAGER").get("/")
    assert response.status_code == 200
    data = map_data(response)
    markers = {m["name"]: m for m in data["markers"]}
    assert set(markers) == {"Placed Active 1H", "Placed Shut In 2H", "Placed Alerted 3H", "Placed Acknowledged 4H",
                            "Placed Closed Alert 5H"}
    assert {name: (m["status"], m["colour"], m["openAlerts"]) for name, m in markers.items()} == {
        "Placed Active 1H": ("ACTIVE", "ACTIVE", 0),
        "Placed Shut In 2H": ("SHUT_IN", "SHUT_IN", 0),
        "Placed Alerted 3H": ("ACTIVE", "alert", 1),
        "Placed Acknowledged 4H": ("PLUGGED", "alert", 1),  # acknowledged is not closed yet
        "Placed Closed Alert 5H": ("INACTIVE", "INACTIVE", 0),
    }
    active = markers["Placed Active 1H"]
    assert (active["lat"], active["lng"]) == (31.912345, -102.345678)
    assert active["url"] == f"/wells/{wells['Placed Active 1H'].pk}/"
    assert active["apiNumber"] == wells["Placed Active 1H"].api_number
    # Every colour a marker uses has its swatch; the legend counts the markers of each.
    assert set(data["colours"]) >= {m["colour"] for m in data["markers"]}
    assert re.search(rb'data-legend="alert">.*?\(2\)', response.content)
    assert re.search(rb'data-legend="ACTIVE">.*?\(1\)', response.content)
    # Wells without both coordinates are listed (with their link and open alert), not dropped.
    assert set(unplaced(response)) == {str(wells["No Coordinates 6H"].pk), str(wells["Latitude Only 7H"].pk)}
    assert f'href="/wells/{wells["No Coordinates 6H"].pk}/"'.encode() in response.content
    assert b"1 open alert</span>" in response.content
    assert data["tiles"] is None and b"No map tiles are configured" in response.content


def test_an_operator_s_map_holds_only_their_route(portal_as, wells):
    response = portal_as("OPERATOR").get("/")
    assert [m["name"] for m in map_data(response)["markers"]] == ["Placed Active 1H"]
    assert unplaced(response) == [str(wells["No Coordinates 6H"].pk)]


def test_the_map_is_served_from_the_project_with_no_inline_script(portal_as, wells):
    response = portal_as("MANAGER").get("/")
    scripts = re.findall(rb"<script([^>]*)>", response.content)
    sources = [re.search(rb'src="([^"]+)"', s).group(1).decode() for s in scripts if b"src=" in s]
    assert "/static/wells/vendor/leaflet/leaflet.js" in sources and "/static/wells/dashboard_map.js" in sources
    assert all(src.startswith("/static/") for src in sources)
    # The only script element without a src is the JSON data (not executed).
    assert [s for s in scripts if b"src=" not in s] == [b' id="well-map-data" type="application/json"']
    assert b'href="/static/wells/vendor/leaflet/leaflet.css"' in response.content
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert csp_img_src(response) == "img-src 'self' data: blob:"


def test_a_name_cannot_break_out_of_the_map_data(portal_as, tenant_a):
    make_well(tenant_a, name="</script><script>alert(1)</script>", latitude=Decimal("31"), longitude=Decimal("-102"))
    response = portal_as("MANAGER").get("/")
    assert b"<script>alert(1)" not in response.content
    assert map_data(response)["markers"][0]["name"] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize(("url", "origin"), [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tiles.example.com:8443/v1/{z}/{x}/{y}.png?key=abc", "https://*.tiles.example.com:8443"),
])
def test_a_configured_tile_server_joins_img_src(portal_as, wells, url, origin):
    client = portal_as("MANAGER")
    with override_settings(PORTAL_MAP_TILE_URL=url, PORTAL_MAP_TILE_ATTRIBUTION="© OpenStreetMap contributors"):
        response = client.get("/")
    assert csp_img_src(response) == f"img-src 'self' data: blob: {origin}"
    assert map_data(response)["tiles"] == {"url": url, "attribution": "© OpenStreetMap contributors"}
    assert b"No map tiles are configured" not in response.content


@pytest.mark.parametrize("url", ["javascript:alert(1)//{z}", "https://tiles.{s}.example.com/{z}/{x}/{y}.png",
                                 "https://tiles.example.com/no-placeholders.png", "http://[::1/{z}", "ftp://x.org/{z}"])
def test_an_unusable_tile_url_means_no_tiles_never_a_broken_page(portal_as, wells, url):
    client = portal_as("MANAGER")
    with override_settings(PORTAL_MAP_TILE_URL=url):
        response = client.get("/")
    assert response.status_code == 200
    assert map_data(response)["tiles"] is None
    assert csp_img_src(response) == "img-src 'self' data: blob:"


# --------------------------------------------------------------------------- the well page


def test_the_well_page_shows_its_lease_tanks_gauges_with_tank_and_recorder(portal_as, tenant_a):
    from accounts.models import User
    from wells.leases import Lease, StrappingRow, Tank, TankGauge

    well = make_well(tenant_a, name="Gauged Lease 1H")
    with schema_context(tenant_a.tenant.schema_name):
        lease = Lease.objects.create(name="Ector lease")
        other_lease = Lease.objects.create(name="Other lease")
        well.lease_ref = lease
        well.save()
        pumper = User.objects.get(email=tenant_a.users["OPERATOR"])
        pumper.name = "Pat Pumper"
        pumper.save()
        oil = Tank.objects.create(lease=lease, name="Oil Tank 1", capacity_bbl=400, height_inches=240)
        water = Tank.objects.create(lease=lease, name="Water Tank 2", capacity_bbl=200, height_inches=120)
        elsewhere = Tank.objects.create(lease=other_lease, name="Not Ours 9", capacity_bbl=200, height_inches=120)
        StrappingRow.objects.create(tank=oil, height_inches=0, barrels=0)
        StrappingRow.objects.create(tank=oil, height_inches=240, barrels=400)
        now = timezone.now().replace(second=0, microsecond=0)
        gauges = {}
        for tank, inches, minutes in ((oil, 120, 10), (water, 30, 5), (elsewhere, 50, 1)):
            gauges[tank.name] = TankGauge.objects.create(
                tank=tank, level=inches, unit="IN", level_inches=inches, gauged_at=now - timedelta(minutes=minutes),
                gauged_minute=now - timedelta(minutes=minutes), recorded_by=pumper if tank is oil else None)
    response = portal_as("MANAGER").get(f"/wells/{well.pk}/")
    assert response.status_code == 200
    rows = re.findall(rb'<tr data-gauge="([0-9a-f-]+)">(.*?)</tr>', response.content, re.S)
    assert [r[0].decode() for r in rows] == [str(gauges["Water Tank 2"].pk), str(gauges["Oil Tank 1"].pk)]
    water_row, oil_row = rows[0][1], rows[1][1]
    assert f'data-tank="{water.pk}">Water Tank 2<'.encode() in water_row
    assert b"data-recorded-by>\xe2\x80\x94<" in water_row  # no recorder: a dash
    assert f'data-tank="{oil.pk}">Oil Tank 1<'.encode() in oil_row and b"data-recorded-by>Pat Pumper<" in oil_row
    assert b">200<" in oil_row  # 120 in on a 240 in / 400 bbl table
    assert b"outside the tank" in water_row  # the water tank has no strapping table
    assert b"Not Ours 9" not in response.content
    assert f'href="/leases/{lease.pk}/"'.encode() in response.content


def test_a_well_on_no_lease_says_it_has_no_tank_gauges(portal_as, tenant_a):
    well = make_well(tenant_a, name="Leaseless 1H")
    response = portal_as("MANAGER").get(f"/wells/{well.pk}/")
    assert b"on no lease with tanks" in response.content and b"data-gauge=" not in response.content


def test_production_rows_show_downtime_reason_and_recorder(portal_as, tenant_a):
    from accounts.models import User

    well = make_well(tenant_a, name="Downtime 1H")
    record = make_production(tenant_a, well, timezone.localdate() - timedelta(days=1), "OIL", 12.5)
    with schema_context(tenant_a.tenant.schema_name):
        record.downtime_hours = Decimal("6.5")
        record.downtime_reason = "Rod part"
        record.recorded_by = User.objects.get(email=tenant_a.users["OPERATOR"])
        record.save()
        recorder = record.recorded_by.name or record.recorded_by.email
    response = portal_as("MANAGER").get(f"/wells/{well.pk}/")
    row = re.search(rf'<tr data-production="{record.pk}">(.*?)</tr>'.encode(), response.content, re.S).group(1)
    assert b"data-downtime>6.5 h<" in row and b"Rod part" in row
    assert f"data-recorded-by>{recorder}<".encode() in row


def test_the_chart_has_a_labelled_target_for_every_day(portal_as, tenant_a):
    from wells.selectors import tenant_today

    well = make_well(tenant_a, name="Charted 1H")
    today = tenant_today(tenant_a.tenant.time_zone)
    make_production(tenant_a, well, today - timedelta(days=3), "OIL", 120.5)
    make_production(tenant_a, well, today - timedelta(days=3), "GAS", 1234)
    response = portal_as("MANAGER").get(f"/wells/{well.pk}/")
    days = re.findall(rb'<rect class="day"[^>]*data-day="([0-9-]+)"[^>]*data-label="([^"]+)"', response.content)
    assert len(days) == 90
    labels = dict((d.decode(), label.decode()) for d, label in days)
    day = today - timedelta(days=3)
    assert labels[day.isoformat()] == f"{day:%b} {day.day}, {day.year}: oil 120.5 BBL, gas 1,234 MCF, water 0 BBL"
    assert b'id="production-chart" tabindex="0"' in response.content
    assert b'src="/static/wells/production_chart.js"' in response.content


def test_the_map_costs_the_same_queries_for_5_wells_as_for_30(portal_as, tenant_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = portal_as("MANAGER")

    def queries_with(count: int) -> int:
        for n in range(count):
            make_well(tenant_a, name=f"Counted {count}-{n}", latitude=Decimal("31") + Decimal(n) / 100,
                      longitude=Decimal("-102"))
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/")
        assert response.status_code == 200
        return len(captured), len(map_data(response)["markers"])

    few, few_markers = queries_with(5)
    many, many_markers = queries_with(25)
    assert (few_markers, many_markers) == (5, 30)
    assert few > 5 and many == few, (few, many)
