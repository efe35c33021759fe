"""An OPERATOR's route limits everything they read: lists, details, nested lists, filters and search.
MANAGERs and ADMINs see every well of their tenant."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from datetime import timezone as tz
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tests.wells.helpers import assert_error, assign, make_equipment, make_well, production_values, tenant_user
from wells.models import FieldNote, Photo, ProductionRecord, WellReading
from wells.services import wells_unassign

pytestmark = pytest.mark.django_db


@pytest.fixture
def field(tenant_a):
    """Five wells on two leases; tenant_a's OPERATOR has three of them on their route."""
    wells = {
        "alpha": make_well(tenant_a, name="Alpha 1H", lease="North", field="Spraberry", status="ACTIVE"),
        "bravo": make_well(tenant_a, name="Bravo 2H", lease="North", field="Spraberry", status="SHUT_IN"),
        "charlie": make_well(tenant_a, name="Charlie 3H", lease="South", field="Wolfcamp", status="ACTIVE"),
        "delta": make_well(tenant_a, name="Delta 4H", lease="North", field="Spraberry", status="ACTIVE"),
        "echo": make_well(tenant_a, name="Echo 5H", lease="South", field="Wolfcamp", status="SHUT_IN"),
    }
    assign(tenant_a, "OPERATOR", [wells["alpha"], wells["bravo"], wells["charlie"]])
    return wells


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_an_operator_lists_exactly_the_wells_on_their_route(api, tenant_a, field):
    body = api(tenant_a, "OPERATOR").get("/api/v1/wells/").json()
    assert body["count"] == 3
    assert [row["name"] for row in body["results"]] == ["Alpha 1H", "Bravo 2H", "Charlie 3H"]


@pytest.mark.parametrize("role", ["MANAGER", "ADMIN"])
def test_managers_and_admins_list_every_well_of_the_tenant(api, tenant_a, field, role):
    assert api(tenant_a, role).get("/api/v1/wells/").json()["count"] == 5


def test_an_operator_reads_details_of_route_wells_only(api, tenant_a, field):
    operator = api(tenant_a, "OPERATOR")
    assert operator.get(f"/api/v1/wells/{field['alpha'].pk}/").json()["name"] == "Alpha 1H"
    assert_error(operator.get(f"/api/v1/wells/{field['delta'].pk}/"), 404, "not_found")


def test_an_operator_reads_equipment_of_route_wells_only(api, tenant_a, field):
    on_route, off_route = make_equipment(tenant_a, field["alpha"]), make_equipment(tenant_a, field["delta"])
    operator = api(tenant_a, "OPERATOR")
    assert operator.get(f"/api/v1/equipment/{on_route.pk}/").json()["wellId"] == str(field["alpha"].pk)
    assert_error(operator.get(f"/api/v1/equipment/{off_route.pk}/"), 404, "not_found")


@pytest.mark.parametrize(("filters", "operator_sees", "manager_sees"), [
    ({"status": "ACTIVE"}, ["Alpha 1H", "Charlie 3H"], ["Alpha 1H", "Charlie 3H", "Delta 4H"]),
    ({"status": "SHUT_IN"}, ["Bravo 2H"], ["Bravo 2H", "Echo 5H"]),
    ({"lease": "north"}, ["Alpha 1H", "Bravo 2H"], ["Alpha 1H", "Bravo 2H", "Delta 4H"]),
    ({"field": "Wolfcamp"}, ["Charlie 3H"], ["Charlie 3H", "Echo 5H"]),
    ({"lease": "North", "status": "ACTIVE"}, ["Alpha 1H"], ["Alpha 1H", "Delta 4H"]),
    ({"search": "delta"}, [], ["Delta 4H"]),
    ({"search": "2h"}, ["Bravo 2H"], ["Bravo 2H"]),
    ({"search": ""}, ["Alpha 1H", "Bravo 2H", "Charlie 3H"], ["Alpha 1H", "Bravo 2H", "Charlie 3H", "Delta 4H",
                                                               "Echo 5H"]),
])
def test_filters_and_search_stay_within_the_route(api, tenant_a, field, filters, operator_sees, manager_sees):
    assert names(api(tenant_a, "OPERATOR").get("/api/v1/wells/", filters)) == operator_sees
    assert names(api(tenant_a, "MANAGER").get("/api/v1/wells/", filters)) == manager_sees


