"""The month close (API.md section 14): manual dispositions, the lease balance and Form PR, on
constructed months whose balance is worked out by hand below from the rows the test writes
(tanks strapped at 1 bbl per inch, so a level in inches is its barrels)."""

from __future__ import annotations

import csv
import io
import uuid
import zoneinfo
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from tests.wells.helpers import assert_error, assert_invalid, make_well, tenant_user
from wells.lease_services import run_ticket_record, tank_gauge_record
from wells.leases import Disposition, Lease, StrappingRow, Tank
from wells.models import ProductionRecord
from wells.services import wells_assign

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")  # the test tenants' time zone
BALANCE = "/api/v1/reports/lease-balance"
FORM_PR = "/api/v1/reports/form-pr"
DISPOSITIONS = "/api/v1/dispositions/"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def _tank(lease, name: str) -> Tank:
    tank = Tank.objects.create(lease=lease, name=name, capacity_bbl=D(100), height_inches=D(100))
    StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=D(0), barrels=D(0)),
                                      StrappingRow(tank=tank, height_inches=D(100), barrels=D(100))])
    return tank


def _ticket(tank, number: str, closed_at: datetime, opening, closing, disposition: str):
    return run_ticket_record(tank=tank, data={
        "ticket_number": number, "kind": "TANK", "closed_at": closed_at, "observed_gravity_api": D("40.0"),
        "observed_temperature_f": D("60.0"), "bsw_percent": D("0.30"), "disposition": disposition,
        "opening_level": D(opening), "closing_level": D(closing), "unit": "IN"})


def _gas(well, day: date, mcf) -> ProductionRecord:
    return ProductionRecord.objects.create(well=well, production_date=day, product="GAS", volume=D(mcf), unit="MCF",
                                           volume_normalized=D(mcf))


@pytest.fixture
def october(tenant_a, in_tenant):
    """Tarzan Unit in October 2026, by hand:

    - beginning stock: A's last gauge before 1 October is 40 in (30 Sept, 18:00; an earlier 55 in
      gauge does not count), B's 10 in (29 Sept): 50 bbl;
    - tickets of October: A 90 → 20 on the 11th (70 bbl, code 0), B 30 → 5 on the 20th (25 bbl,
      code 1), B 35 → 15 on 31 October at 21:00 Chicago, already 1 November in UTC (20 bbl, code 1);
      not counted: a ticket of 1 November 01:00 Chicago and a superseded one;
    - gauged stock at the end of October: A 65 in (31 Oct), B 35 in (31 Oct, 18:00): 100 bbl;
    - production = 100 − 50 + 70 + 25 + 20 = 165 bbl; dispositions 0: 70, 1: 45;
      ending = 50 + 165 − 115 = 100 = the gauged stock: no problem;
    - A is gauged on the 10th, 11th and 31st, B on the 31st only: 30 days carry a stock forward;
    - gas: 300 + 200.4 MCF from the lease's well in October (a September, a November, a
      superseded record and another lease's well do not count): 500 MCF.
    """
    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Tarzan Unit", rrc_district="08", rrc_lease_number="41210")
        other = Lease.objects.create(name="Greenwood Ranch", rrc_district="7C", rrc_lease_number="39870")
        a, b = _tank(lease, "Oil 1"), _tank(lease, "Oil 2")
        for tank, level, at in ((a, 55, local(2026, 9, 30, 8, 0)), (a, 40, local(2026, 9, 30, 18, 0)),
                                (b, 10, local(2026, 9, 29, 18, 0)), (a, 90, local(2026, 10, 10, 18, 0)),
                                (a, 20, local(2026, 10, 11, 18, 0)), (a, 65, local(2026, 10, 31, 18, 0)),
                                (b, 35, local(2026, 10, 31, 18, 0)), (a, 80, local(2026, 11, 2, 18, 0))):
            tank_gauge_record(tank=tank, level=D(level), unit="IN", gauged_at=at)
        _ticket(a, "T-1", local(2026, 10, 11, 9, 0), 90, 20, "0")
        _ticket(b, "T-2", local(2026, 10, 20, 9, 0), 30, 5, "1")
        _ticket(b, "T-3", local(2026, 10, 31, 21, 0), 35, 15, "1")
        _ticket(b, "T-4", local(2026, 11, 1, 1, 0), 15, 5, "1")
        _ticket(a, "T-5", local(2026, 10, 15, 9, 0), 50, 10, "0")
        _ticket(a, "T-5", local(2026, 10, 15, 9, 0), 50, 50, "0")  # supersedes the one above: 0 bbl
    well = make_well(tenant_a, name="Tarzan 101H", lease="Tarzan Unit")
    far = make_well(tenant_a, name="Greenwood 1", lease="Greenwood Ranch")
    with in_tenant(tenant_a):
        well.lease_ref = lease
        well.save()
        far.lease_ref = other
        far.save()
        wells_assign(user=tenant_user(tenant_a, "OPERATOR"), well_ids=[well.pk])
        _gas(well, date(2026, 10, 5), "300")
        _gas(well, date(2026, 10, 6), "200.4")
        _gas(well, date(2026, 9, 30), "999")
        _gas(well, date(2026, 11, 1), "999")
        replaced = _gas(well, date(2026, 10, 7), "999")
        replaced.superseded_by = replaced
        replaced.save()
        _gas(far, date(2026, 10, 5), "999")
    return {"lease": lease, "other": other, "a": a, "b": b}


