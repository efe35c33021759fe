"""Run tickets (API.md section 13): volumes of TANK and LACT tickets against hand-computed values,
the list and detail endpoints (roles, tenant isolation, filters, errors), the database rules, and
the lease's daily production from gauges and runs on constructed days."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections

from tenants import databases as tenant_db
from tests.wells.helpers import assert_error, assert_invalid, make_well, tenant_user
from wells.lease_services import run_ticket_record, tank_gauge_record
from wells.leases import Lease, RunTicket, StrappingRow, Tank
from wells.services import wells_assign
from wells.volumes import ctl, gravity_at_60f

pytestmark = pytest.mark.django_db

# 0 in → 0 bbl, 12 in → 20.04 bbl, 24 in → 40.1 bbl: 18 in is 20.04 + 20.06 × 6/12 = 30.07 bbl.
STRAPPING = [(D(0), D(0)), (D(12), D("20.04")), (D(24), D("40.1"))]
CLOSED = datetime(2026, 11, 3, 8, 15, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))


def _tank(lease, name: str) -> Tank:
    tank = Tank.objects.create(lease=lease, name=name, capacity_bbl=D(40), height_inches=D(24))
    StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=h, barrels=b) for h, b in STRAPPING])
    return tank


@pytest.fixture
def scene(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        on = Lease.objects.create(name="Tarzan Unit", rrc_district="08", rrc_lease_number="41210")
        off = Lease.objects.create(name="Far Away", rrc_district="7C", rrc_lease_number="123")
        tank, second, far = _tank(on, "Oil 1"), _tank(on, "Oil 2"), _tank(off, "Oil 1")
    well = make_well(tenant_a, name="Tarzan 101H", lease="Tarzan Unit")
    with in_tenant(tenant_a):
        well.lease_ref = on
        well.save()
        wells_assign(user=tenant_user(tenant_a, "OPERATOR"), well_ids=[well.pk])
    return {"lease": on, "off_lease": off, "tank": tank, "second": second, "far_tank": far}


def tank_ticket(number="T-1001", **fields) -> dict:
    data = {"ticket_number": number, "kind": "TANK", "closed_at": CLOSED, "observed_gravity_api": D("40.0"),
            "observed_temperature_f": D("60.0"), "bsw_percent": D("0.50"), "disposition": "1",
            "opening_level": D("1.5"), "closing_level": D("0.5"), "unit": "FT"}  # 18 in and 6 in
    data.update(fields)
    return data


def lact_ticket(number="L-2001", **fields) -> dict:
    data = {"ticket_number": number, "kind": "LACT", "closed_at": CLOSED, "observed_gravity_api": D("40.0"),
            "observed_temperature_f": D("60.0"), "bsw_percent": D("0.20"), "disposition": "0",
            "opening_totalizer_bbl": D("10500.0"), "closing_totalizer_bbl": D("10680.5"), "meter_factor": D("1.0012"),
            "purchaser": "Plains Marketing", "seals_removed": ["S100"], "seals_installed": ["S101", "S102"]}
    data.update(fields)
    return data


# ------------------------------------------------------------------ volumes


def test_a_tank_ticket_takes_its_gross_from_the_strapping_table(tenant_a, in_tenant, scene):
    with in_tenant(tenant_a):
        ticket = run_ticket_record(tank=scene["tank"], data=tank_ticket())
    # 1.5 ft = 18 in → 30.07 bbl; 0.5 ft = 6 in → 10.02 bbl; 40.0 °API at 60 °F: CTL 1.
    assert ticket.gross_observed_bbl == D("20.05")
    assert ticket.ctl == D("1.00000") and ticket.gravity_60f == D("40.0")
    assert ticket.gross_standard_bbl == D("20.05")
    assert ticket.net_bbl == D("19.95")  # 20.05 × 0.995 = 19.94975
    assert ticket.lease_id == scene["lease"].pk


def test_a_lact_ticket_is_totalizer_difference_times_meter_factor(tenant_a, in_tenant, scene):
    with in_tenant(tenant_a):
        ticket = run_ticket_record(tank=scene["tank"], data=lact_ticket())
        stored = RunTicket.objects.get(pk=ticket.pk)
    # (10680.5 − 10500.0) × 1.0012 = 180.7166 → 180.72; net 180.72 × 0.998 = 180.35856 → 180.36.
    assert stored.gross_observed_bbl == D("180.72") and stored.gross_standard_bbl == D("180.72")
    assert stored.net_bbl == D("180.36")
    assert stored.seals_removed == ["S100"] and stored.seals_installed == ["S101", "S102"]
    assert stored.opening_level is None and stored.unit == ""


def test_a_warm_ticket_is_corrected_to_60_f(tenant_a, in_tenant, scene):
    with in_tenant(tenant_a):
        ticket = run_ticket_record(tank=scene["tank"], data=lact_ticket(observed_gravity_api=D("41.2"),
                                                                         observed_temperature_f=D("85.0")))
    gravity = gravity_at_60f(D("41.2"), D("85.0"))
    factor = ctl(gravity, D("85.0"))
    assert gravity < D("41.2") and factor < 1
    assert ticket.ctl == factor
    assert ticket.gross_standard_bbl == (D("180.72") * factor).quantize(D("0.01"))
    assert ticket.net_bbl == (ticket.gross_standard_bbl * D("0.998")).quantize(D("0.01"))


def test_bad_tickets_are_refused_by_field(tenant_a, in_tenant, scene):
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError) as above:
            run_ticket_record(tank=scene["tank"], data=tank_ticket(opening_level=D("30"), unit="IN"))
        assert above.value.error_dict["opening_level"][0].code == "level_out_of_range"
        with pytest.raises(ValidationError) as rising:
            run_ticket_record(tank=scene["tank"], data=tank_ticket(opening_level=D("0.5"), closing_level=D("1.5")))
        assert "closing_level" in rising.value.error_dict
        with pytest.raises(ValidationError) as factor:
            run_ticket_record(tank=scene["tank"], data=lact_ticket(meter_factor=D("1.5")))
        assert "meter_factor" in factor.value.error_dict
        with pytest.raises(ValidationError) as hot:
            run_ticket_record(tank=scene["tank"], data=lact_ticket(observed_temperature_f=D("400")))
        assert "observed_temperature_f" in hot.value.error_dict
        assert not RunTicket.objects.exists()


def test_the_database_keeps_one_current_ticket_per_number_and_the_fields_of_its_kind(tenant_a, in_tenant, scene):
    with in_tenant(tenant_a):
        first = run_ticket_record(tank=scene["tank"], data=tank_ticket())
        again = run_ticket_record(tank=scene["tank"], data=tank_ticket(bsw_percent=D("0.4")))
        first.refresh_from_db()
        assert first.superseded_by_id == again.pk and again.superseded_by_id is None
        copy = RunTicket.objects.get(pk=again.pk)
        copy.pk, copy.superseded_by = uuid.uuid4(), None
        # A partial unique index: MySQL/MariaDB have none (there run_ticket_record's lock holds the rule).
        if connections[tenant_db.current_db()].features.supports_partial_indexes:
            with pytest.raises(IntegrityError), tenant_db.atomic():
                copy.save(force_insert=True)
        wrong = RunTicket.objects.get(pk=again.pk)
        wrong.pk, wrong.ticket_number, wrong.meter_factor = uuid.uuid4(), "T-9", D(1)  # TANK with a meter factor
        with pytest.raises(IntegrityError), tenant_db.atomic():
            wrong.save(force_insert=True)


# ------------------------------------------------------------------ the API


@pytest.mark.parametrize("role", ("ADMIN", "MANAGER", "OPERATOR"))
def test_an_operator_reads_the_tickets_of_their_route_only(api, tenant_a, in_tenant, scene, role):
    with in_tenant(tenant_a):
        mine = run_ticket_record(tank=scene["tank"], data=tank_ticket())
        far = run_ticket_record(tank=scene["far_tank"], data=lact_ticket())
    client = api(tenant_a, role)
    listed = client.get("/api/v1/run-tickets/").json()
    expected = {str(mine.pk)} if role == "OPERATOR" else {str(mine.pk), str(far.pk)}
    assert {t["id"] for t in listed["results"]} == expected
    one = client.get(f"/api/v1/run-tickets/{mine.pk}/").json()
    assert one == {
        "id": str(mine.pk), "ticketNumber": "T-1001", "leaseId": str(scene["lease"].pk), "tankId": str(scene["tank"].pk),
        "kind": "TANK", "closedAt": "2026-11-03T08:15:00-06:00", "observedGravityApi": 40.0,
        "observedTemperatureF": 60.0, "bswPercent": 0.5, "disposition": "1", "openingLevel": 1.5,
        "closingLevel": 0.5, "unit": "FT", "openingTotalizerBbl": None, "closingTotalizerBbl": None,
        "meterFactor": None, "purchaser": "", "sealsRemoved": [], "sealsInstalled": [], "notes": "",
        "grossObservedBbl": 20.05, "grossStandardBbl": 20.05, "netBbl": 19.95, "ctl": 1.0, "recordedBy": None,
        "sourceEventId": None, "supersededBy": None,
    } | {"closedAt": one["closedAt"]}
    assert datetime.fromisoformat(one["closedAt"]) == CLOSED
    far_one = client.get(f"/api/v1/run-tickets/{far.pk}/")
    if role == "OPERATOR":
        assert_error(far_one, 404, "not_found")
    else:
        assert far_one.json()["grossObservedBbl"] == 180.72 and far_one.json()["unit"] is None


def test_tickets_filter_by_lease_and_day_and_refuse_bad_filters(api, tenant_a, in_tenant, scene):
    with in_tenant(tenant_a):
        early = run_ticket_record(tank=scene["tank"], data=tank_ticket("T-1", closed_at=CLOSED - timedelta(days=2)))
        late = run_ticket_record(tank=scene["tank"], data=tank_ticket("T-2"))
        run_ticket_record(tank=scene["far_tank"], data=lact_ticket())
    client = api(tenant_a, "MANAGER")
    by_lease = client.get("/api/v1/run-tickets/", {"leaseId": str(scene["lease"].pk)}).json()
    assert [t["id"] for t in by_lease["results"]] == [str(late.pk), str(early.pk)]
    day = client.get("/api/v1/run-tickets/", {"leaseId": str(scene["lease"].pk), "from": "2026-11-03",
                                              "to": "2026-11-03"}).json()
    assert [t["id"] for t in day["results"]] == [str(late.pk)]
    assert_invalid(client.get("/api/v1/run-tickets/", {"leaseId": "nope", "from": "2026-13-01"}), "leaseId", "from")
    assert_invalid(client.get("/api/v1/run-tickets/", {"from": "2026-11-04", "to": "2026-11-03"}), "from")
    assert_error(client.get("/api/v1/run-tickets/not-a-uuid/"), 404, "not_found")
    assert_error(client.get(f"/api/v1/run-tickets/{uuid.uuid4()}/"), 404, "not_found")
    assert_error(client.post("/api/v1/run-tickets/", {}), 405, "method_not_allowed")


def test_another_tenant_sees_no_ticket_and_no_daily(api, tenant_a, tenant_b, in_tenant, scene):
    with in_tenant(tenant_a):
        ticket = run_ticket_record(tank=scene["tank"], data=tank_ticket())
    client = api(tenant_b, "ADMIN")
    assert client.get("/api/v1/run-tickets/").json()["count"] == 0
    assert_error(client.get(f"/api/v1/run-tickets/{ticket.pk}/"), 404, "not_found")
    assert_error(client.get(f"/api/v1/leases/{scene['lease'].pk}/daily"), 404, "not_found")


# ------------------------------------------------------------------ daily production


def _gauge(tank, inches, day: date, hour: int, zone):
    return tank_gauge_record(tank=tank, level=D(inches), unit="IN",
                             gauged_at=datetime.combine(day, time(hour, 0), tzinfo=zone))


def test_daily_production_is_stock_change_plus_runs_and_marks_ungauged_days(api, tenant_a, in_tenant, scene):
    zone = zoneinfo.ZoneInfo(tenant_a.tenant.time_zone)
    d0, d1, d2, d3 = (date(2026, 11, 1) + timedelta(days=n) for n in range(4))
    one, two = scene["tank"], scene["second"]
    with in_tenant(tenant_a):
        _gauge(one, 12, d0, 17, zone)  # 20.04
        _gauge(two, 6, d0, 17, zone)  # 10.02
        _gauge(one, 15, d1, 7, zone)  # superseded by the evening gauge of the day
        _gauge(one, 18, d1, 17, zone)  # 30.07
        _gauge(two, 6, d1, 17, zone)  # 10.02
        _gauge(two, 12, d2, 17, zone)  # 20.04; tank one not gauged on d2: carried, estimated
        closed = datetime.combine(d3, time(8, 0), tzinfo=zone)
        replaced = run_ticket_record(tank=one, data=tank_ticket("H-1", closed_at=closed, opening_level=D(18),
                                                                 closing_level=D(3), unit="IN"))
        ticket = run_ticket_record(tank=one, data=tank_ticket("H-1", closed_at=closed, opening_level=D(18),
                                                               closing_level=D(6), unit="IN"))  # the current one
        assert replaced.gross_observed_bbl != ticket.gross_observed_bbl == D("20.05")
        _gauge(one, 9, d3, 17, zone)  # 15.03 after the haul
        _gauge(two, 12, d3, 17, zone)  # 20.04
        water = Tank.objects.create(lease=scene["lease"], name="Water 1", product="WATER", capacity_bbl=D(40),
                                    height_inches=D(24))
        StrappingRow.objects.bulk_create([StrappingRow(tank=water, height_inches=h, barrels=b) for h, b in STRAPPING])
        _gauge(water, 20, d2, 17, zone)  # water tanks are no part of oil stock
    response = api(tenant_a, "OPERATOR").get(f"/api/v1/leases/{scene['lease'].pk}/daily",
                                             {"from": d1.isoformat(), "to": d3.isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["leaseId"] == str(scene["lease"].pk) and body["timeZone"] == tenant_a.tenant.time_zone
    assert body["days"] == [
        {"date": "2026-11-02", "stockBbl": 40.09, "runsBbl": 0.0, "productionBbl": 10.03, "estimated": False},
        {"date": "2026-11-03", "stockBbl": 50.11, "runsBbl": 0.0, "productionBbl": 10.02, "estimated": True},
        {"date": "2026-11-04", "stockBbl": 35.07, "runsBbl": 20.05, "productionBbl": 5.01, "estimated": False},
    ]


def test_daily_refuses_bad_ranges_and_unseen_leases(api, tenant_a, scene):
    client = api(tenant_a, "OPERATOR")
    lease = scene["lease"].pk
    assert_invalid(client.get(f"/api/v1/leases/{lease}/daily", {"from": "2026-02-30"}), "from")
    assert_invalid(client.get(f"/api/v1/leases/{lease}/daily", {"from": "2026-11-05", "to": "2026-11-01"}), "from")
    assert_invalid(client.get(f"/api/v1/leases/{lease}/daily", {"from": "2024-01-01", "to": "2026-01-01"}), "to")
    assert_error(client.get(f"/api/v1/leases/{scene['off_lease'].pk}/daily"), 404, "not_found")
    default = client.get(f"/api/v1/leases/{lease}/daily").json()["days"]
    assert len(default) == 30 and all(day["estimated"] and day["stockBbl"] == 0 for day in default)


def test_far_dates_are_answered_not_crashed(api, tenant_a, scene):
    client = api(tenant_a, "MANAGER")
    lease = scene["lease"].pk
    assert client.get(f"/api/v1/leases/{lease}/daily", {"from": "9999-12-31"}).json()["days"] == []
    assert client.get(f"/api/v1/leases/{lease}/daily", {"to": "9999-12-31"}).status_code == 200
    assert client.get(f"/api/v1/leases/{lease}/daily", {"from": "1900-01-01", "to": "1900-01-01"}).json()["days"][0][
        "date"] == "1900-01-01"
    assert client.get("/api/v1/run-tickets/", {"from": "9999-12-31", "to": "9999-12-31"}).json()["count"] == 0
