"""The portal's CSV upload (API.md section 16): MANAGER and ADMIN only, linked from the wells list;
the preview lists creates, updates with their changed fields, and per-row errors, and writes
nothing; the confirm applies exactly the preview, once; a preview overtaken by another change is
not applied but shown again."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wells.changelog.models import Change
from tests.portal.conftest import make_well
from wells.models import Well

pytestmark = pytest.mark.django_db


def upload(client, text: str, kind: str = "wells", name: str = "wells.csv"):
    return client.submit("/imports/", {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def token_of(response) -> str:
    return re.search(rb'name="token" value="([^"]+)"', response.content).group(1).decode()


def counts(tenant, in_tenant) -> tuple[int, int]:
    with in_tenant(tenant):
        return Well.objects.count(), Change.objects.count()


@pytest.mark.parametrize(("role", "status"), [("ADMIN", 200), ("MANAGER", 200), ("OPERATOR", 403)])
def test_the_upload_page_is_for_managers_and_admins_and_linked_from_the_wells_list(portal_as, role, status):
    client = portal_as(role)
    assert client.get("/imports/").status_code == status
    linked = b'id="import-link"' in client.get("/wells/").content
    assert linked == (status == 200)
    if role == "OPERATOR":
        assert upload(client, "apiNumber,name\n42317999990000,X\n").status_code == 403
        assert client.submit("/imports/confirm/", {"token": "x"}).status_code == 403


def test_the_preview_shows_creates_and_updates_with_changed_fields_and_writes_nothing(portal_as, tenant_a, in_tenant):
    well = make_well(tenant_a, name="Old Name", county="Midland")
    new_api = "42317888880000"
    text = f"apiNumber,name,county\n{well.api_number},New Name,Midland\n{new_api},<b>Brand</b> New,Ector\n"
    client = portal_as("MANAGER")
    before = counts(tenant_a, in_tenant)
    response = upload(client, text)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'id="count-create">1<', page) and re.search(r'id="count-update">1<', page)
    assert "Old Name</span> → New Name" in page           # the update shows old and new
    assert "&lt;b&gt;Brand&lt;/b&gt; New" in page            # markup from the file is shown as text
    assert "<b>Brand</b>" not in page
    assert 'id="confirm-import"' in page
    assert counts(tenant_a, in_tenant) == before           # the preview wrote nothing


def test_confirm_applies_the_preview_once(portal_as, tenant_a, in_tenant):
    new_api = "42317888870000"
    client = portal_as("MANAGER")
    token = token_of(upload(client, f"apiNumber,name\n{new_api},Confirmed 1\n"))
    done = client.submit("/imports/confirm/", {"token": token})
    assert done.status_code == 302 and done["Location"] == "/wells/"
    assert "1 created, 0 updated, 0 unchanged" in client.get("/wells/").content.decode()
    with in_tenant(tenant_a):
        well = Well.objects.get(api_number=new_api)
        assert well.name == "Confirmed 1" and Change.objects.filter(entity_id=well.pk).count() == 1
    again = client.submit("/imports/confirm/", {"token": token})  # single use
    assert again.status_code == 302 and again["Location"] == "/imports/"
    assert "expired or was already applied" in client.get("/imports/").content.decode()
    with in_tenant(tenant_a):
        assert Well.objects.filter(api_number=new_api).count() == 1
        assert Change.objects.filter(entity_id=well.pk).count() == 1


def test_a_token_is_bound_to_the_user_who_previewed(portal_as, tenant_a, in_tenant):
    token = token_of(upload(portal_as("MANAGER"), "apiNumber,name\n42317888860000,Not yours\n"))
    other = portal_as("ADMIN")
    assert other.submit("/imports/confirm/", {"token": token})["Location"] == "/imports/"
    with in_tenant(tenant_a):
        assert not Well.objects.filter(api_number="42317888860000").exists()


def test_a_preview_overtaken_by_another_change_is_shown_again_not_applied(portal_as, tenant_a, in_tenant):
    well = make_well(tenant_a, name="Before", status="ACTIVE")
    client = portal_as("MANAGER")
    token = token_of(upload(client, f"apiNumber,name,status\n{well.api_number},After,SHUT_IN\n"))
    with in_tenant(tenant_a):  # someone else shuts the well in meanwhile
        Well.objects.filter(pk=well.pk).update(status="SHUT_IN")
    response = client.submit("/imports/confirm/", {"token": token})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The data changed since your preview" in page
    assert "SHUT_IN" not in re.search(r'id="preview-update".*?</table>', page, re.S).group(0)  # only name changes now
    with in_tenant(tenant_a):
        assert Well.objects.get(pk=well.pk).name == "Before"
    assert client.submit("/imports/confirm/", {"token": token_of(response)}).status_code == 302
    with in_tenant(tenant_a):
        assert Well.objects.get(pk=well.pk).name == "After"


def test_a_file_with_bad_rows_shows_every_error_and_no_confirm_button(portal_as, tenant_a, in_tenant):
    client = portal_as("MANAGER")
    before = counts(tenant_a, in_tenant)
    response = upload(client, "apiNumber,name,state,colour\n42317888850000,A,TX,red\n")
    assert response.status_code == 400
    assert "colour" in response.content.decode() and b'id="confirm-import"' not in response.content
    response = upload(client, "apiNumber,name,state\n42317888850000,Good,TX\n42-000,,ZZ\n")
    page = response.content.decode()
    assert response.status_code == 400
    assert "1 row has errors; nothing was imported" in page
    assert page.count('<td data-label="Row" class="nowrap">3</td>') == 3  # apiNumber, name, state
    assert b'id="confirm-import"' not in response.content
    assert counts(tenant_a, in_tenant) == before


def test_an_upload_without_a_file_or_with_a_wrong_kind_is_a_form_error(portal_as):
    client = portal_as("MANAGER")
    assert client.submit("/imports/", {"kind": "wells"}).status_code == 400
    assert upload(client, "apiNumber\n1\n", kind="pipelines").status_code == 400


def test_a_file_of_nothing_to_change_offers_no_confirm(portal_as, tenant_a):
    well = make_well(tenant_a, name="Same")
    page = upload(portal_as("MANAGER"), f"apiNumber,name\n{well.api_number},Same\n").content.decode()
    assert re.search(r'id="count-unchanged">1<', page)
    assert 'id="confirm-import"' not in page and "nothing to apply" in page


def test_a_file_over_10_mib_is_refused_before_it_is_read(portal_as, tenant_a, in_tenant):
    from wells.imports import MAX_BYTES

    client = portal_as("MANAGER")
    response = upload(client, "apiNumber,name\n" + "x" * (MAX_BYTES + 100 * 1024))
    assert response.status_code == 413
    just_over = upload(client, "apiNumber,name\n" + "x" * MAX_BYTES)  # within the framing allowance: the form says
    assert just_over.status_code == 400 and "at most 10,485,760 bytes" in just_over.content.decode()


def test_tanks_and_equipment_are_imported_from_the_same_page(portal_as, tenant_a, in_tenant):
    from wells.leases import Lease, Tank
    from wells.models import Equipment

    well = make_well(tenant_a, name="Portal Equipped")
    with in_tenant(tenant_a):
        Lease.objects.create(name="Portal Unit")
    client = portal_as("ADMIN")
    token = token_of(upload(client, "lease,name,capacityBbl,heightInches\nPortal Unit,Oil 9,400,240\n", kind="tanks"))
    assert client.submit("/imports/confirm/", {"token": token})["Location"] == "/leases/"
    token = token_of(upload(client, f"wellApiNumber,serialNumber,type,name\n{well.api_number},M-1,METER,Meter\n",
                            kind="equipment"))
    assert client.submit("/imports/confirm/", {"token": token})["Location"] == "/wells/"
    with in_tenant(tenant_a):
        assert Tank.objects.filter(lease__name="Portal Unit", name="Oil 9").exists()
        assert Equipment.objects.filter(well=well, serial_number="M-1").exists()