def test_a_search_for_the_api_number_of_an_off_route_well_finds_nothing(api, tenant_a, field):
    number = field["delta"].api_number
    hyphenated = f"{number[:2]}-{number[2:5]}-{number[5:10]}"
    for search in (number, hyphenated, number[5:10]):
        assert names(api(tenant_a, "OPERATOR").get("/api/v1/wells/", {"search": search})) == []
        assert names(api(tenant_a, "MANAGER").get("/api/v1/wells/", {"search": search})) == ["Delta 4H"]


def test_a_search_by_api_number_accepts_hyphens_and_a_name_search_ignores_its_digits(api, tenant_a):
    smith = make_well(tenant_a, name="Smith 1-H", api_number="42329111110000")
    make_well(tenant_a, name="Jones 7H", api_number="42329111120000")  # its number holds a 1 too
    manager = api(tenant_a, "MANAGER")
    assert names(manager.get("/api/v1/wells/", {"search": "42-329-11111"})) == ["Smith 1-H"]
    assert names(manager.get("/api/v1/wells/", {"search": "smith 1-h"})) == [smith.name]


def test_a_well_taken_off_the_route_disappears_for_the_operator(api, tenant_a, field):
    with schema_context(tenant_a.tenant.schema_name):
        wells_unassign(user=tenant_user(tenant_a, "OPERATOR"), well_ids=[field["alpha"].pk])
    operator = api(tenant_a, "OPERATOR")
    assert operator.get("/api/v1/wells/").json()["count"] == 2
    assert_error(operator.get(f"/api/v1/wells/{field['alpha'].pk}/"), 404, "not_found")


def test_another_operator_has_their_own_route(api, tenant_a, field):
    from tests.factories import make_user

    other = make_user(tenant_a)
    assign(tenant_a, other, [field["delta"]])
    assert names(api(tenant_a, other).get("/api/v1/wells/")) == ["Delta 4H"]
    assert_error(api(tenant_a, other).get(f"/api/v1/wells/{field['alpha'].pk}/"), 404, "not_found")


# ------------------------------------------------------------------ nested lists


@pytest.fixture
def records(tenant_a, field):
    """Field records on an on-route well (alpha) and an off-route one (delta)."""
    operator = tenant_user(tenant_a, "OPERATOR")
    at = datetime(2026, 1, 15, 14, 3, tzinfo=tz.utc)
    with schema_context(tenant_a.tenant.schema_name):
        for well in (field["alpha"], field["delta"]):
            for day in (10, 15, 20):
                ProductionRecord.objects.create(**production_values(well, production_date=date(2026, 1, day),
                                                                    recorded_by=operator))
            WellReading.objects.create(well=well, reading_type="PRESSURE", value=Decimal("250"), unit="PSI",
                                       value_normalized=Decimal("250"), recorded_at=at, recorded_by=operator)
            FieldNote.objects.create(well=well, notes="Gate chained.", recorded_at=at)
            Photo.objects.create(well=well, photo_id=uuid.uuid4(), taken_at=at, caption="Tank")
    return field


@pytest.mark.parametrize("what", ["equipment", "production", "readings", "inspections", "repairs", "notes",
                                  "photos"])
def test_an_operator_reads_nested_lists_of_route_wells_only(api, tenant_a, records, what):
    operator = api(tenant_a, "OPERATOR")
    assert operator.get(f"/api/v1/wells/{records['alpha'].pk}/{what}/").status_code == 200
    assert_error(operator.get(f"/api/v1/wells/{records['delta'].pk}/{what}/"), 404, "not_found")


def test_nested_lists_hold_only_the_records_of_their_well(api, tenant_a, records):
    manager = api(tenant_a, "MANAGER")
    body = manager.get(f"/api/v1/wells/{records['alpha'].pk}/production/").json()
    assert body["count"] == 3
    assert {row["wellId"] for row in body["results"]} == {str(records["alpha"].pk)}


def test_production_is_listed_newest_first_in_the_contract_shape(api, tenant_a, records):
    body = api(tenant_a, "OPERATOR").get(f"/api/v1/wells/{records['alpha'].pk}/production/").json()
    first = body["results"][0]
    assert set(first) == {"id", "wellId", "productionDate", "product", "volume", "unit", "downtimeHours",
                          "downtimeReason", "recordedBy", "sourceEventId", "supersededBy"}
    assert [row["productionDate"] for row in body["results"]] == ["2026-01-20", "2026-01-15", "2026-01-10"]
    assert first["volume"] == 120.5 and first["unit"] == "BBL" and first["supersededBy"] is None
    assert first["recordedBy"] == str(tenant_user(tenant_a, "OPERATOR").pk)


