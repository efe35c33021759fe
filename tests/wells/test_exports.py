"""CSV exports (API.md section 14): the four files' rows and exact values, tenant-time-zone
dates, who recorded and the source event, superseded records with their supersededBy, the
filters and their errors (before any byte is streamed), the roles, tenant isolation, CSV
injection, and a download abandoned mid-stream leaving the connection clean."""

from __future__ import annotations

import csv
import io
import uuid
import zoneinfo
from datetime import date, datetime, time
from decimal import Decimal as D

import pytest
from django.db import connections

from tenants import databases as tenant_db
from tests.wells.helpers import assert_error, assert_invalid, make_equipment, make_well, tenant_user
from wells import exports
from wells.lease_services import run_ticket_record, tank_gauge_record
from wells.leases import Lease, StrappingRow, Tank
from wells.models import ProductionRecord, WellReading

pytestmark = pytest.mark.django_db

STRAPPING = [(D(0), D(0)), (D(12), D("20.04")), (D(24), D("40.1"))]
EVENT = uuid.UUID("7b0e6a55-3c1f-4d2e-9a8b-0c1d2e3f4a5b")


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "no-store"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def header_of(response) -> list[str]:
    text = b"".join(response.streaming_content).decode()
    return next(csv.reader(io.StringIO(text)))


@pytest.fixture
def scene(tenant_a, in_tenant):
    zone = zoneinfo.ZoneInfo(tenant_a.tenant.time_zone)
    manager = tenant_user(tenant_a, "MANAGER")
    well = make_well(tenant_a, name="=Tarzan 101H", lease="Tarzan Unit")
    other = make_well(tenant_a, name="Lonely 1", lease="")
    pump = make_equipment(tenant_a, well)
    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Tarzan Unit", rrc_district="08", rrc_lease_number="41210")
        far = Lease.objects.create(name="Far Away", rrc_district="7C", rrc_lease_number="123")
        well.lease_ref = lease
        well.save()
        tanks = []
        for on, name in ((lease, "Oil 1"), (far, "Oil 9")):
            tank = Tank.objects.create(lease=on, name=name, capacity_bbl=D(40), height_inches=D(24))
            StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=h, barrels=b) for h, b in STRAPPING])
            tanks.append(tank)
        # Production: a record superseded by a later one of the same key, another day, another well.
        new = ProductionRecord.objects.create(
            well=well, production_date=date(2026, 11, 2), product="OIL", volume=D("121.5"), unit="BBL",
            volume_normalized=D("121.5"), downtime_hours=D("1.25"), downtime_reason="@SUM(A1:A9) pump",
            recorded_by=manager, source_event_id=EVENT,
            recorded_at=datetime(2026, 11, 3, 1, 30, tzinfo=zoneinfo.ZoneInfo("UTC")))
        old = ProductionRecord.objects.create(well=well, production_date=date(2026, 11, 2), product="OIL",
                                              volume=D("120.125"), unit="BBL", volume_normalized=D("120.125"),
                                              superseded_by=new)
        ProductionRecord.objects.create(well=well, production_date=date(2026, 11, 5), product="GAS",
                                        volume=D("33.001"), unit="MCF", volume_normalized=D("33.001"))
        ProductionRecord.objects.create(well=other, production_date=date(2026, 11, 3), product="WATER",
                                        volume=D("2"), unit="BBL", volume_normalized=D("2"))
        # Readings: a negative temperature stays a number.
        WellReading.objects.create(well=well, equipment=pump, reading_type="TEMPERATURE", value=D("-4.250"),
                                   unit="F", value_normalized=D("-4.250"), recorded_by=manager,
                                   recorded_at=datetime.combine(date(2026, 11, 2), time(23, 30), tzinfo=zone))
        WellReading.objects.create(well=other, reading_type="PRESSURE", value=D("850"), unit="PSI",
                                   value_normalized=D("850"),
                                   recorded_at=datetime.combine(date(2026, 11, 3), time(0, 30), tzinfo=zone))
        tickets = run_ticket_record(tank=tanks[0], recorded_by=manager, source_event_id=EVENT, data={
            "ticket_number": "-T-1001", "kind": "TANK",
            "closed_at": datetime.combine(date(2026, 11, 3), time(8, 15), tzinfo=zone),
            "observed_gravity_api": D("40.0"), "observed_temperature_f": D("75.0"), "bsw_percent": D("0.50"),
            "disposition": "1", "opening_level": D("1.5"), "closing_level": D("0.5"), "unit": "FT",
            "purchaser": "+Plains", "seals_removed": ["S100"], "seals_installed": ["S101", "S102"],
            "notes": "=cmd|' /C calc'!A0"})
        far_ticket = run_ticket_record(tank=tanks[1], data={
            "ticket_number": "L-2001", "kind": "LACT",
            "closed_at": datetime.combine(date(2026, 11, 4), time(9, 0), tzinfo=zone),
            "observed_gravity_api": D("40.0"), "observed_temperature_f": D("60.0"), "bsw_percent": D("0.20"),
            "disposition": "0", "opening_totalizer_bbl": D("10500.0"), "closing_totalizer_bbl": D("10680.5"),
            "meter_factor": D("1.0012")})
        first = tank_gauge_record(tank=tanks[0], level=D("15.25"), unit="IN", notes="\tTab",
                                  gauged_at=datetime.combine(date(2026, 11, 2), time(17, 0), tzinfo=zone))
        second = tank_gauge_record(tank=tanks[0], level=D("1.5"), unit="FT", temperature_f=D("71.5"),
                                   recorded_by=manager, source_event_id=EVENT,
                                   gauged_at=datetime.combine(date(2026, 11, 2), time(17, 0), tzinfo=zone))
        far_gauge = tank_gauge_record(tank=tanks[1], level=D("6"), unit="IN",
                                      gauged_at=datetime.combine(date(2026, 11, 4), time(7, 0), tzinfo=zone))
    return {"zone": zone, "manager": manager, "well": well, "other": other, "lease": lease, "far": far,
            "tanks": tanks, "old": old, "new": new, "ticket": tickets, "far_ticket": far_ticket,
            "first_gauge": first, "gauge": second, "far_gauge": far_gauge, "pump": pump}


