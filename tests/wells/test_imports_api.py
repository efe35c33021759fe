"""CSV imports API (API.md section 16): roles, all or nothing with per-row errors (row numbers as
a spreadsheet shows them), idempotent repeats, updates of existing rows by key, content type,
size, BOM and CRLF, text checks, and writes that reach the pull feed's change log."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from wells.changelog.models import Change
from tests.wells.helpers import assert_error, make_equipment, make_well, next_api_number
from wells.imports import MAX_BYTES
from wells.leases import Lease, Tank
from wells.models import Equipment, Well

pytestmark = pytest.mark.django_db

WELL_HEADER = "apiNumber,name,lease,field,county,state,latitude,longitude,status,spudDate"


def post_csv(api_client, kind: str, text: str | bytes, content_type: str = "text/csv"):
    body = text.encode() if isinstance(text, str) else text
    # CONTENT_TYPE too: the test client sends none with an empty body, a real client does.
    return api_client.client.post(f"/api/v1/imports/{kind}", body, content_type=content_type,
                                  CONTENT_TYPE=content_type, **api_client._headers())


def hyphenated(api: str) -> str:
    return f"{api[:2]}-{api[2:5]}-{api[5:10]}-{api[10:12]}-{api[12:]}"


def wells_csv(*rows: str) -> str:
    return "\n".join([WELL_HEADER, *rows]) + "\n"


@pytest.mark.parametrize("role", ["ADMIN", "MANAGER"])
def test_a_manager_or_admin_imports_new_wells(api, tenant_a, in_tenant, role):
    first, second = next_api_number(), next_api_number()
    response = post_csv(api(tenant_a, role), "wells", wells_csv(
        f"{hyphenated(first)},Ranger 1,Ranger,Spraberry,Midland,tx,31.9973,-102.0779,ACTIVE,2019-04-02",
        f"{second},Ranger 2,,,,,,,,"))
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    with in_tenant(tenant_a):
        ranger = Well.objects.get(api_number=first)
        assert (ranger.name, ranger.lease, ranger.state, ranger.latitude, ranger.spud_date.isoformat()) == (
            "Ranger 1", "Ranger", "TX", D("31.997300"), "2019-04-02")
        assert Well.objects.get(api_number=second).status == "ACTIVE"  # the default, as on create
        # Through the services: each new well is in the pull feed's change log.
        assert Change.objects.filter(entity="well", entity_id=ranger.pk, version=1).count() == 1


def test_an_applied_import_is_logged_with_its_counts_and_who(api, tenant_a, caplog):
    import logging

    manager = api(tenant_a, "MANAGER")
    with caplog.at_level(logging.INFO, logger="pumpjack.imports"):
        assert post_csv(manager, "wells", f"apiNumber,name\n{next_api_number()},Logged\n").status_code == 200
    (record,) = [r for r in caplog.records if r.name == "pumpjack.imports"]
    assert (record.importKind, record.importCreated, record.importUpdated, record.userId) == (
        "wells", 1, 0, str(manager.user.pk))


def test_an_operator_may_not_import(api, tenant_a, in_tenant):
    for kind in ("wells", "equipment", "tanks"):
        assert_error(post_csv(api(tenant_a, "OPERATOR"), kind, wells_csv(f"{next_api_number()},X,,,,,,,,")),
                     403, "permission_denied")
    with in_tenant(tenant_a):
        assert not Well.objects.filter(name="X").exists()


def test_without_a_user_token_an_import_is_401(client, tenant_a):
    response = client.post("/api/v1/imports/wells", b"apiNumber\n", content_type="text/csv", **tenant_a.headers())
    assert_error(response, 401, "invalid_credentials")


def test_one_bad_row_among_good_ones_writes_nothing_and_names_each_bad_row(api, tenant_a, in_tenant):
    good = [next_api_number() for _ in range(3)]
    text = wells_csv(
        f"{good[0]},Good 1,,,,TX,,,,",
        f"{good[1]},Good 2,,,,ZZ,91,,,2999-01-01",          # row 3: state, latitude, spud date
        f"{good[2]},Good 3,,,,,,,DRILLING,",                 # row 4: status
        "12-3,,,,,,,,,",                                     # row 5: API number and name
    )
    response = post_csv(api(tenant_a, "MANAGER"), "wells", text)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert "3 rows have errors; nothing was imported" in error["message"]
    details = error["details"]
    assert set(details) == {"row 3", "row 4", "row 5"}
    assert set(details["row 3"]) == {"state", "latitude", "spudDate"}
    assert set(details["row 4"]) == {"status"}
    assert set(details["row 5"]) == {"apiNumber", "name"}
    assert all(isinstance(m, str) for fields in details.values() for ms in fields.values() for m in ms)
    with in_tenant(tenant_a):
        assert not Well.objects.filter(api_number__in=good).exists()


def test_row_numbers_count_records_as_a_spreadsheet_does(api, tenant_a):
    """A quoted cell over two lines is one row; an empty line still takes its row number."""
    text = wells_csv(f'{next_api_number()},"Two\nlines",,,,,,,,', "", f"{next_api_number()},,,,,,,,,")
    details = post_csv(api(tenant_a, "MANAGER"), "wells", text).json()["error"]["details"]
    assert set(details) == {"row 4"} and set(details["row 4"]) == {"name"}


def test_a_repeated_import_is_idempotent(api, tenant_a, in_tenant):
    api_number = next_api_number()
    text = wells_csv(f"{api_number},Repeat 1,Ranger,,Midland,TX,31.5,-102.25,SHUT_IN,2020-01-31")
    manager = api(tenant_a, "MANAGER")
    assert post_csv(manager, "wells", text).json() == {"created": 1, "updated": 0, "unchanged": 0}
    with in_tenant(tenant_a):
        version = Well.objects.get(api_number=api_number).version
        changes = Change.objects.filter(entity="well").count()
    again = post_csv(manager, "wells", text)
    assert again.status_code == 200
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}
    with in_tenant(tenant_a):
        assert Well.objects.get(api_number=api_number).version == version
        assert Change.objects.filter(entity="well").count() == changes


def test_an_existing_well_is_updated_by_its_api_number(api, tenant_a, in_tenant):
    well = make_well(tenant_a, name="Old name", lease="Old lease", county="Midland", state="TX")
    other = make_well(tenant_a, name="Untouched")
    text = f"name,apiNumber,status\nNew name,{hyphenated(well.api_number)},SHUT_IN\n"
    response = post_csv(api(tenant_a, "MANAGER"), "wells", text)
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    with in_tenant(tenant_a):
        well.refresh_from_db()
        # Only the columns given change; lease and county (no column) stay as they were.
        assert (well.name, well.status, well.lease, well.county, well.version) == (
            "New name", "SHUT_IN", "Old lease", "Midland", 2)
        assert Change.objects.filter(entity="well", entity_id=well.pk, version=2).exists()
        assert Well.objects.get(pk=other.pk).version == 1


def test_an_update_row_lists_every_bad_field_as_patch_does(api, tenant_a, in_tenant):
    well = make_well(tenant_a, name="Patched")
    text = f"apiNumber,name,latitude,spudDate,leaseId\n{well.api_number},,abc,2999-01-01,{well.pk}\n"
    details = post_csv(api(tenant_a, "MANAGER"), "wells", text).json()["error"]["details"]
    assert set(details["row 2"]) == {"name", "latitude", "spudDate", "leaseId"}
    with in_tenant(tenant_a):
        assert Well.objects.get(pk=well.pk).version == 1


def test_an_empty_cell_clears_an_optional_field(api, tenant_a, in_tenant):
    well = make_well(tenant_a, name="Clear me", lease="Some lease", latitude=D("31.5"))
    post_csv(api(tenant_a, "MANAGER"), "wells", f"apiNumber,lease,latitude\n{well.api_number},,\n")
    with in_tenant(tenant_a):
        well.refresh_from_db()
        assert (well.lease, well.latitude) == ("", None)


def test_the_same_key_twice_in_one_file_is_an_error_on_the_second_row(api, tenant_a, in_tenant):
    api_number = next_api_number()
    text = wells_csv(f"{api_number},First,,,,,,,,", f"{hyphenated(api_number)},Second,,,,,,,,")
    details = post_csv(api(tenant_a, "MANAGER"), "wells", text).json()["error"]["details"]
    assert list(details) == ["row 3"]
    assert "Row 2" in details["row 3"]["apiNumber"][0]
    with in_tenant(tenant_a):
        assert not Well.objects.filter(api_number=api_number).exists()


def test_unknown_and_missing_columns_are_named(api, tenant_a):
    response = post_csv(api(tenant_a, "MANAGER"), "wells", "name,colour,id,shoeSize\nA,red,1,9\n")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "colour" in error["message"] and "shoeSize" in error["message"] and "apiNumber" in error["message"]
    assert set(error["details"]["row 1"]) == {"colour", "id", "shoeSize", "apiNumber"}
    assert "Unknown column" in error["details"]["row 1"]["colour"][0]
    assert "Required column missing" in error["details"]["row 1"]["apiNumber"][0]


def test_an_empty_file_or_a_header_alone_is_a_clear_400(api, tenant_a):
    manager = api(tenant_a, "MANAGER")
    for body in ("", "\n", WELL_HEADER + "\n"):
        response = post_csv(manager, "wells", body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_request"


def test_a_row_with_the_wrong_number_of_cells_is_named(api, tenant_a):
    details = post_csv(api(tenant_a, "MANAGER"), "wells", f"apiNumber,name\n{next_api_number()},A,extra\n"
                       ).json()["error"]["details"]
    assert "3 cells" in details["row 2"]["file"][0]


def test_a_body_that_is_not_text_csv_is_415(api, tenant_a):
    manager = api(tenant_a, "MANAGER")
    assert_error(post_csv(manager, "wells", '{"apiNumber": "1"}', content_type="application/json"),
                 415, "unsupported_media_type")
    assert_error(post_csv(manager, "wells", wells_csv(), content_type="text/csv; charset=latin-1"),
                 415, "unsupported_media_type")
    ok = post_csv(manager, "wells", wells_csv(f"{next_api_number()},Charset,,,,,,,,"),
                  content_type="text/csv; charset=UTF-8")
    assert ok.status_code == 200, ok.content


def test_a_file_over_10_mib_is_413_before_it_is_read(api, tenant_a):
    body = (WELL_HEADER + "\n").encode() + b"x" * MAX_BYTES
    response = post_csv(api(tenant_a, "MANAGER"), "wells", body)
    assert_error(response, 413, "request_too_large")
    assert response.json()["error"]["details"]["maxBytes"] == [str(MAX_BYTES)]


def test_a_bom_and_crlf_line_ends_are_read_like_plain_lf(api, tenant_a, in_tenant):
    api_number = next_api_number()
    body = "\ufeff" + f"apiNumber,name,county\r\n{api_number},Windows 1,Ector\r\n"
    response = post_csv(api(tenant_a, "MANAGER"), "wells", body.encode("utf-8"))
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    with in_tenant(tenant_a):
        assert Well.objects.get(api_number=api_number).county == "Ector"


def test_text_that_is_not_utf8_or_holds_a_nul_is_refused(api, tenant_a, in_tenant):
    manager = api(tenant_a, "MANAGER")
    latin = post_csv(manager, "wells", f"apiNumber,name\n{next_api_number()},Caf\xe9\n".encode("latin-1"))
    assert latin.status_code == 400 and "UTF-8" in latin.json()["error"]["message"]
    surrogate = post_csv(manager, "wells", f"apiNumber,name\n{next_api_number()},A".encode() + b"\xed\xa0\x80\n")
    assert surrogate.status_code == 400
    api_number = next_api_number()
    nul = post_csv(manager, "wells", f"apiNumber,name\n{api_number},Bad\x00name\n")
    assert nul.status_code == 400
    assert set(nul.json()["error"]["details"]["row 2"]) == {"name"}
    with in_tenant(tenant_a):
        assert not Well.objects.filter(api_number=api_number).exists()


def test_markup_and_formula_like_text_is_stored_as_plain_text(api, tenant_a, in_tenant):
    api_number = next_api_number()
    name = "<script>alert(1)</script>'; DROP TABLE wells_well;--"
    text = f'apiNumber,name,field\n{api_number},"{name}",=HYPERLINK("x")\n'.replace('=HYPERLINK("x")', '"=SUM(A1)"')
    assert post_csv(api(tenant_a, "MANAGER"), "wells", text).status_code == 200
    with in_tenant(tenant_a):
        well = Well.objects.get(api_number=api_number)
        assert (well.name, well.field) == (name, "=SUM(A1)")


def test_an_api_number_taken_by_a_deleted_well_is_a_row_error(api, tenant_a):
    gone = make_well(tenant_a, name="Gone", deleted_at=timezone.now())
    details = post_csv(api(tenant_a, "MANAGER"), "wells", f"apiNumber,name\n{gone.api_number},Back\n"
                       ).json()["error"]["details"]
    assert "already exists" in details["row 2"]["apiNumber"][0]


# ------------------------------------------------------------------ equipment


def test_equipment_is_keyed_by_its_well_api_number_and_serial_number(api, tenant_a, in_tenant):
    well = make_well(tenant_a, name="Equipped")
    existing = make_equipment(tenant_a, well, serial_number="PJ-1", name="Old pump jack")
    text = ("wellApiNumber,serialNumber,type,name,status\n"
            f"{hyphenated(well.api_number)},PJ-1,PUMP_JACK,Pump jack,OUT_OF_SERVICE\n"
            f"{well.api_number},SEP-9,SEPARATOR,Separator,\n")
    manager = api(tenant_a, "MANAGER")
    assert post_csv(manager, "equipment", text).json() == {"created": 1, "updated": 1, "unchanged": 0}
    with in_tenant(tenant_a):
        existing.refresh_from_db()
        assert (existing.name, existing.status, existing.version) == ("Pump jack", "OUT_OF_SERVICE", 2)
        separator = Equipment.objects.get(well=well, serial_number="SEP-9")
        assert (separator.type, separator.status) == ("SEPARATOR", "IN_SERVICE")
        assert Change.objects.filter(entity="equipment", entity_id=separator.pk).exists()
    assert post_csv(manager, "equipment", text).json() == {"created": 0, "updated": 0, "unchanged": 2}


def test_equipment_rows_name_an_unknown_well_a_blank_serial_and_a_bad_type(api, tenant_a, in_tenant):
    well = make_well(tenant_a, name="Equipped 2")
    text = ("wellApiNumber,serialNumber,type,name\n"
            f"{well.api_number},OK-1,METER,Meter\n"
            f"{next_api_number()},X-1,METER,Meter\n"
            f"{well.api_number},,METER,Meter\n"
            f"{well.api_number},X-2,ROCKET,Rocket\n"
            f"{well.api_number},OK-1,METER,Meter again\n"
            f"{well.api_number}x,X-3,METER,Typo\n")
    details = post_csv(api(tenant_a, "MANAGER"), "equipment", text).json()["error"]["details"]
    assert set(details) == {"row 3", "row 4", "row 5", "row 6", "row 7"}
    assert "14-digit" in details["row 7"]["wellApiNumber"][0]  # a typo never matches a well by its digits
    assert "No well" in details["row 3"]["wellApiNumber"][0]
    assert set(details["row 4"]) == {"serialNumber"}
    assert set(details["row 5"]) == {"type"}
    assert "Row 2" in details["row 6"]["serialNumber"][0]
    with in_tenant(tenant_a):
        assert not Equipment.objects.filter(well=well).exists()


def test_equipment_takes_no_well_id_column(api, tenant_a):
    response = post_csv(api(tenant_a, "MANAGER"), "equipment", "wellId,serialNumber\nx,y\n")
    details = response.json()["error"]["details"]["row 1"]
    assert "wellApiNumber" in details["wellId"][0] and "wellApiNumber" in details


# ------------------------------------------------------------------ tanks


def test_tanks_are_keyed_by_lease_name_and_tank_name(api, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Import Unit")
        tank = Tank.objects.create(lease=lease, name="Oil 1", capacity_bbl=D(400), height_inches=D(240))
    text = ("lease,name,product,capacityBbl,heightInches\n"
            "Import Unit,Oil 1,OIL,500,240\n"
            "Import Unit,Water 1,WATER,210.5,180\n")
    manager = api(tenant_a, "MANAGER")
    assert post_csv(manager, "tanks", text).json() == {"created": 1, "updated": 1, "unchanged": 0}
    with in_tenant(tenant_a):
        tank.refresh_from_db()
        assert (tank.capacity_bbl, tank.version) == (D("500"), 2)
        water = Tank.objects.get(lease=lease, name="Water 1")
        assert (water.product, water.capacity_bbl, water.height_inches) == ("WATER", D("210.5"), D("180"))
        assert Change.objects.filter(entity="tank", entity_id=water.pk).exists()
    assert post_csv(manager, "tanks", text).json() == {"created": 0, "updated": 0, "unchanged": 2}
    # The strapping table comes in a second call, as for any tank.
    strapped = manager.client.put(f"/api/v1/tanks/{water.pk}/strapping", "height_inches,barrels\n0,0\n180,210\n",
                                  content_type="text/csv", **manager._headers())
    assert strapped.status_code == 200, strapped.content


def test_tank_rows_name_an_unknown_lease_and_bad_numbers(api, tenant_a, in_tenant):
    with in_tenant(tenant_a):
        Lease.objects.create(name="Twice")
        Lease.objects.create(name="Twice")
        Lease.objects.create(name="Once")
    text = ("lease,name,capacityBbl,heightInches\n"
            "Nowhere,T1,400,240\n"
            "Twice,T1,400,240\n"
            "Once,T1,-4,abc\n"
            "Once,T2,,\n")
    details = post_csv(api(tenant_a, "MANAGER"), "tanks", text).json()["error"]["details"]
    assert "No lease" in details["row 2"]["lease"][0]
    assert "2 leases" in details["row 3"]["lease"][0]
    assert set(details["row 4"]) == {"capacityBbl", "heightInches"}
    assert set(details["row 5"]) == {"capacityBbl", "heightInches"}
    with in_tenant(tenant_a):
        assert not Tank.objects.filter(lease__name="Once").exists()


def test_tanks_take_no_strapping_column(api, tenant_a):
    details = post_csv(api(tenant_a, "MANAGER"), "tanks", "lease,name,strapping\nA,B,C\n").json()["error"]["details"]
    assert "PUT /api/v1/tanks/{id}/strapping" in details["row 1"]["strapping"][0]


def test_a_new_height_below_the_strapping_table_is_refused_as_the_api_refuses_it(api, tenant_a, in_tenant):
    manager = api(tenant_a, "MANAGER")
    with in_tenant(tenant_a):
        lease = Lease.objects.create(name="Short Unit")
        tank = Tank.objects.create(lease=lease, name="Oil 1", capacity_bbl=D(400), height_inches=D(240))
    manager.client.put(f"/api/v1/tanks/{tank.pk}/strapping", "height_inches,barrels\n0,0\n240,400\n",
                       content_type="text/csv", **manager._headers())
    details = post_csv(manager, "tanks", "lease,name,heightInches\nShort Unit,Oil 1,120\n").json()["error"]["details"]
    assert set(details["row 2"]) == {"strapping"}
    with in_tenant(tenant_a):
        assert Tank.objects.get(pk=tank.pk).height_inches == D(240)


# ------------------------------------------------------------------ the documented samples


def test_the_sample_files_of_the_docs_import_as_documented(api, tenant_a, in_tenant):
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "docs" / "imports"
    manager = api(tenant_a, "MANAGER")
    assert manager.post("/api/v1/leases/", {"name": "Ranger Unit"}).status_code == 201
    for kind in ("wells", "equipment", "tanks"):
        body = (samples / f"{kind}.csv").read_bytes()
        assert post_csv(manager, kind, body).json() == {"created": 3, "updated": 0, "unchanged": 0}, kind
        assert post_csv(manager, kind, body).json() == {"created": 0, "updated": 0, "unchanged": 3}, kind
    with in_tenant(tenant_a):
        assert Well.objects.get(api_number="42329010020000").status == "SHUT_IN"
        assert Equipment.objects.filter(well__api_number="42329010010000").count() == 2
        assert Tank.objects.filter(lease__name="Ranger Unit").count() == 3


@pytest.mark.parametrize("kind", ["wells", "equipment", "tanks"])
def test_odd_files_answer_400_never_5xx(api, tenant_a, kind):
    manager = api(tenant_a, "MANAGER")
    odd = [
        b"\xff\xfe\x00a\x00p",                                   # UTF-16
        b'apiNumber,name\n"unclosed,quote\n',                    # CSV not closed
        b"apiNumber,name\n" + b"4" * 200_000 + b",x\n",          # a cell beyond the CSV reader's limit
        "apiNumber,na\x00me\n1,2\n".encode(),                    # NUL in the header
        ",".join(f"c{n}" for n in range(5000)).encode() + b"\n1\n",
        # Digits of another script: Python's isdigit() says yes, an API number says no.
        ("apiNumber,name\n" + "\u0664\u0662\u0663\u0662\u0669" + "\u0660" * 8 + "\u0661,x\n").encode(),
        "wellApiNumber,serialNumber,lease,name,apiNumber\n\u0664\u0662329010010000,S,L,N,\u0664\u0662329010010000\n"
        .encode(),
        b"\r\r\r",
        b"apiNumber,name\r" + b"42329999990000,Old Mac\r",
    ]
    for body in odd:
        response = post_csv(manager, kind, body)
        assert response.status_code in (200, 400), (body[:60], response.status_code, response.content[:300])
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "invalid_request"