@pytest.mark.parametrize(("params", "dates"), [
    ({"from": "2026-01-15"}, ["2026-01-20", "2026-01-15"]),
    ({"to": "2026-01-15"}, ["2026-01-15", "2026-01-10"]),
    ({"from": "2026-01-11", "to": "2026-01-19"}, ["2026-01-15"]),
    ({"from": "2026-01-15", "to": "2026-01-15"}, ["2026-01-15"]),
    ({"from": "2027-01-01"}, []),
])
def test_production_filters_by_date_range(api, tenant_a, records, params, dates):
    body = api(tenant_a, "OPERATOR").get(f"/api/v1/wells/{records['alpha'].pk}/production/", params).json()
    assert [row["productionDate"] for row in body["results"]] == dates


def test_readings_notes_and_photos_carry_their_event_payload_fields(api, tenant_a, records):
    operator = api(tenant_a, "OPERATOR")
    well = records["alpha"].pk
    [reading] = operator.get(f"/api/v1/wells/{well}/readings/").json()["results"]
    assert reading["readingType"] == "PRESSURE" and reading["value"] == 250.0 and reading["unit"] == "PSI"
    assert reading["recordedAt"] == "2026-01-15T14:03:00Z" and reading["equipmentId"] is None
    [note] = operator.get(f"/api/v1/wells/{well}/notes/").json()["results"]
    assert {"notes", "recordedAt", "wellId", "recordedBy", "sourceEventId", "supersededBy"} <= set(note)
    [photo] = operator.get(f"/api/v1/wells/{well}/photos/").json()["results"]
    assert photo["url"] is None and photo["sizeBytes"] is None and photo["caption"] == "Tank"
    assert {"photoId", "takenAt", "equipmentId", "contentType"} <= set(photo)


def test_inspections_and_repairs_name_their_equipment(api, tenant_a, field):
    from wells.models import EquipmentInspection, EquipmentRepair

    pump = make_equipment(tenant_a, field["alpha"])
    at = datetime.now(tz.utc) - timedelta(hours=1)
    with schema_context(tenant_a.tenant.schema_name):
        EquipmentInspection.objects.create(well=field["alpha"], equipment=pump, inspection_type="SAFETY",
                                           status="NEEDS_ATTENTION", inspected_at=at, notes="Belt worn")
        EquipmentRepair.objects.create(well=field["alpha"], equipment=pump, description="New belt", repaired_at=at,
                                       parts_replaced="belt")
    operator = api(tenant_a, "OPERATOR")
    [inspection] = operator.get(f"/api/v1/wells/{field['alpha'].pk}/inspections/").json()["results"]
    assert inspection["equipmentId"] == str(pump.pk)
    assert (inspection["inspectionType"], inspection["status"], inspection["notes"]) == (
        "SAFETY", "NEEDS_ATTENTION", "Belt worn")
    [repair] = operator.get(f"/api/v1/wells/{field['alpha'].pk}/repairs/").json()["results"]
    assert (repair["description"], repair["partsReplaced"]) == ("New belt", "belt")


def test_a_photo_whose_file_has_arrived_has_its_download_url(api, tenant_a, field):
    with schema_context(tenant_a.tenant.schema_name):
        photo = Photo.objects.create(well=field["alpha"], photo_id=uuid.uuid4(), taken_at=datetime.now(tz.utc),
                                     content_type="image/jpeg", size_bytes=1234,
                                     file=f"tenants/x/photos/{field['alpha'].pk}/a.jpg")
    [row] = api(tenant_a, "OPERATOR").get(f"/api/v1/wells/{field['alpha'].pk}/photos/").json()["results"]
    assert row["photoId"] == str(photo.photo_id)
    assert row["url"] == f"/api/v1/sync/photos/{photo.photo_id}"  # served with credentials, never public
    assert (row["contentType"], row["sizeBytes"]) == ("image/jpeg", 1234)


def test_pages_link_to_each_other_and_keep_the_filters(api, tenant_a, field):
    operator = api(tenant_a, "OPERATOR")
    first = operator.get("/api/v1/wells/", {"page_size": 2, "lease": "North"}).json()
    assert first["count"] == 2 and first["next"] is None
    first = operator.get("/api/v1/wells/", {"page_size": 2}).json()
    assert first["count"] == 3 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    second = operator.client.get(first["next"], **operator._headers()).json()
    assert [row["name"] for row in second["results"]] == ["Charlie 3H"]
    assert second["next"] is None and "page=" not in second["previous"]


def test_an_empty_list_is_one_empty_page(api, tenant_a):
    body = api(tenant_a, "OPERATOR").get("/api/v1/wells/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