def test_production_rows_are_the_current_records_with_exact_values_and_who_recorded(api, tenant_a, scene):
    response = api(tenant_a, "MANAGER").get("/api/v1/exports/production.csv")
    rows = rows_of(response)
    assert [r["productionDate"] for r in rows] == ["2026-11-02", "2026-11-03", "2026-11-05"]
    first = rows[0]
    assert first == {
        "id": str(scene["new"].pk), "wellId": str(scene["well"].pk), "apiNumber": scene["well"].api_number,
        "wellName": "'=Tarzan 101H", "leaseId": str(scene["lease"].pk), "lease": "Tarzan Unit",
        "productionDate": "2026-11-02", "product": "OIL", "volume": "121.500", "unit": "BBL",
        "volumeNormalized": "121.500", "downtimeHours": "1.25", "downtimeReason": "'@SUM(A1:A9) pump",
        # 01:30 UTC is the evening before in Chicago (CST, -06:00).
        "recordedAt": "2026-11-02T19:30:00-06:00", "recordedBy": scene["manager"].email,
        "sourceEventId": str(EVENT), "createdAt": first["createdAt"],
    }
    assert datetime.fromisoformat(first["createdAt"]).utcoffset().total_seconds() == -6 * 3600
    assert rows[2]["volume"] == "33.001" and rows[2]["recordedBy"] == "" and rows[2]["downtimeHours"] == ""
    assert "supersededBy" not in first


def test_include_superseded_adds_the_replaced_records_and_their_superseded_by(api, tenant_a, scene):
    client = api(tenant_a, "ADMIN")
    rows = rows_of(client.get("/api/v1/exports/production.csv", {"includeSuperseded": "true"}))
    by_id = {r["id"]: r for r in rows}
    assert len(rows) == 4
    assert by_id[str(scene["old"].pk)]["supersededBy"] == str(scene["new"].pk)
    assert by_id[str(scene["old"].pk)]["volume"] == "120.125"
    assert by_id[str(scene["new"].pk)]["supersededBy"] == ""
    gauges = rows_of(client.get("/api/v1/exports/tank-gauges.csv", {"includeSuperseded": "true"}))
    assert {g["id"]: g["supersededBy"] for g in gauges} == {
        str(scene["first_gauge"].pk): str(scene["gauge"].pk), str(scene["gauge"].pk): "",
        str(scene["far_gauge"].pk): ""}
    assert len(rows_of(client.get("/api/v1/exports/tank-gauges.csv", {"includeSuperseded": "false"}))) == 2


