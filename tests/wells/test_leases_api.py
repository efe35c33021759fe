"""Leases, tanks, strapping tables and gauges API (API.md section 13): roles, tenant isolation,
validation (every bad field in one 400, rows named), CSV upload, gauges with barrels."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connections

from tenants import databases as tenant_db

from tests.wells.helpers import assert_error, assert_invalid, make_well, tenant_user
from wells.lease_services import tank_gauge_record
from wells.leases import Lease, StrappingRow, Tank, TankGauge
from wells.services import wells_assign

pytestmark = pytest.mark.django_db

STRAPPING = [{"heightInches": 0, "barrels": 0}, {"heightInches": 12, "barrels": 20.04},
             {"heightInches": 24, "barrels": 40.1}]


@pytest.fixture
def scene(tenant_a, in_tenant):
    """A lease with a tank and a well on the demo OPERATOR's route; another lease off the route."""
    with in_tenant(tenant_a):
        on = Lease.objects.create(name="Tarzan Unit", rrc_district="08", rrc_lease_number="41210")
        off = Lease.objects.create(name="Far Away", rrc_district="7C", rrc_lease_number="123")
        tank = Tank.objects.create(lease=on, name="Oil 1", capacity_bbl=D(40), height_inches=D(24))
        StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=D(r["heightInches"]),
                                                       barrels=D(str(r["barrels"]))) for r in STRAPPING])
        far_tank = Tank.objects.create(lease=off, name="Oil 1", capacity_bbl=D(400), height_inches=D(240))
    well = make_well(tenant_a, name="Tarzan 101H", lease="Tarzan Unit")
    make_well(tenant_a, name="Far 1H")
    with in_tenant(tenant_a):
        well.lease_ref = on
        well.save()
        wells_assign(user=tenant_user(tenant_a, "OPERATOR"), well_ids=[well.pk])
    return {"lease": on, "off_lease": off, "tank": tank, "off_tank": far_tank, "well": well}


ROLES = ("ADMIN", "MANAGER", "OPERATOR")


@pytest.mark.parametrize("role", ROLES)
def test_an_operator_reads_only_the_leases_and_tanks_of_their_route(api, tenant_a, scene, role):
    client = api(tenant_a, role)
    leases = client.get("/api/v1/leases/").json()
    tanks = client.get("/api/v1/tanks/").json()
    expected = {"Tarzan Unit"} if role == "OPERATOR" else {"Tarzan Unit", "Far Away"}
    assert {lease["name"] for lease in leases["results"]} == expected
    assert len(tanks["results"]) == (1 if role == "OPERATOR" else 2)
    off = client.get(f"/api/v1/leases/{scene['off_lease'].pk}/")
    off_tank = client.get(f"/api/v1/tanks/{scene['off_tank'].pk}/")
    if role == "OPERATOR":
        assert_error(off, 404, "not_found")
        assert_error(off_tank, 404, "not_found")
    else:
        assert off.status_code == 200 and off_tank.status_code == 200
    lease = client.get(f"/api/v1/leases/{scene['lease'].pk}/").json()
    assert lease == {"id": str(scene["lease"].pk), "name": "Tarzan Unit", "rrcDistrict": "08",
                     "rrcLeaseNumber": "41210", "kind": "OIL", "version": 1, "updatedAt": lease["updatedAt"]}
    tank = client.get(f"/api/v1/tanks/{scene['tank'].pk}/").json()
    assert tank["strapping"] == STRAPPING and tank["leaseId"] == str(scene["lease"].pk)
    assert tank["capacityBbl"] == 40 and tank["heightInches"] == 24 and tank["product"] == "OIL"