def test_a_balanced_month_adds_up_as_worked_out_by_hand(api, tenant_a, october):
    client = api(tenant_a, "MANAGER")
    body = client.get(BALANCE, {"leaseId": str(october["lease"].pk), "month": "2026-10"}).json()
    assert body["leaseId"] == str(october["lease"].pk) and body["month"] == "2026-10"
    assert body["through"] == "2026-10-31"
    oil = body["oil"]
    assert oil["product"] == "OIL"
    assert (oil["beginningStock"], oil["production"], oil["endingStock"], oil["gaugedStock"]) == (50, 165, 100, 100)
    assert [(d["code"], d["volume"]) for d in oil["dispositions"]] == [("0", 70), ("1", 45)]
    assert oil["dispositions"][0]["name"] == "Pipeline" and oil["dispositions"][1]["name"] == "Truck"
    assert oil["estimatedDays"] == 30
    assert body["gas"] == {"product": "CASINGHEAD", "production": 500, "dispositions": []}
    assert body["problems"] == []


def test_manual_dispositions_count_and_a_stock_taken_without_gauge_is_a_mismatch(api, tenant_a, in_tenant, october):
    client = api(tenant_a, "MANAGER")
    lease = str(october["lease"].pk)
    flared = client.post(DISPOSITIONS, {"leaseId": lease, "month": "2026-10", "product": "GAS", "code": "10",
                                        "volume": 120.5, "note": "AR: compressor down"})
    assert flared.status_code == 201, flared.content
    entry = flared.json()
    assert (entry["product"], entry["code"], entry["volume"], entry["month"]) == ("GAS", "10", 120.5, "2026-10")
    assert entry["codeName"] == "Flared" and entry["recordedBy"] == str(tenant_user(tenant_a, "MANAGER").pk)
    assert client.post(DISPOSITIONS, {"leaseId": lease, "month": "2026-10", "product": "GAS", "code": 2,
                                      "volume": "300"}).status_code == 201
    # 10 bbl of lease use the gauges never saw: ending 50 + 165 − 125 = 90, gauged 100.
    assert client.post(DISPOSITIONS, {"leaseId": lease, "month": "2026-10", "product": "OIL", "code": "3",
                                      "volume": 10}).status_code == 201
    body = client.get(BALANCE, {"leaseId": lease, "month": "2026-10"}).json()
    assert [(d["code"], d["volume"]) for d in body["oil"]["dispositions"]] == [("0", 70), ("1", 45), ("3", 10)]
    assert body["oil"]["endingStock"] == 90 and body["oil"]["gaugedStock"] == 100
    assert [(d["code"], d["volume"]) for d in body["gas"]["dispositions"]] == [("2", 300), ("10", 121)]
    assert [p["code"] for p in body["problems"]] == ["stock_mismatch"]
    assert body["problems"][0]["figures"] == {"endingStock": 90, "gaugedStock": 100}
    listed = client.get(DISPOSITIONS, {"leaseId": lease, "month": "2026-10"}).json()
    assert listed["count"] == 3 and {r["code"] for r in listed["results"]} == {"10", "2", "3"}
    assert client.get(DISPOSITIONS, {"month": "2026-09"}).json()["count"] == 0
    with in_tenant(tenant_a):
        assert Disposition.objects.get(code="10").month == date(2026, 10, 1)


