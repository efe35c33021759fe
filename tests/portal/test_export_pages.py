"""The portal's exports page (MANAGER, ADMIN): the form with the API's filters, downloads that
are the API's CSV, bad filters answered on the page, and no exports for an OPERATOR."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest

from tests.portal.conftest import make_well

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(tenant_a, in_tenant):
    from wells.leases import Lease
    from wells.models import ProductionRecord

    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Export Lease", rrc_district="08", rrc_lease_number="200")
    well = make_well(tenant_a, name="Export 1H")
    with in_tenant(tenant_a):
        well.lease_ref = lease
        well.save()
        new = ProductionRecord.objects.create(well=well, production_date=date(2026, 11, 2), product="OIL",
                                              volume=D("10.125"), unit="BBL", volume_normalized=D("10.125"),
                                              downtime_reason="-1+1")
        ProductionRecord.objects.create(well=well, production_date=date(2026, 11, 2), product="OIL",
                                        volume=D("9"), unit="BBL", volume_normalized=D("9"), superseded_by=new)
        ProductionRecord.objects.create(well=well, production_date=date(2026, 11, 9), product="OIL",
                                        volume=D("11"), unit="BBL", volume_normalized=D("11"))
    return {"lease": lease, "well": well, "new": new}


def _rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("role", ("MANAGER", "ADMIN"))
def test_managers_find_the_exports_page_and_download_the_files(portal_as, records, role):
    client = portal_as(role)
    assert 'id="exports-link"' in client.get("/leases/").content.decode()
    page = client.get("/exports/").content.decode()
    for kind in ("production", "readings", "run-tickets", "tank-gauges"):
        assert f'formaction="/exports/{kind}.csv"' in page
    assert "Export Lease" in page and "Export 1H" in page
    rows = _rows(client.get("/exports/production.csv", {"leaseId": str(records["lease"].pk), "from": "2026-11-01",
                                                        "to": "2026-11-05"}))
    assert [(r["id"], r["volume"], r["downtimeReason"]) for r in rows] == [(str(records["new"].pk), "10.125", "'-1+1")]
    everything = _rows(client.get("/exports/production.csv", {"includeSuperseded": "true", "wellId": str(records["well"].pk)}))
    assert len(everything) == 3 and "supersededBy" in everything[0]
    assert _rows(client.get("/exports/tank-gauges.csv")) == []


def test_bad_filters_are_shown_on_the_page(portal_as, records):
    client = portal_as("MANAGER")
    response = client.get("/exports/readings.csv", {"from": "2026-11-05", "to": "2026-11-01", "leaseId": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "From is after to." in html and 'role="alert"' in html
    assert client.get("/exports/nothing.csv").status_code == 404


def test_an_operator_has_no_exports(portal_as, records):
    client = portal_as("OPERATOR")
    assert 'id="exports-link"' not in client.get("/leases/").content.decode()
    assert client.get("/exports/").status_code == 403
    assert client.get("/exports/production.csv").status_code == 403
