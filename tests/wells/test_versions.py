"""Every change of a well or a piece of equipment raises its version by one (devices use it to know
what changed); a request that changes nothing leaves it alone."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.wells.helpers import make_equipment, make_well
from wells.models import Equipment, Well

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(api, tenant_a):
    return api(tenant_a, "MANAGER")


def test_a_well_starts_at_version_1_and_each_change_adds_one(manager):
    created = manager.post("/api/v1/wells/", {"apiNumber": "42-501-20130-03-00", "name": "Ector 1H"}).json()
    assert created["version"] == 1
    url = f"/api/v1/wells/{created['id']}/"
    first = manager.patch(url, {"status": "SHUT_IN"}).json()
    second = manager.patch(url, {"name": "Ector 1H (re-entry)", "latitude": 31.9}).json()
    assert (first["version"], second["version"]) == (2, 3)
    assert second["updatedAt"] > created["updatedAt"]
    assert manager.get(url).json()["version"] == 3


@pytest.mark.parametrize("same", [
    {},
    {"name": "Ector 1H"},
    {"name": "  Ector 1H  "},
    {"apiNumber": "42-501-20130-03-00"},
    {"latitude": "31.500000", "longitude": -102},
    {"state": "tx"},
    {"status": "ACTIVE", "lease": "North"},
])
def test_a_patch_that_changes_nothing_keeps_the_version(manager, tenant_a, same):
    well = make_well(tenant_a, api_number="42501201300300", name="Ector 1H", latitude="31.5", longitude="-102",
                     state="TX", lease="North")
    body = manager.patch(f"/api/v1/wells/{well.pk}/", same).json()
    assert body["version"] == 1
    with schema_context(tenant_a.tenant.schema_name):
        assert Well.objects.get(pk=well.pk).updated_at == well.updated_at


def test_deleting_a_well_is_a_change_too(api, tenant_a):
    well = make_well(tenant_a)
    api(tenant_a, "ADMIN").delete(f"/api/v1/wells/{well.pk}/")
    with schema_context(tenant_a.tenant.schema_name):
        assert Well.objects.get(pk=well.pk).version == 2


def test_equipment_versions_count_its_changes_and_skip_no_ops(manager, tenant_a):
    well = make_well(tenant_a)
    created = manager.post("/api/v1/equipment/", {"wellId": str(well.pk), "type": "TANK", "name": "Tank 1"}).json()
    url = f"/api/v1/equipment/{created['id']}/"
    assert created["version"] == 1
    assert manager.patch(url, {"status": "OUT_OF_SERVICE"}).json()["version"] == 2
    assert manager.patch(url, {"status": "OUT_OF_SERVICE", "name": "Tank 1"}).json()["version"] == 2
    assert manager.patch(url, {"serialNumber": "T-77"}).json()["version"] == 3
    assert manager.patch(url, {}).json()["version"] == 3
    manager.delete(url)
    with schema_context(tenant_a.tenant.schema_name):
        assert Equipment.objects.get(pk=created["id"]).version == 4


def test_a_refused_change_keeps_the_version(api, tenant_a):
    well = make_well(tenant_a)
    equipment = make_equipment(tenant_a, well)
    api(tenant_a, "MANAGER").patch(f"/api/v1/wells/{well.pk}/", {"latitude": 200})
    api(tenant_a, "OPERATOR").patch(f"/api/v1/equipment/{equipment.pk}/", {"name": "Mine now"})
    with schema_context(tenant_a.tenant.schema_name):
        assert Well.objects.get(pk=well.pk).version == 1
        assert Equipment.objects.get(pk=equipment.pk).version == 1