def test_dispositions_beyond_what_the_lease_had_leave_form_pr_rows_for_problems(api, tenant_a, october):
    client = api(tenant_a, "ADMIN")
    lease = str(october["lease"].pk)
    # A 150 bbl spill: 50 + 165 − 265 = −50; 600 MCF to a plant out of 500 produced.
    for product, code, volume in (("OIL", "5", 150), ("GAS", "3", 600)):
        assert client.post(DISPOSITIONS, {"leaseId": lease, "month": "2026-10", "product": product, "code": code,
                                          "volume": volume}).status_code == 201
    body = client.get(BALANCE, {"leaseId": lease, "month": "2026-10"}).json()
    assert body["oil"]["endingStock"] == -50
    codes = [(p["code"], p["product"]) for p in body["problems"]]
    assert ("dispositions_exceed_available", "OIL") in codes and ("dispositions_exceed_available", "GAS") in codes
    assert ("stock_mismatch", "OIL") in codes
    form = client.get(FORM_PR, {"month": "2026-10"}).json()
    assert form["month"] == "2026-10"
    assert [row["leaseName"] for row in form["rows"]] == ["Greenwood Ranch"]
    refused = [p for p in form["problems"] if p["leaseId"] == lease]
    assert {p["code"] for p in refused} == {"dispositions_exceed_available", "stock_mismatch"}
    assert all(p["leaseName"] == "Tarzan Unit" and p["district"] == "08" and p["leaseNumber"] == "41210"
               for p in refused)