@pytest.mark.parametrize(("role", "status"), [("ADMIN", 201), ("MANAGER", 201), ("OPERATOR", 403)])
def test_managers_and_admins_write_leases_and_tanks_operators_may_not(api, tenant_a, scene, role, status):
    client = api(tenant_a, role)
    created = client.post("/api/v1/leases/", {"name": "New Lease", "rrcDistrict": "8", "rrcLeaseNumber": "555"})
    assert created.status_code == status, created.content
    tank = client.post("/api/v1/tanks/", {"leaseId": str(scene["lease"].pk), "name": "Oil 2", "capacityBbl": 40,
                                          "heightInches": 24, "strapping": STRAPPING})
    assert tank.status_code == status, tank.content
    patch = client.patch(f"/api/v1/tanks/{scene['tank'].pk}/", {"name": "Oil 1A"})
    put = client.put(f"/api/v1/tanks/{scene['tank'].pk}/strapping", STRAPPING[:2])
    delete = client.delete(f"/api/v1/leases/{scene['lease'].pk}/")
    if role == "OPERATOR":
        for response in (created, tank, patch, put, delete):
            assert_error(response, 403, "permission_denied")
        return
    assert created.json()["rrcDistrict"] == "08" and created["Location"].endswith(f"{created.json()['id']}/")
    assert tank.json()["strapping"] == STRAPPING
    assert patch.status_code == 200 and patch.json()["version"] == 2
    assert put.status_code == 200 and put.json()["strapping"] == STRAPPING[:2] and put.json()["version"] == 3
    assert delete.status_code == 204
    assert_error(client.get(f"/api/v1/leases/{scene['lease'].pk}/"), 404, "not_found")
    assert_error(client.get(f"/api/v1/tanks/{scene['tank'].pk}/"), 404, "not_found")


def test_another_tenants_leases_and_tanks_are_not_found(api, tenant_a, tenant_b, scene):
    client = api(tenant_b, "ADMIN")
    assert client.get("/api/v1/leases/").json()["count"] == 0
    assert_error(client.get(f"/api/v1/leases/{scene['lease'].pk}/"), 404, "not_found")
    assert_error(client.get(f"/api/v1/tanks/{scene['tank'].pk}/"), 404, "not_found")
    assert_error(client.get(f"/api/v1/tanks/{scene['tank'].pk}/gauges/"), 404, "not_found")
    made = client.post("/api/v1/tanks/", {"leaseId": str(scene["lease"].pk), "name": "X", "capacityBbl": 1,
                                          "heightInches": 1})
    assert_invalid(made, "leaseId")


def test_bad_input_names_every_field_and_row(api, tenant_a, scene):
    client = api(tenant_a, "MANAGER")
    lease = client.post("/api/v1/leases/", {"name": " ", "rrcDistrict": "99", "rrcLeaseNumber": "12a",
                                            "kind": "WATER", "colour": "red"})
    assert_invalid(lease, "name", "rrcDistrict", "rrcLeaseNumber", "kind", "colour")
    tank = client.post("/api/v1/tanks/", {"leaseId": str(scene["lease"].pk), "name": "Oil 9", "capacityBbl": -1,
                                          "heightInches": "tall", "product": "GAS",
                                          "strapping": [{"heightInches": 0, "barrels": 0},
                                                        {"heightInches": 12, "barrels": 20},
                                                        {"heightInches": 6, "barrels": 10}]})
    details = assert_invalid(tank, "capacityBbl", "heightInches", "product", "strapping")
    assert any(message.startswith("Row 3: heights must strictly increase") for message in details["strapping"])
    too_tall = client.put(f"/api/v1/tanks/{scene['tank'].pk}/strapping",
                          [{"heightInches": 0, "barrels": 0}, {"heightInches": 30, "barrels": 50}])
    assert "above the tank's height" in assert_invalid(too_tall, "strapping")["strapping"][0]
    bad_row = client.put(f"/api/v1/tanks/{scene['tank'].pk}/strapping", [{"heightInches": 0}, 5])
    messages = assert_invalid(bad_row, "strapping")["strapping"]
    assert messages[0].startswith("Row 1:") and messages[1].startswith("Row 2:")
    duplicate = client.post("/api/v1/leases/", {"name": "Copy", "rrcDistrict": "08", "rrcLeaseNumber": "41210"})
    assert_error(duplicate, 409, "conflict")
    moved = client.patch(f"/api/v1/tanks/{scene['tank'].pk}/", {"leaseId": str(scene["off_lease"].pk)})
    assert_invalid(moved, "leaseId")