def test_readings_run_tickets_and_gauges_carry_their_fields(api, tenant_a, scene):
    client = api(tenant_a, "MANAGER")
    readings = rows_of(client.get("/api/v1/exports/readings.csv"))
    assert [(r["readingType"], r["value"], r["recordedAt"]) for r in readings] == [
        ("TEMPERATURE", "-4.250", "2026-11-02T23:30:00-06:00"), ("PRESSURE", "850.000", "2026-11-03T00:30:00-06:00")]
    assert readings[0]["equipmentId"] == str(scene["pump"].pk) and readings[1]["equipmentId"] == ""
    assert readings[0]["recordedBy"] == scene["manager"].email

    tickets = rows_of(client.get("/api/v1/exports/run-tickets.csv"))
    assert [t["ticketNumber"] for t in tickets] == ["'-T-1001", "L-2001"]
    mine, far = tickets
    ticket = scene["ticket"]
    assert {k: mine[k] for k in ("leaseId", "tankId", "tank", "kind", "closedAt", "openingLevel", "closingLevel",
                                 "unit", "purchaser", "sealsRemoved", "sealsInstalled", "notes", "recordedBy",
                                 "sourceEventId", "openingTotalizerBbl")} == {
        "leaseId": str(scene["lease"].pk), "tankId": str(scene["tanks"][0].pk), "tank": "Oil 1", "kind": "TANK",
        "closedAt": "2026-11-03T08:15:00-06:00", "openingLevel": "1.5000", "closingLevel": "0.5000", "unit": "FT",
        "purchaser": "'+Plains", "sealsRemoved": "S100", "sealsInstalled": "S101; S102",
        "notes": "'=cmd|' /C calc'!A0", "recordedBy": scene["manager"].email, "sourceEventId": str(EVENT),
        "openingTotalizerBbl": ""}
    # The stored computed volumes, at their stored precision.
    assert (mine["ctl"], mine["grossObservedBbl"], mine["grossStandardBbl"], mine["netBbl"], mine["gravity60F"]) == (
        str(ticket.ctl), str(ticket.gross_observed_bbl), str(ticket.gross_standard_bbl), str(ticket.net_bbl),
        str(ticket.gravity_60f))
    assert len(mine["ctl"].split(".")[1]) == 5 and mine["bswPercent"] == "0.50"
    assert (far["meterFactor"], far["closingTotalizerBbl"], far["unit"], far["openingLevel"]) == (
        "1.0012", "10680.50", "", "")

    gauges = rows_of(client.get("/api/v1/exports/tank-gauges.csv"))
    # Lease by lease and tank by tank ("Far Away" before "Tarzan Unit"), each tank's gauges in time order.
    assert [(g["tank"], g["level"], g["unit"], g["levelInches"], g["barrels"], g["gaugedAt"]) for g in gauges] == [
        ("Oil 9", "6.0000", "IN", "6.0000", "10.02", "2026-11-04T07:00:00-06:00"),
        ("Oil 1", "1.5000", "FT", "18.0000", "30.07", "2026-11-02T17:00:00-06:00")]
    assert gauges[1]["temperatureF"] == "71.5" and gauges[1]["bswPercent"] == "" and gauges[1]["product"] == "OIL"
    assert gauges[1]["recordedBy"] == scene["manager"].email and gauges[1]["sourceEventId"] == str(EVENT)


