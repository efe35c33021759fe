"""Bad input is 400 invalid_request naming the camelCase field in details; hostile input is never a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from django_tenants.utils import schema_context

from tests.wells.helpers import assert_invalid, make_equipment, make_well, next_api_number
from wells.models import Well

pytestmark = pytest.mark.django_db

VALID = {"apiNumber": "42-501-20130-03-00", "name": "Ector 12-3H", "lease": "Ector", "field": "Spraberry",
         "county": "Ector", "state": "TX", "latitude": 31.84, "longitude": -102.37, "status": "ACTIVE",
         "spudDate": "2019-04-02"}


@pytest.fixture
def manager(api, tenant_a):
    return api(tenant_a, "MANAGER")


# ------------------------------------------------------------------ creating a well


def test_a_valid_well_is_created_with_its_api_number_stored_as_14_digits(manager, tenant_a):
    response = manager.post("/api/v1/wells/", VALID)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["apiNumber"] == "42501201300300"
    assert body["latitude"] == 31.84 and body["longitude"] == -102.37
    assert body["spudDate"] == "2019-04-02" and body["version"] == 1
    assert response["Location"] == f"/api/v1/wells/{body['id']}/"
    with schema_context(tenant_a.tenant.schema_name):
        assert Well.objects.get(pk=body["id"]).api_number == "42501201300300"


@pytest.mark.parametrize("written", ["42 501 20130 03 00", " 42501201300300 ", "42-50120130-0300"])
def test_an_api_number_may_be_written_with_hyphens_or_spaces(manager, written):
    response = manager.post("/api/v1/wells/", {"apiNumber": written, "name": "Spaced"})
    assert response.status_code == 201, response.content
    assert response.json()["apiNumber"] == "42501201300300"


@pytest.mark.parametrize(("value", "why"), [
    ("4250120130030", "13 digits"),
    ("425012013003001", "15 digits"),
    ("42-501-2013A-03-00", "a letter"),
    ("4250120130030A", "13 digits and a letter"),
    ("42501A201300300", "a letter among 14 good digits"),
    ("42-501-20130-03-00.", "a trailing dot"),
    ("42.501.20130.03.00", "dots"),
    ("00501201300300", "state code 00"),
    ("99501201300300", "state code 99"),
    ("51501201300300", "state code 51 (between the states and offshore)"),
    ("42000201300300", "county 000"),
    ("42501000000300", "well identifier 00000"),
    ("", "blank"),
    (None, "null"),
    (["42501201300300"], "a list"),
    ({"number": "42501201300300"}, "an object"),
    ("4" * 40, "too long"),
])
def test_a_bad_api_number_is_refused(manager, value, why):
    assert_invalid(manager.post("/api/v1/wells/", {**VALID, "apiNumber": value}), "apiNumber")


@pytest.mark.parametrize(("field", "value"), [
    ("latitude", 91), ("latitude", -90.000001), ("latitude", "north"), ("latitude", [31]), ("latitude", {"a": 1}),
    ("latitude", True), ("latitude", "NaN"), ("latitude", "Infinity"), ("latitude", "1e400"),
    ("longitude", -181), ("longitude", 180.5), ("longitude", "-102,37"), ("longitude", ""),
    ("status", "DRILLING"), ("status", "active"), ("status", ["ACTIVE"]), ("status", None), ("status", 1),
    ("spudDate", "2026-02-30"), ("spudDate", "2026-13-01"), ("spudDate", "26/02/2019"), ("spudDate", "20190226"),
    ("spudDate", "2019-02-26T00:00:00Z"), ("spudDate", "2999-01-01"), ("spudDate", 20190226), ("spudDate", "0000-01-01"),
    ("name", ""), ("name", "   "), ("name", None), ("name", "x" * 201), ("name", {"en": "Well"}), ("name", "A\u0000B"),
    ("state", "ZZ"), ("state", "Texas"), ("lease", "x" * 201), ("county", ["Ector"]), ("field", False),
])
def test_a_bad_field_value_is_refused_naming_the_field(manager, field, value):
    assert_invalid(manager.post("/api/v1/wells/", {**VALID, "apiNumber": next_api_number(), field: value}), field)


def test_a_latitude_written_as_a_huge_json_number_is_refused(manager):
    raw = json.dumps({**VALID, "apiNumber": next_api_number()}).replace("31.84", "1e400")
    assert_invalid(manager.post("/api/v1/wells/", raw=raw), "latitude")


def test_nan_in_the_json_body_is_not_json(manager):
    response = manager.post("/api/v1/wells/", raw='{"apiNumber": "42501201300300", "name": "N", "latitude": NaN}')
    assert_invalid(response)


def test_a_duplicate_api_number_is_a_conflict_however_it_is_written(manager, tenant_a):
    make_well(tenant_a, api_number="42501201300300")
    response = manager.post("/api/v1/wells/", {**VALID, "apiNumber": "42 501 20130 03 00"})
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "conflict"
    assert "already exists" in response.json()["error"]["details"]["apiNumber"][0]


def test_the_api_number_of_a_deleted_well_stays_taken(manager, tenant_a, api):
    well = make_well(tenant_a, api_number="42501201300300")
    assert api(tenant_a, "ADMIN").delete(f"/api/v1/wells/{well.pk}/").status_code == 204
    response = manager.post("/api/v1/wells/", VALID)
    assert response.status_code == 409 and "apiNumber" in response.json()["error"]["details"], response.content


def test_the_same_api_number_may_exist_in_another_tenant(manager, tenant_b):
    make_well(tenant_b, api_number="42501201300300")
    assert manager.post("/api/v1/wells/", VALID).status_code == 201


def test_required_fields_are_named_when_missing(manager):
    details = assert_invalid(manager.post("/api/v1/wells/", {}), "apiNumber", "name")
    assert set(details) == {"apiNumber", "name"}


def test_unknown_fields_are_listed_with_the_other_errors(manager):
    body = {**VALID, "name": ["x"], "api_number": "42501201300300", "spud_date": "2019-01-01", "owner": "x"}
    details = assert_invalid(manager.post("/api/v1/wells/", body), "name", "api_number", "spud_date", "owner")
    assert details["owner"] == ["Unknown field."]


def test_domain_rules_report_every_field_they_refuse(manager):
    body = {**VALID, "apiNumber": "99501201300300", "state": "ZZ", "spudDate": "2999-01-01"}
    details = assert_invalid(manager.post("/api/v1/wells/", body), "apiNumber", "state", "spudDate")
    assert set(details) == {"apiNumber", "state", "spudDate"}


@pytest.mark.parametrize("field", ["id", "version", "updatedAt"])
def test_read_only_fields_are_refused_in_a_request(manager, tenant_a, field):
    well = make_well(tenant_a)
    details = assert_invalid(manager.patch(f"/api/v1/wells/{well.pk}/", {field: "x"}), field)
    assert "Read-only" in details[field][0]


@pytest.mark.parametrize("raw", ["[1, 2]", '"a well"', "42", "null"])
def test_a_body_that_is_not_an_object_is_refused(manager, raw):
    assert_invalid(manager.post("/api/v1/wells/", raw=raw), "nonFieldErrors")


def test_a_body_that_is_not_json_is_refused(manager):
    response = manager.post("/api/v1/wells/", raw="{apiNumber: 1")
    assert_invalid(response)
    assert "JSON" in response.json()["error"]["message"]


def test_a_body_that_is_not_json_by_its_content_type_is_unsupported(manager):
    response = manager.client.post("/api/v1/wells/", "apiNumber=1", content_type="text/plain", **manager._headers())
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


# ------------------------------------------------------------------ changing a well


def test_a_patch_is_checked_by_the_same_rules_and_changes_nothing_when_refused(manager, tenant_a):
    well = make_well(tenant_a, name="Before", latitude="31.5")
    details = assert_invalid(manager.patch(f"/api/v1/wells/{well.pk}/", {"name": "After", "latitude": 91,
                                                                         "status": "DRILLING"}),
                             "latitude", "status")
    assert "name" not in details
    with schema_context(tenant_a.tenant.schema_name):
        again = Well.objects.get(pk=well.pk)
    assert (again.name, again.version) == ("Before", 1)


def test_a_patch_to_the_api_number_of_another_well_is_a_conflict(manager, tenant_a):
    make_well(tenant_a, api_number="42501201300300")
    well = make_well(tenant_a)
    response = manager.patch(f"/api/v1/wells/{well.pk}/", {"apiNumber": "42-501-20130-03-00"})
    assert response.status_code == 409, response.content
    assert "already exists" in response.json()["error"]["details"]["apiNumber"][0]


def test_a_patch_may_clear_optional_fields(manager, tenant_a):
    well = make_well(tenant_a, lease="North", latitude="31.5", spud_date="2019-01-01")
    body = manager.patch(f"/api/v1/wells/{well.pk}/", {"lease": None, "latitude": None, "spudDate": None}).json()
    assert (body["lease"], body["latitude"], body["spudDate"]) == ("", None, None)


# ------------------------------------------------------------------ equipment


@pytest.mark.parametrize(("field", "value"), [
    ("type", "DRILL"), ("type", None), ("name", ""), ("name", "x" * 201), ("serialNumber", "x" * 101),
    ("serialNumber", ["A1"]), ("status", "BROKEN"), ("wellId", "not-a-uuid"), ("wellId", 12),
    ("wellId", str(uuid.uuid4())), ("wellId", None),
])
def test_bad_equipment_is_refused_naming_the_field(manager, tenant_a, field, value):
    well = make_well(tenant_a)
    body = {"wellId": str(well.pk), "type": "SEPARATOR", "name": "Separator", field: value}
    assert_invalid(manager.post("/api/v1/equipment/", body), field)


def test_equipment_is_created_on_a_well_and_listed_under_it(manager, tenant_a):
    well = make_well(tenant_a)
    response = manager.post("/api/v1/equipment/", {"wellId": str(well.pk), "type": "METER", "name": "Gas meter",
                                                   "serialNumber": "GM-9"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "wellId", "type", "name", "serialNumber", "status", "version", "updatedAt"}
    assert (body["wellId"], body["status"], body["version"]) == (str(well.pk), "IN_SERVICE", 1)
    assert response["Location"] == f"/api/v1/equipment/{body['id']}/"
    listed = manager.get(f"/api/v1/wells/{well.pk}/equipment/").json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]


def test_equipment_cannot_move_to_another_well_but_may_name_its_own(manager, tenant_a):
    well, other = make_well(tenant_a), make_well(tenant_a)
    equipment = make_equipment(tenant_a, well)
    assert_invalid(manager.patch(f"/api/v1/equipment/{equipment.pk}/", {"wellId": str(other.pk)}), "wellId")
    response = manager.patch(f"/api/v1/equipment/{equipment.pk}/", {"wellId": str(well.pk), "name": "Renamed"})
    assert response.status_code == 200 and response.json()["name"] == "Renamed"


def test_unknown_equipment_fields_are_listed(manager, tenant_a):
    equipment = make_equipment(tenant_a, make_well(tenant_a))
    assert_invalid(manager.patch(f"/api/v1/equipment/{equipment.pk}/", {"serial_number": "x", "colour": "red"}),
                   "serial_number", "colour")


# ------------------------------------------------------------------ query parameters


@pytest.mark.parametrize(("params", "field"), [
    ({"page_size": "0"}, "page_size"), ({"page_size": "201"}, "page_size"), ({"page_size": "-1"}, "page_size"),
    ({"page_size": "ten"}, "page_size"), ({"page_size": ""}, "page_size"), ({"page_size": "1e2"}, "page_size"),
    ({"page_size": str(10**30)}, "page_size"), ({"page": "0"}, "page"), ({"page": "-1"}, "page"),
    ({"page": "x"}, "page"), ({"page": str(10**30)}, "page"), ({"page": "1.5"}, "page"),
    ({"status": "BOGUS"}, "status"), ({"search": "x" * 201}, "search"), ({"search": "a\x00b"}, "search"),
    ({"lease": "\x00"}, "lease"),
])
def test_bad_list_parameters_are_refused_not_clamped(manager, tenant_a, params, field):
    make_well(tenant_a)
    assert_invalid(manager.get("/api/v1/wells/", params), field)


def test_page_size_200_is_allowed(manager, tenant_a):
    make_well(tenant_a)
    assert manager.get("/api/v1/wells/", {"page_size": "200"}).status_code == 200


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-02-01", "to": "2026-01-01"}, "from"), ({"from": "2026-02-30"}, "from"),
    ({"to": "yesterday"}, "to"), ({"from": "2026-1-5"}, "from"), ({"page_size": "500"}, "page_size"),
])
def test_bad_production_parameters_are_refused(manager, tenant_a, params, field):
    well = make_well(tenant_a)
    assert_invalid(manager.get(f"/api/v1/wells/{well.pk}/production/", params), field)


# ------------------------------------------------------------------ hostile input: never a 500

HOSTILE = [None, True, 0, -1, 10**400, 1.7e308, "", " ", "\u0000", "x" * 100_000, "' OR 1=1 --", "%", "\\",
           "😀" * 50, [], [1, 2], {}, {"$gt": ""}, [[[[]]]]]
FIELDS = ["apiNumber", "name", "lease", "field", "county", "state", "latitude", "longitude", "status", "spudDate"]


@pytest.mark.parametrize("field", FIELDS)
def test_hostile_values_in_any_well_field_are_a_400_never_a_500(manager, tenant_a, field):
    well = make_well(tenant_a)
    for value in HOSTILE:
        created = manager.post("/api/v1/wells/", {**VALID, "apiNumber": next_api_number(), field: value})
        patched = manager.patch(f"/api/v1/wells/{well.pk}/", {field: value})
        assert created.status_code in (201, 400), (value, created.content[:300])
        assert patched.status_code in (200, 400), (value, patched.content[:300])
        for response in (created, patched):
            if response.status_code == 400:
                assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("field", ["wellId", "type", "name", "serialNumber", "status"])
def test_hostile_values_in_any_equipment_field_are_a_400_never_a_500(manager, tenant_a, field):
    well = make_well(tenant_a)
    equipment = make_equipment(tenant_a, well)
    for value in HOSTILE:
        created = manager.post("/api/v1/equipment/", {"wellId": str(well.pk), "type": "TANK", "name": "T",
                                                      field: value})
        patched = manager.patch(f"/api/v1/equipment/{equipment.pk}/", {field: value})
        assert created.status_code in (201, 400), (value, created.content[:300])
        assert patched.status_code in (200, 400), (value, patched.content[:300])


@pytest.mark.parametrize("well_id", ["not-a-uuid", "0", "-1", "x" * 5000, "%00", "%27%20OR%201=1", "..",
                                     "12345678123456781234567812345678", str(uuid.uuid4()).upper(), "{}", "null"])
@pytest.mark.parametrize("suffix", ["", "production/", "photos/"])
def test_a_malformed_or_unknown_id_in_the_path_is_404(api, tenant_a, well_id, suffix):
    for role in ("ADMIN", "OPERATOR"):
        response = api(tenant_a, role).get(f"/api/v1/wells/{well_id}/{suffix}")
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "not_found"
    assert api(tenant_a, "ADMIN").get(f"/api/v1/equipment/{well_id}/").status_code == 404
    assert api(tenant_a, "ADMIN").delete(f"/api/v1/equipment/{well_id}/").status_code == 404


# ------------------------------------------------------------------ every bad field at once


def test_a_bad_api_number_and_a_bad_latitude_are_reported_in_one_response(manager):
    response = manager.post("/api/v1/wells/", {**VALID, "apiNumber": "99501201300300", "latitude": 91})
    assert response.status_code == 400, response.content
    details = response.json()["error"]["details"]
    assert set(details) == {"apiNumber", "latitude"}, details
    assert "state code" in details["apiNumber"][0]


def test_a_patch_reports_a_duplicate_api_number_with_an_unknown_field(manager):
    other = manager.post("/api/v1/wells/", {**VALID, "apiNumber": next_api_number()}).json()
    mine = manager.post("/api/v1/wells/", {**VALID, "apiNumber": next_api_number()}).json()
    response = manager.patch(f"/api/v1/wells/{mine['id']}/", {"apiNumber": other["apiNumber"], "colour": "red"})
    assert response.status_code == 400, response.content
    details = response.json()["error"]["details"]
    assert set(details) == {"apiNumber", "colour"}, details


def test_equipment_on_an_unknown_well_is_reported_with_its_other_bad_fields(manager):
    response = manager.post("/api/v1/equipment/", {"wellId": str(uuid.uuid4()), "type": "ROCKET", "name": "x"})
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["details"]) == {"wellId", "type"}


def test_a_list_reports_a_bad_filter_and_a_bad_page_size_together(manager):
    response = manager.get("/api/v1/wells/?status=DRILLING&page_size=0")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["details"]) == {"status", "page_size"}


@pytest.mark.parametrize(("field", "value"), [("name", 0), ("lease", 12.5), ("county", True)])
def test_text_sent_as_a_json_number_or_boolean_is_refused_not_stored_as_text(manager, field, value):
    response = manager.post("/api/v1/wells/", {**VALID, "apiNumber": next_api_number(), field: value})
    assert_invalid(response, field)


def test_equipment_named_with_the_number_0_is_refused(manager, tenant_a):
    well = make_well(tenant_a)
    assert_invalid(manager.post("/api/v1/equipment/", {"wellId": str(well.pk), "type": "PUMP_JACK", "name": 0}),
                   "name")


def test_a_page_past_the_last_is_not_found_naming_the_page(manager):
    response = manager.get("/api/v1/wells/?page=999")
    assert response.status_code == 404, response.content
    assert "page" in response.json()["error"]["details"]


@pytest.mark.parametrize("params", [{"to": ""}, {"from": ""}])
def test_an_empty_production_date_filter_is_refused_not_ignored(manager, tenant_a, params):
    well = make_well(tenant_a)
    assert_invalid(manager.get(f"/api/v1/wells/{well.pk}/production/", params), *params)


def test_an_empty_status_filter_is_refused(manager):
    assert_invalid(manager.get("/api/v1/wells/", {"status": ""}), "status")


def test_a_spud_date_after_today_is_refused_and_today_is_taken(manager):
    from django.utils import timezone

    today = timezone.now().date()
    tomorrow = today.fromordinal(today.toordinal() + 1)
    assert_invalid(manager.post("/api/v1/wells/", {**VALID, "apiNumber": next_api_number(),
                                                   "spudDate": tomorrow.isoformat()}), "spudDate")
    response = manager.post("/api/v1/wells/", {**VALID, "apiNumber": next_api_number(), "spudDate": today.isoformat()})
    assert response.status_code == 201, response.content