def _put_csv(api, tenant_a, tank, text: str):
    client = api(tenant_a, "MANAGER")
    return client.client.put(f"/api/v1/tanks/{tank.pk}/strapping", text, content_type="text/csv",
                             **client._headers())


def test_a_strapping_table_is_uploaded_as_csv(api, tenant_a, scene, in_tenant):
    response = _put_csv(api, tenant_a, scene["tank"], "height_inches,barrels\n0,0\n0.25,0.42\n24,40.5\n")
    assert response.status_code == 200, response.content
    assert response.json()["strapping"] == [{"heightInches": 0, "barrels": 0}, {"heightInches": 0.25, "barrels": 0.42},
                                            {"heightInches": 24, "barrels": 40.5}]
    with in_tenant(tenant_a):
        assert StrappingRow.objects.filter(tank=scene["tank"]).count() == 3


@pytest.mark.parametrize(("text", "message"), [
    ("height_inches,barrels\n0,0\n12,20\n24,19\n", "Line 4: barrels must not decrease"),
    ("height,bbl\n0,0\n", "Line 1: the header row must be height_inches,barrels"),
    ("height_inches,barrels\n0,0\n", "at least 2 rows"),
    ("height_inches,barrels\n0,0\n12,abc\n", "Line 3: barrels 'abc' is not a number"),
    ("", "strapping table"),  # no body at all: the test client then sends no Content-Type either
])
def test_csv_errors_name_the_line_and_change_nothing(api, tenant_a, scene, in_tenant, text, message):
    response = _put_csv(api, tenant_a, scene["tank"], text)
    messages = assert_invalid(response, "strapping")["strapping"]
    assert any(message in m for m in messages), messages
    with in_tenant(tenant_a):
        assert StrappingRow.objects.filter(tank=scene["tank"]).count() == 3


def test_csv_that_is_not_utf8_is_a_clean_400(api, tenant_a, scene):
    client = api(tenant_a, "MANAGER")
    response = client.client.put(f"/api/v1/tanks/{scene['tank'].pk}/strapping", b"\xff\xfe\x00",
                                 content_type="text/csv", **client._headers())
    assert_invalid(response, "strapping")


def test_gauges_list_barrels_from_the_strapping_table(api, tenant_a, scene, in_tenant):
    at = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
    with in_tenant(tenant_a):
        first = tank_gauge_record(tank=scene["tank"], level=D("6"), unit="IN", gauged_at=at)
        newer = tank_gauge_record(tank=scene["tank"], level=D("1.5"), unit="FT", gauged_at=at + timedelta(seconds=20),
                                  temperature_f=D("71.5"), bsw_percent=D("0.2"))
        tank_gauge_record(tank=scene["tank"], level=D("0.5"), unit="FT", gauged_at=at + timedelta(days=3))
    response = api(tenant_a, "OPERATOR").get(f"/api/v1/tanks/{scene['tank'].pk}/gauges/",
                                            {"from": "2026-11-20", "to": "2026-11-21"})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [str(newer.pk), str(first.pk)]
    assert rows[0] | {"gaugedAt": None} == {
        "id": str(newer.pk), "tankId": str(scene["tank"].pk), "level": 1.5, "unit": "FT", "levelInches": 18.0,
        "barrels": 30.07, "temperatureF": 71.5, "bswPercent": 0.2, "gaugedAt": None, "notes": "",
        "recordedBy": None, "sourceEventId": None, "supersededBy": None}
    assert rows[1]["supersededBy"] == str(newer.pk) and rows[1]["barrels"] == 10.02  # same minute: newest wins
    assert_invalid(api(tenant_a, "OPERATOR").get(f"/api/v1/tanks/{scene['tank'].pk}/gauges/",
                                                 {"from": "2026-11-22", "to": "2026-11-21"}), "from")