def test_filters_by_day_lease_and_well(api, tenant_a, scene):
    client = api(tenant_a, "MANAGER")
    lease, well = str(scene["lease"].pk), str(scene["well"].pk)
    production = rows_of(client.get("/api/v1/exports/production.csv", {"from": "2026-11-03", "to": "2026-11-05"}))
    assert [r["productionDate"] for r in production] == ["2026-11-03", "2026-11-05"]
    assert {r["wellId"] for r in rows_of(client.get("/api/v1/exports/production.csv", {"wellId": well}))} == {well}
    assert {r["wellId"] for r in rows_of(client.get("/api/v1/exports/production.csv", {"leaseId": lease}))} == {well}
    # Days of the tenant's time zone: 23:30 on Nov 2 in Chicago is Nov 3 in UTC, still Nov 2 here.
    readings = rows_of(client.get("/api/v1/exports/readings.csv", {"from": "2026-11-02", "to": "2026-11-02"}))
    assert [r["readingType"] for r in readings] == ["TEMPERATURE"]
    tickets = rows_of(client.get("/api/v1/exports/run-tickets.csv", {"leaseId": lease}))
    assert [t["ticketNumber"] for t in tickets] == ["'-T-1001"]
    # wellId on lease records: the tanks of the lease the well names; a well with no lease has none.
    assert [g["tank"] for g in rows_of(client.get("/api/v1/exports/tank-gauges.csv", {"wellId": well}))] == ["Oil 1"]
    other = str(scene["other"].pk)
    assert rows_of(client.get("/api/v1/exports/tank-gauges.csv", {"wellId": other})) == []
    assert rows_of(client.get("/api/v1/exports/run-tickets.csv", {"from": "2026-11-04", "to": "2026-11-04"}))[0][
        "ticketNumber"] == "L-2001"
    # No rows: the header row alone.
    empty = client.get("/api/v1/exports/production.csv", {"leaseId": str(uuid.uuid4())})
    assert header_of(empty)[:3] == ["id", "wellId", "apiNumber"]


def test_bad_filters_are_400_before_anything_streams(api, tenant_a, scene):
    client = api(tenant_a, "MANAGER")
    for kind in exports.KINDS:
        path = f"/api/v1/exports/{kind}.csv"
        assert_invalid(client.get(path, {"from": "2026-13-01", "to": "nope", "leaseId": "x", "wellId": "1",
                                          "includeSuperseded": "yes"}),
                       "from", "to", "leaseId", "wellId", "includeSuperseded")
        assert_invalid(client.get(path, {"from": "2026-11-05", "to": "2026-11-04"}), "from")
        assert_invalid(client.get(path, {"from": "1899-12-31"}), "from")
        assert_invalid(client.get(path, {"format": "csv", "page": "2"}), "format", "page")
        assert_invalid(client.get(path, {"to": ""}), "to")
    assert_error(client.post("/api/v1/exports/production.csv", {}), 405, "method_not_allowed")
    assert_error(client.get("/api/v1/exports/nothing.csv"), 404, "not_found")
    # A client asking for CSV still gets its error as JSON.
    response = client.client.get("/api/v1/exports/readings.csv", {"from": "x"}, HTTP_ACCEPT="text/csv",
                                 **client._headers())
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_operators_may_not_export_and_other_tenants_see_nothing(api, tenant_a, tenant_b, scene):
    for kind in exports.KINDS:
        response = api(tenant_a, "OPERATOR").get(f"/api/v1/exports/{kind}.csv")
        assert_error(response, 403, "permission_denied")
        assert "MANAGER" in response.json()["error"]["message"]
        assert rows_of(api(tenant_b, "ADMIN").get(f"/api/v1/exports/{kind}.csv")) == []
    unauthenticated = api(tenant_a, "MANAGER").client.get("/api/v1/exports/production.csv",
                                                          **tenant_a.headers(token="not-a-token"))
    assert unauthenticated.status_code == 401


