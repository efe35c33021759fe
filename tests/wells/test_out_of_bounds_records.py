"""Rows that earlier versions stored with dates or times outside the wire bounds: the upgrade's data
migration moves them into QuarantinedRecord (kept, listed by a command), and every list reads
again. And the wells API refuses such dates on the way in."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone as dj_timezone
from django_tenants.utils import schema_context

from sync.models import SyncBatch, SyncEvent
from tests.wells.helpers import (
    assert_invalid,
    assign,
    make_equipment,
    make_well,
    production_values,
    run_data_migration,
    tenant_user,
)
from wells.models import EquipmentInspection, ProductionRecord, QuarantinedRecord, Well, WellReading

pytestmark = pytest.mark.django_db

GOOD_TIME = datetime(2026, 1, 15, 14, 3, tzinfo=timezone.utc)


@pytest.fixture
def poisoned_time(level) -> datetime:
    """What an earlier version stored: 0001-01-01T00:00:00+14:00 (PostgreSQL keeps it as 1 BC, which
    psycopg cannot read back). MySQL/MariaDB never stored that (Django converts to UTC first, which
    overflows), but does keep 1850."""
    if level == "database-mariadb":
        return datetime(1850, 1, 1, tzinfo=timezone.utc)
    return datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))


def listed(api, well, what: str) -> list[dict]:
    response = api.get(f"/api/v1/wells/{well.pk}/{what}/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_reading_stored_with_a_time_before_1900_is_moved_out_and_the_list_reads_again(
        api, tenant_a, poisoned_time):
    well = make_well(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        good = WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(250), unit="PSI",
                                          value_normalized=Decimal(250), recorded_at=GOOD_TIME)
        bad = WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(99), unit="PSI",
                                         value_normalized=Decimal(99), recorded_at=poisoned_time)
    run_data_migration("wells", "0003_quarantined_records", tenant_a)
    assert [r["id"] for r in listed(api(tenant_a, "MANAGER"), well, "readings")] == [str(good.pk)]
    with schema_context(tenant_a.tenant.schema_name):
        [kept] = QuarantinedRecord.objects.filter(record_id=str(bad.pk))
        assert not WellReading.objects.filter(pk=bad.pk).exists()
    assert (kept.model, kept.field, kept.action, kept.well_id) == ("wells.WellReading", "recorded_at", "moved", well.pk)
    assert kept.value.startswith(("0001-12-31", "1850-01-01"))  # as the database wrote it
    assert kept.data["value"] == "99.000" and kept.data["recorded_at"] == kept.value


def test_a_current_production_record_moved_out_gives_its_place_back_to_the_one_it_superseded(
        api, tenant_a, poisoned_time):
    well = make_well(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        bad = ProductionRecord.objects.create(**production_values(well, volume=Decimal(900),
                                                                  volume_normalized=Decimal(900),
                                                                  recorded_at=poisoned_time))
        earlier = ProductionRecord.objects.create(**production_values(well, superseded_by=bad))
    run_data_migration("wells", "0003_quarantined_records", tenant_a)
    [row] = listed(api(tenant_a, "MANAGER"), well, "production")
    assert row["id"] == str(earlier.pk) and row["supersededBy"] is None and row["volume"] == 120.5
    with schema_context(tenant_a.tenant.schema_name):
        assert QuarantinedRecord.objects.filter(record_id=str(bad.pk), model="wells.ProductionRecord").exists()


def test_an_inspection_with_a_poisoned_time_no_longer_breaks_the_inspections_list(api, tenant_a, poisoned_time):
    well = make_well(tenant_a)
    pump = make_equipment(tenant_a, well)
    with schema_context(tenant_a.tenant.schema_name):
        EquipmentInspection.objects.create(well=well, equipment=pump, inspection_type="ROUTINE", status="PASS",
                                           inspected_at=poisoned_time)
    run_data_migration("wells", "0003_quarantined_records", tenant_a)
    assert listed(api(tenant_a, "MANAGER"), well, "inspections") == []


def test_a_spud_date_before_1850_and_an_occurred_at_before_1900_are_cleared_and_kept(api, tenant_a, poisoned_time):
    well = make_well(tenant_a, spud_date=date(1849, 12, 31))
    with schema_context(tenant_a.tenant.schema_name):
        batch = SyncBatch.objects.create()
        event = SyncEvent.objects.create(event_id=uuid.uuid4(), batch=batch, type="NOTES_ADDED", payload={},
                                         content_hash="x", occurred_at=poisoned_time)
    run_data_migration("wells", "0003_quarantined_records", tenant_a)
    run_data_migration("sync", "0006_quarantine_out_of_bounds_times", tenant_a)
    assert api(tenant_a, "MANAGER").get(f"/api/v1/wells/{well.pk}/").json()["spudDate"] is None
    with schema_context(tenant_a.tenant.schema_name):
        assert SyncEvent.objects.get(pk=event.pk).occurred_at is None
        cleared = {(q.model, q.field, q.action) for q in QuarantinedRecord.objects.all()}
        assert Well.objects.get(pk=well.pk).spud_date is None
    assert cleared == {("wells.Well", "spud_date", "cleared"), ("sync.SyncEvent", "occurred_at", "cleared")}


def test_the_command_lists_quarantined_rows_and_scans_again(tenant_a, poisoned_time):
    well = make_well(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        bad = WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(1), unit="PSI",
                                         value_normalized=Decimal(1), recorded_at=poisoned_time)
    out = StringIO()
    call_command("quarantined_records", "--tenant", tenant_a.public_id, "--scan", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["found"] == 1
    assert [(r["model"], r["recordId"], r["wellId"]) for r in body["records"]] == [
        ("wells.WellReading", str(bad.pk), str(well.pk))]
    out = StringIO()
    call_command("quarantined_records", "--tenant", tenant_a.public_id, stdout=out)
    assert "1 quarantined row(s)" in out.getvalue() and str(bad.pk) in out.getvalue()


def test_rows_within_the_bounds_are_left_alone(tenant_a):
    well = make_well(tenant_a, spud_date=date(1850, 1, 1))
    with schema_context(tenant_a.tenant.schema_name):
        WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(1), unit="PSI",
                                   value_normalized=Decimal(1), recorded_at=datetime(1900, 1, 1, tzinfo=timezone.utc))
        ProductionRecord.objects.create(**production_values(well, production_date=date(1900, 1, 1)))
    run_data_migration("wells", "0003_quarantined_records", tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        assert not QuarantinedRecord.objects.exists()
        assert WellReading.objects.filter(well=well).count() == ProductionRecord.objects.filter(well=well).count() == 1


@pytest.mark.schema_only
def test_a_time_that_cannot_be_shown_in_the_local_zone_is_listed_as_stored(api, tenant_a):
    well = make_well(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(1), unit="PSI",
                                   value_normalized=Decimal(1), recorded_at=datetime(1, 1, 1, 3, tzinfo=timezone.utc))
    with dj_timezone.override("America/Chicago"):  # 0001-01-01T03:00Z is in year 0 there
        [row] = listed(api(tenant_a, "MANAGER"), well, "readings")
    assert row["recordedAt"] == "0001-01-01T03:00:00Z"


# ------------------------------------------------------------------ on the way in


@pytest.mark.parametrize(("spud", "ok"), [("1849-12-31", False), ("0001-01-01", False), ("1850-01-01", True)])
def test_a_spud_date_goes_back_to_1850_and_no_further(api, tenant_a, spud, ok):
    body = {"apiNumber": "42-501-20130-03-00", "name": "Old timer", "spudDate": spud}
    response = api(tenant_a, "MANAGER").post("/api/v1/wells/", body)
    if ok:
        assert response.status_code == 201, response.content
    else:
        assert assert_invalid(response, "spudDate")["spudDate"] == ["Must be on or after 1850-01-01."]


@pytest.mark.parametrize(("params", "field"), [({"from": "1899-12-31"}, "from"), ({"to": "0001-01-01"}, "to")])
def test_production_filters_before_1900_are_refused(api, tenant_a, params, field):
    well = make_well(tenant_a)
    assert_invalid(api(tenant_a, "MANAGER").get(f"/api/v1/wells/{well.pk}/production/", params), field)


def test_the_operator_sees_no_poisoned_reading_either(api, tenant_a, poisoned_time):
    well = make_well(tenant_a)
    assign(tenant_a, "OPERATOR", [well])
    with schema_context(tenant_a.tenant.schema_name):
        WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal(1), unit="PSI",
                                   value_normalized=Decimal(1), recorded_at=poisoned_time,
                                   recorded_by=tenant_user(tenant_a, "OPERATOR"))
    run_data_migration("wells", "0003_quarantined_records", tenant_a)
    assert listed(api(tenant_a, "OPERATOR"), well, "readings") == []