def test_a_well_names_its_lease_by_id(api, tenant_a, scene):
    client = api(tenant_a, "MANAGER")
    well = client.get(f"/api/v1/wells/{scene['well'].pk}/").json()
    assert well["leaseId"] == str(scene["lease"].pk) and well["lease"] == "Tarzan Unit"
    moved = client.patch(f"/api/v1/wells/{scene['well'].pk}/", {"leaseId": str(scene["off_lease"].pk)})
    assert moved.status_code == 200 and moved.json()["lease"] == "Far Away" and moved.json()["version"] == 2
    assert_invalid(client.patch(f"/api/v1/wells/{scene['well'].pk}/", {"leaseId": str(uuid.uuid4())}), "leaseId")
    cleared = client.patch(f"/api/v1/wells/{scene['well'].pk}/", {"leaseId": None})
    assert cleared.json()["leaseId"] is None and cleared.json()["lease"] == "Far Away"
    renamed = client.patch(f"/api/v1/leases/{scene['lease'].pk}/", {"name": "Tarzan North"})
    assert renamed.json()["version"] == 2


def test_the_database_refuses_what_the_services_refuse(tenant_a, scene, in_tenant):
    bad = [
        lambda: Lease.objects.create(name="X", rrc_district="99"),
        lambda: Lease.objects.create(name="X", rrc_lease_number="12a"),
        lambda: Lease.objects.create(name="X", kind="GS"),
        lambda: Tank.objects.create(lease=scene["lease"], name="Z", capacity_bbl=0, height_inches=1),
        lambda: StrappingRow.objects.create(tank=scene["tank"], height_inches=D(12), barrels=D(1)),
        lambda: StrappingRow.objects.create(tank=scene["tank"], height_inches=D(-1), barrels=D(1)),
        lambda: TankGauge.objects.create(tank=scene["tank"], level=1, unit="YD", level_inches=1,
                                         gauged_at=datetime.now(timezone.utc), gauged_minute=datetime.now(timezone.utc)),
        lambda: TankGauge.objects.create(tank=scene["tank"], level=1, unit="IN", level_inches=1, bsw_percent=101,
                                         gauged_at=datetime.now(timezone.utc), gauged_minute=datetime.now(timezone.utc)),
    ]
    # Unique among the rows not deleted: a partial index, which MySQL/MariaDB do not have (there the
    # services' check holds the rule, as for a well's current production record).
    partial_unique = [
        lambda: Lease.objects.create(name="Dup", rrc_district="08", rrc_lease_number="41210"),
        lambda: Tank.objects.create(lease=scene["lease"], name="Oil 1", capacity_bbl=1, height_inches=1),
    ]
    with in_tenant(tenant_a):
        if connections[tenant_db.current_db()].features.supports_partial_indexes:
            bad += partial_unique
        for attempt in bad:
            with pytest.raises(IntegrityError), tenant_db.atomic():
                attempt()


def test_a_gauge_beyond_the_strapping_table_is_level_out_of_range(tenant_a, scene, in_tenant):
    from django.core.exceptions import ValidationError

    with in_tenant(tenant_a):
        with pytest.raises(ValidationError, match="above the tank's strapping table") as raised:
            tank_gauge_record(tank=scene["tank"], level=D("24.25"), unit="IN", gauged_at=datetime.now(timezone.utc))
        assert raised.value.error_dict["level"][0].code == "level_out_of_range"
        # At the top row exactly, the level is in the table.
        assert tank_gauge_record(tank=scene["tank"], level=D(2), unit="FT",
                                 gauged_at=datetime.now(timezone.utc)).level_inches == 24
        bare = Tank.objects.create(lease=scene["lease"], name="Bare", capacity_bbl=D(10), height_inches=D(12))
        with pytest.raises(ValidationError, match="above the tank's height"):
            tank_gauge_record(tank=bare, level=D("0.5"), unit="M", gauged_at=datetime.now(timezone.utc))