def _open_cursors(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


def test_a_download_abandoned_mid_stream_closes_its_cursor(api, tenant_a, in_tenant, scene, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    with in_tenant(tenant_a):
        ProductionRecord.objects.bulk_create([
            ProductionRecord(well=scene["well"], production_date=date(2026, 10, 1 + n), product="WATER",
                             volume=D(n), unit="BBL", volume_normalized=D(n)) for n in range(20)])
        alias = tenant_db.current_db()
        if connections[alias].vendor != "postgresql":
            pytest.skip("server-side cursors are PostgreSQL's (MySQL/MariaDB: the driver holds the rows)")
        before = _open_cursors(alias)
    response = api(tenant_a, "MANAGER").get("/api/v1/exports/production.csv")
    assert response.status_code == 200
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first.startswith(b"id,wellId,") and first.count(b"\r\n") == 3  # header and 2 rows
    with in_tenant(tenant_a):
        assert _open_cursors(alias) == before + 1  # the server-side cursor, mid-stream
    # The client goes away: the WSGI server closes the response. (Its request_finished would also
    # close the connection, the test's transaction with it: not here.)
    monkeypatch.setattr(connections[alias], "close_if_unusable_or_obsolete", lambda: None)
    response.close()
    with in_tenant(tenant_a):
        assert _open_cursors(alias) == before
        assert ProductionRecord.objects.count() == 24  # the connection still answers
    # A new download on the same connection starts clean.
    assert len(rows_of(api(tenant_a, "MANAGER").get("/api/v1/exports/production.csv"))) == 23


def test_safe_text_neutralises_formula_starts():
    assert [exports.safe_text(v) for v in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", "", None, "a=b")] == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "plain", "", "", "a=b"]


@pytest.mark.parametrize("include_superseded", (False, True))
def test_postgresql_writes_the_same_cells_as_the_python_converters(tenant_a, in_tenant, scene, include_superseded):
    """On PostgreSQL the database formats the cells (speed); the Python converters are the
    reference (and what MySQL/MariaDB tenants get): byte for byte the same file."""
    with in_tenant(tenant_a):
        # Times with microseconds and on both sides of a DST change, a JSON list, a formula.
        ProductionRecord.objects.create(
            well=scene["well"], production_date=date(2026, 3, 8), product="OIL", volume=D("0.001"), unit="BBL",
            volume_normalized=D("0.001"), downtime_reason="=1+1", recorded_by=scene["manager"],
            recorded_at=datetime(2026, 3, 8, 7, 59, 59, 999999, tzinfo=zoneinfo.ZoneInfo("UTC")))
        ProductionRecord.objects.create(
            well=scene["well"], production_date=date(2026, 3, 9), product="OIL", volume=D("12345678901.5"),
            unit="BBL", volume_normalized=D("12345678901.5"), downtime_reason="",
            recorded_at=datetime(2026, 3, 8, 8, 0, 0, 1, tzinfo=zoneinfo.ZoneInfo("UTC")))
        alias = tenant_db.current_db()
        if connections[alias].vendor != "postgresql":
            pytest.skip("the in-database cells are PostgreSQL's")
        for kind in exports.KINDS:
            filters = {"include_superseded": include_superseded}
            args = {"user": scene["manager"], "filters": filters, "time_zone": scene["zone"]}
            python = b"".join(exports.export_stream(kind, in_database=False, **args))
            database = b"".join(exports.export_stream(kind, in_database=True, **args))
            assert database == python, kind
            assert python.count(b"\r\n") >= 3
        text = b"".join(exports.export_stream("production", in_database=True, **args)).decode()
        # 2 a.m. CST on March 8, 2026 is 08:00 UTC: the clocks go to 3 a.m. CDT.
        assert "2026-03-08T01:59:59.999999-06:00" in text and "2026-03-08T03:00:00.000001-05:00" in text
        assert "'=1+1" in text and "12345678901.500" in text and ",0.001," in text


class _ZoneUnknownToPostgres(zoneinfo.ZoneInfo):
    def __str__(self) -> str:
        return "Nowhere/Unknown_Zone"


def test_a_zone_postgresql_does_not_know_is_written_by_python(tenant_a, in_tenant, scene):
    with in_tenant(tenant_a):
        if connections[tenant_db.current_db()].vendor != "postgresql":
            pytest.skip("the in-database cells are PostgreSQL's")
        args = {"user": scene["manager"], "filters": {}}
        odd = b"".join(exports.export_stream("readings", time_zone=_ZoneUnknownToPostgres("America/Chicago"), **args))
        assert odd == b"".join(exports.export_stream("readings", time_zone=scene["zone"], **args))
        assert ProductionRecord.objects.count() == 4  # the transaction is still usable