def test_form_pr_has_a_row_per_lease_in_the_rrc_shape_as_json_and_csv(api, tenant_a, october):
    client = api(tenant_a, "MANAGER")
    client.post(DISPOSITIONS, {"leaseId": str(october["lease"].pk), "month": "2026-10", "product": "GAS",
                               "code": "11", "volume": 40})
    form = client.get(FORM_PR, {"month": "2026-10"}).json()
    # In the RRC's order of districts: 7C before 08.
    assert [(r["district"], r["leaseNumber"], r["leaseName"]) for r in form["rows"]] == [
        ("7C", "39870", "Greenwood Ranch"), ("08", "41210", "Tarzan Unit")]
    greenwood, tarzan = form["rows"]
    assert (tarzan["oil"]["beginningStock"], tarzan["oil"]["production"], tarzan["oil"]["endingStock"]) == (50, 165, 100)
    assert tarzan["gas"]["production"] == 500 and tarzan["gas"]["dispositions"][0]["code"] == "11"
    assert greenwood["oil"]["production"] == 0 and greenwood["gas"]["production"] == 999
    assert form["problems"] == []

    download = client.get(FORM_PR, {"month": "2026-10", "format": "csv"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert download["Content-Disposition"] == 'attachment; filename="form-pr-2026-10.csv"'
    assert download["X-Form-PR-Problem-Leases"] == "0"
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert len(rows) == 2
    assert rows[0]["lease_name"] == "Greenwood Ranch" and rows[0]["gas_production_mcf"] == "999"
    row = rows[1]
    assert (row["district"], row["lease_number"], row["lease_name"], row["lease_kind"]) == (
        "08", "41210", "Tarzan Unit", "OIL")
    assert (row["liquid_beginning_stock_bbl"], row["liquid_production_bbl"], row["liquid_ending_stock_bbl"]) == (
        "50", "165", "100")
    assert (row["liquid_disposition_0_bbl"], row["liquid_disposition_1_bbl"], row["liquid_disposition_2_bbl"]) == (
        "70", "45", "0")
    assert row["gas_product"] == "CASINGHEAD" and row["gas_production_mcf"] == "500"
    assert row["gas_disposition_11_mcf"] == "40" and row["gas_disposition_10_mcf"] == "0"
    assert "gas_disposition_4_mcf" not in row  # retired in 2021


def test_whole_numbers_add_up_and_a_month_begins_where_the_last_ended(api, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Toyah Draw", rrc_district="08", rrc_lease_number="42550")
        tank = _tank(lease, "Oil 1")
        tank_gauge_record(tank=tank, level=D("10.4"), unit="IN", gauged_at=local(2026, 8, 31, 18, 0))
        tank_gauge_record(tank=tank, level=D("60.6"), unit="IN", gauged_at=local(2026, 9, 10, 18, 0))
        _ticket(tank, "R-1", local(2026, 9, 11, 8, 0), "60.6", "10.2", "1")  # 50.4 bbl
        tank_gauge_record(tank=tank, level=D("30.5"), unit="IN", gauged_at=local(2026, 9, 30, 18, 0))
        tank_gauge_record(tank=tank, level=D("44.5"), unit="IN", gauged_at=local(2026, 10, 31, 18, 0))
    client = api(tenant_a, "MANAGER")
    september = client.get(BALANCE, {"leaseId": str(lease.pk), "month": "2026-09"}).json()["oil"]
    # 10.4 → 10; 50.4 → 50; the gauged 30.5 → 31; production 31 − 10 + 50 = 71 (70.5 exactly).
    assert (september["beginningStock"], september["production"], september["endingStock"]) == (10, 71, 31)
    assert september["dispositions"] == [{"code": "1", "volume": 50, "name": "Truck"}]
    october = client.get(BALANCE, {"leaseId": str(lease.pk), "month": "2026-10"}).json()["oil"]
    assert october["beginningStock"] == september["endingStock"] == 31
    assert (october["production"], october["endingStock"], october["estimatedDays"]) == (14, 45, 30)


def test_a_gas_lease_reports_condensate_and_gas_well_gas(api, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Gas Unit", rrc_district="7C", rrc_lease_number="123456", kind="GAS")
    client = api(tenant_a, "MANAGER")
    body = {"leaseId": str(lease.pk), "month": "2026-10", "volume": 5}
    assert_invalid(client.post(DISPOSITIONS, {**body, "product": "OIL", "code": "1"}), "product")
    assert_invalid(client.post(DISPOSITIONS, {**body, "product": "CONDENSATE", "code": "9"}), "code")
    assert client.post(DISPOSITIONS, {**body, "product": "CONDENSATE", "code": "1"}).status_code == 201
    balance = client.get(BALANCE, {"leaseId": str(lease.pk), "month": "2026-10"}).json()
    assert balance["oil"]["product"] == "CONDENSATE" and balance["gas"]["product"] == "GAS_WELL"
    assert [p["code"] for p in balance["problems"]] == ["stock_mismatch", "dispositions_exceed_available"]


# ------------------------------------------------------------------ roles and errors


@pytest.mark.parametrize("role", ["MANAGER", "ADMIN"])
def test_managers_and_admins_close_the_month(api, tenant_a, october, role):
    client = api(tenant_a, role)
    lease = str(october["lease"].pk)
    assert client.get(BALANCE, {"leaseId": lease, "month": "2026-10"}).status_code == 200
    assert client.get(FORM_PR, {"month": "2026-10"}).status_code == 200
    assert client.get(DISPOSITIONS).status_code == 200
    assert client.post(DISPOSITIONS, {"leaseId": lease, "month": "2026-10", "product": "GAS", "code": "1",
                                      "volume": 1}).status_code == 201


def test_an_operator_may_not_close_the_month_even_of_their_route(api, tenant_a, october):
    client = api(tenant_a, "OPERATOR")
    lease = str(october["lease"].pk)
    assert_error(client.get(BALANCE, {"leaseId": lease, "month": "2026-10"}), 403, "permission_denied")
    assert_error(client.get(FORM_PR, {"month": "2026-10"}), 403, "permission_denied")
    assert_error(client.get(FORM_PR, {"month": "2026-10", "format": "csv"}), 403, "permission_denied")
    assert_error(client.get(DISPOSITIONS), 403, "permission_denied")
    assert_error(client.post(DISPOSITIONS, {"leaseId": lease, "month": "2026-10", "product": "GAS", "code": "1",
                                            "volume": 1}), 403, "permission_denied")


def test_bad_months_and_leases_are_named_errors(api, tenant_a, tenant_b, in_tenant, october):
    client = api(tenant_a, "MANAGER")
    lease = str(october["lease"].pk)
    for month in ("2026-13", "2026-1", "", "2026/10", "1899-12", "2026-10-01", "२०२६-10"):
        assert_invalid(client.get(BALANCE, {"leaseId": lease, "month": month}), "month")
        assert_invalid(client.get(FORM_PR, {"month": month}), "month")
    assert "has not begun" in assert_invalid(client.get(FORM_PR, {"month": "2099-01"}), "month")["month"][0]
    assert_invalid(client.get(FORM_PR), "month")
    assert_invalid(client.get(FORM_PR, {"month": "2026-10", "format": "xml"}), "format")
    assert_invalid(client.get(BALANCE, {"month": "2026-10"}), "leaseId")
    assert_invalid(client.get(BALANCE, {"leaseId": "nope", "month": "2026-10"}), "leaseId")
    assert_error(client.get(BALANCE, {"leaseId": str(uuid.uuid4()), "month": "2026-10"}), 404, "not_found")
    with in_tenant(tenant_a):
        gone = Lease.objects.create(name="Gone", deleted_at=datetime(2026, 10, 1, tzinfo=CHICAGO))
    assert_error(client.get(BALANCE, {"leaseId": str(gone.pk), "month": "2026-10"}), 404, "not_found")
    # Another tenant's lease is unknown here.
    assert_error(api(tenant_b, "ADMIN").get(BALANCE, {"leaseId": lease, "month": "2026-10"}), 404, "not_found")
    assert api(tenant_b, "ADMIN").get(FORM_PR, {"month": "2026-10"}).json()["rows"] == []


def test_a_disposition_is_refused_by_field(api, tenant_a, in_tenant, october):
    client = api(tenant_a, "MANAGER")
    good = {"leaseId": str(october["lease"].pk), "month": "2026-10", "product": "GAS", "code": "10", "volume": 5}
    assert_invalid(client.post(DISPOSITIONS, {**good, "code": "4"}), "code")  # retired: 10 or 11 now
    assert_invalid(client.post(DISPOSITIONS, {**good, "code": "0"}), "code")  # an oil code
    assert_invalid(client.post(DISPOSITIONS, {**good, "code": "12"}), "code")
    assert_invalid(client.post(DISPOSITIONS, {**good, "code": "1a"}), "code")
    assert_invalid(client.post(DISPOSITIONS, {**good, "product": "OIL", "code": "10"}), "code")
    assert_invalid(client.post(DISPOSITIONS, {**good, "product": "CONDENSATE"}), "product")  # an OIL lease
    assert_invalid(client.post(DISPOSITIONS, {**good, "product": "WATER"}), "product")
    for volume in (0, -1, "abc", None, True, 1e12, "NaN"):
        assert_invalid(client.post(DISPOSITIONS, {**good, "volume": volume}), "volume")
    assert_invalid(client.post(DISPOSITIONS, {**good, "month": "2099-01"}), "month")
    assert_invalid(client.post(DISPOSITIONS, {**good, "note": "x" * 501}), "note")
    assert_invalid(client.post(DISPOSITIONS, {**good, "id": "x", "colour": "red"}), "id", "colour")
    details = assert_invalid(client.post(DISPOSITIONS, {}), "leaseId", "month", "product", "code", "volume")
    assert "note" not in details
    assert_error(client.post(DISPOSITIONS, {**good, "leaseId": str(uuid.uuid4())}), 404, "not_found")
    assert_invalid(client.post(DISPOSITIONS, raw='{"leaseId": "' + good["leaseId"] + '", "note": "a\\u0000b"}'),
                   "note")
    with in_tenant(tenant_a):
        assert not Disposition.objects.exists()


def test_the_database_refuses_a_code_the_product_does_not_have(tenant_a, in_tenant, october):
    from django.db import IntegrityError

    from tenants import databases as tenant_db

    with in_tenant(tenant_a):
        for bad in ({"product": "OIL", "code": "10"}, {"product": "GAS", "code": "0"},
                    {"product": "CONDENSATE", "code": "9"}, {"product": "GAS", "code": "1", "volume": D(0)},
                    {"product": "GAS", "code": "1", "month": date(2026, 10, 2)}):
            values = {"lease": october["lease"], "month": date(2026, 10, 1), "volume": D(1), **bad}
            with pytest.raises(IntegrityError), tenant_db.atomic():
                Disposition.objects.create(**values)


def test_a_mistaken_disposition_is_withdrawn_and_leaves_the_balance(api, tenant_a, tenant_b, in_tenant, october):
    client = api(tenant_a, "MANAGER")
    lease = str(october["lease"].pk)
    created = client.post(DISPOSITIONS, {"leaseId": lease, "month": "2026-10", "product": "OIL", "code": "5",
                                         "volume": 150})
    entry_id = created.json()["id"]
    assert created["Location"] == f"{DISPOSITIONS}{entry_id}/"
    assert client.get(created["Location"]).json()["volume"] == 150
    balance = {"leaseId": lease, "month": "2026-10"}
    assert "dispositions_exceed_available" in [p["code"] for p in client.get(BALANCE, balance).json()["problems"]]
    assert_error(api(tenant_a, "OPERATOR").delete(created["Location"]), 403, "permission_denied")
    assert_error(api(tenant_b, "ADMIN").delete(created["Location"]), 404, "not_found")
    assert_error(client.delete(f"{DISPOSITIONS}not-an-id/"), 404, "not_found")

    assert client.delete(created["Location"]).status_code == 204
    assert client.get(BALANCE, balance).json()["problems"] == []
    assert client.get(DISPOSITIONS, balance).json()["count"] == 0
    assert_error(client.get(created["Location"]), 404, "not_found")
    assert_error(client.delete(created["Location"]), 404, "not_found")
    with in_tenant(tenant_a):
        kept = Disposition.objects.get(pk=entry_id)
        assert kept.deleted_at is not None and kept.deleted_by == tenant_user(tenant_a, "MANAGER")


def test_a_lease_s_month_takes_the_same_handful_of_queries_whatever_its_tanks_and_days(tenant_a, in_tenant, october):
    from django.db import connections, router
    from django.test.utils import CaptureQueriesContext

    from wells.balance_selectors import lease_balance

    def queries() -> int:
        with CaptureQueriesContext(connections[router.db_for_read(Lease)]) as captured:
            lease_balance(lease=Lease.objects.get(pk=october["lease"].pk), month=date(2026, 10, 1), time_zone=CHICAGO,
                          today=date(2026, 12, 2))
        return len(captured)

    with in_tenant(tenant_a):
        before = queries()
        for n in range(3, 9):  # six more tanks, each gauged every day of October
            tank = _tank(october["lease"], f"Oil {n}")
            for day in range(1, 32):
                tank_gauge_record(tank=tank, level=D(day), unit="IN", gauged_at=local(2026, 10, day, 18, 0))
        assert queries() == before <= 8
