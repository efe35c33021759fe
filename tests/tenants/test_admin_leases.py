"""The staff admin's leases and tanks pages (issue 14 point 1): each lease of a tenant with its
wells and tanks and every tank's current level, and a tank's strapping table replaced by a CSV
upload, checked whole before anything is written; read from and written to the tenant's own
schema or database (the suite runs at every isolation level)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.portal.conftest import make_well

pytestmark = pytest.mark.django_db


@pytest.fixture
def tank(tenant_a, in_tenant):
    from wells.lease_services import tank_create, tank_gauge_record
    from wells.leases import Lease

    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Staff Lease", rrc_district="08", rrc_lease_number="4242")
        tank = tank_create(lease=lease, data={"name": "Oil 7", "capacity_bbl": D(40), "height_inches": D(24),
                                              "strapping": [{"height_inches": 0, "barrels": 0},
                                                            {"height_inches": 24, "barrels": D("40.08")}]})
        tank_gauge_record(tank=tank, level=D("1.5"), unit="FT", gauged_at=datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc))
    well = make_well(tenant_a, name="Staff 1H")
    with in_tenant(tenant_a):
        well.lease_ref = lease
        well.save()
    return tank


def url(handle, suffix: str) -> str:
    return f"/admin/tenants/tenant/{handle.tenant.pk}/{suffix}"


def upload(client, handle, tank, text: str, name: str = "chart.csv"):
    return client.post(url(handle, f"tanks/{tank.pk}/strapping/"),
                       {"csv_file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def table(handle, tank, in_tenant) -> list[tuple[D, D]]:
    from wells.leases import StrappingRow

    with in_tenant(handle):
        return list(StrappingRow.objects.filter(tank=tank).order_by("height_inches").values_list("height_inches", "barrels"))


def test_the_leases_page_shows_wells_tanks_and_each_level_in_barrels_and_percent(staff_client, tenant_a, tank):
    page = staff_client.get(url(tenant_a, "leases/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Staff Lease" in html and "RRC 08-4242" in html and "Staff 1H" in html
    # 18 in of a 24 in table: 40.08 × 18 / 24 = 30.06 bbl, 75.15 % of 40 bbl shown to 0.1.
    assert "<td>1 ft 6 in</td>" in html and "<td>30.06</td>" in html and "<td>75.2 %</td>" in html
    assert f"/tanks/{tank.pk}/strapping/" in html
    # The banner of every tenant page links here.
    assert url(tenant_a, "leases/") in staff_client.get(url(tenant_a, "users/")).content.decode()


def unleased_count(html: str) -> int:
    found = re.search(r"(\d+) wells? names? no lease", html)
    return int(found.group(1)) if found else 0


def test_a_deleted_well_is_neither_listed_under_its_lease_nor_counted_as_unleased(staff_client, tenant_a, tank,
                                                                                   in_tenant):
    from django.utils import timezone as dj_timezone

    before = unleased_count(staff_client.get(url(tenant_a, "leases/")).content.decode())
    gone = make_well(tenant_a, name="Gone 2H")
    make_well(tenant_a, name="Loose 3H")
    gone_loose = make_well(tenant_a, name="Gone Loose 4H")
    with in_tenant(tenant_a):
        gone.lease_ref = tank.lease
        gone.deleted_at = gone_loose.deleted_at = dj_timezone.now()
        gone.save()
        gone_loose.save()
    html = staff_client.get(url(tenant_a, "leases/")).content.decode()
    assert "Staff 1H" in html and "Gone 2H" not in html
    # Of the two wells without a lease, only the live one is counted.
    assert unleased_count(html) == before + 1


def test_a_csv_upload_replaces_the_strapping_table_and_bumps_the_version(staff_client, tenant_a, tank, in_tenant):
    rows = "height_inches,barrels\n" + "".join(f"{q / 4},{q * D('0.4175'):.4f}\n" for q in range(0, 97))
    response = upload(staff_client, tenant_a, tank, rows)
    assert response.status_code == 302 and response["Location"].endswith("/leases/")
    stored = table(tenant_a, tank, in_tenant)
    assert len(stored) == 97 and stored[0] == (D(0), D(0)) and stored[-1] == (D(24), D("40.080"))
    with in_tenant(tenant_a):
        tank.refresh_from_db()
    assert tank.version == 2
    page = staff_client.get(url(tenant_a, f"tanks/{tank.pk}/strapping/")).content.decode()
    assert "97 rows" in page and "<td>2 ft 0 in</td>" in page


@pytest.mark.parametrize("text,message", [
    ("height,bbl\n0,0\n", "the header row must be height_inches,barrels"),
    ("height_inches,barrels\n0,0\n12,20\n6,30\n", "Line 4"),  # heights not increasing
    ("height_inches,barrels\n0,0\n12,20\n18,10\n", "Line 4"),  # barrels going down
    ("height_inches,barrels\n0,0\n30,50\n", "height"),  # above the tank's 24 in
    ("", "The submitted file is empty"),
], ids=["header", "heights", "barrels", "too high", "empty"])
def test_a_bad_table_is_refused_with_its_line_and_nothing_is_written(staff_client, tenant_a, tank, in_tenant, text,
                                                                     message):
    before = table(tenant_a, tank, in_tenant)
    response = upload(staff_client, tenant_a, tank, text)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert table(tenant_a, tank, in_tenant) == before


def test_a_file_that_is_not_utf8_text_is_refused(staff_client, tenant_a, tank, in_tenant):
    response = staff_client.post(url(tenant_a, f"tanks/{tank.pk}/strapping/"), {
        "csv_file": SimpleUploadedFile("chart.csv", b"height_inches,barrels\n0,0\xff\n", content_type="text/csv")})
    assert response.status_code == 200 and "not UTF-8 text" in response.content.decode()
    missing = staff_client.post(url(tenant_a, f"tanks/{tank.pk}/strapping/"), {})
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()


def test_an_unknown_tank_is_a_404(staff_client, tenant_a, tank):
    assert staff_client.get(url(tenant_a, "tanks/00000000-0000-0000-0000-000000000000/strapping/")).status_code == 404


def test_a_view_only_staff_user_sees_the_pages_but_cannot_upload(tenant_a, tank, in_tenant):
    from accounts.models import User
    from tests.factories import PASSWORD

    viewer = User.objects.create(email="viewer.staff@pumpjack.test", is_staff=True)
    viewer.set_password(PASSWORD)
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(viewer)
    assert client.get(url(tenant_a, "leases/")).status_code == 200
    page = client.get(url(tenant_a, f"tanks/{tank.pk}/strapping/"))
    assert page.status_code == 200 and "Upload and replace" not in page.content.decode()
    before = table(tenant_a, tank, in_tenant)
    assert upload(client, tenant_a, tank, "height_inches,barrels\n0,0\n24,41\n").status_code == 403
    assert table(tenant_a, tank, in_tenant) == before
