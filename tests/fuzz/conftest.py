"""The fuzz run's world: a live server process (as in tests/e2e) and a tenant whose wells,
equipment and OPERATOR route are committed, so the server sees them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django_tenants.utils import schema_context

from accounts.models import Role
from tests.e2e.conftest import LiveServer, live_web  # noqa: F401  (the live server fixture)
from tests.factories import TenantHandle, make_tenant


@dataclass
class FuzzWorld:
    handle: TenantHandle
    well_ids: list[str]          # on the OPERATOR's route
    off_route_well_id: str
    equipment_ids: list[str]
    equipment_wells: dict[str, str]  # equipment id -> its well's id
    lease_ids: list[str] = ()        # a lease with a route well (API.md section 13)
    tank_ids: list[str] = ()         # its tank, strapped 0 to 240 in


@pytest.fixture(scope="session")
def fuzz_world(django_db_setup, django_db_blocker) -> FuzzWorld:
    from accounts.models import User
    from wells import lease_services, services

    with django_db_blocker.unblock():
        handle = make_tenant(name="Fuzz Field Energy", slug="fuzzfield")
        with schema_context(handle.tenant.schema_name):
            wells = [
                services.well_create(data={"api_number": f"42501{n:05d}0000", "name": f"Fuzz {n}", "lease": "Fuzz",
                                           "field": "Spraberry", "state": "TX", "status": "ACTIVE"})
                for n in range(1, 4)
            ]
            equipment = [services.equipment_create(well=well, data={"type": "PUMP_JACK", "name": f"Jack {i}"})
                         for i, well in enumerate(wells[:2])]
            operator = User.objects.get(email=handle.users[Role.OPERATOR])
            services.wells_assign(user=operator, well_ids=[w.pk for w in wells[:2]])
            lease = lease_services.lease_create(data={"name": "Fuzz Lease", "rrc_district": "08"})
            services.well_update(well=wells[0], data={"lease_id": lease.pk})
            tank = lease_services.tank_create(lease=lease, data={
                "name": "Oil 1", "capacity_bbl": 400, "height_inches": 240,
                "strapping": [{"height_inches": 0, "barrels": 0}, {"height_inches": 240, "barrels": 400}]})
    return FuzzWorld(handle=handle, well_ids=[str(w.pk) for w in wells[:2]], off_route_well_id=str(wells[2].pk),
                     equipment_ids=[str(e.pk) for e in equipment],
                     equipment_wells={str(e.pk): str(e.well_id) for e in equipment},
                     lease_ids=[str(lease.pk)], tank_ids=[str(tank.pk)])


def lease_and_tank_restore(django_db_blocker, handle: TenantHandle, world: FuzzWorld) -> None:
    """Undo a DELETE the fuzzer made of the fixture's lease or tank (and the well's link to it)."""
    from wells.leases import Lease, Tank
    from wells.models import Well

    with django_db_blocker.unblock(), schema_context(handle.tenant.schema_name):
        Lease.objects.filter(pk__in=world.lease_ids).update(deleted_at=None)
        Tank.objects.filter(pk__in=world.tank_ids).update(deleted_at=None)
        Well.objects.filter(pk=world.well_ids[0]).update(lease_ref_id=world.lease_ids[0])


def equipment_restore(django_db_blocker, handle: TenantHandle, equipment_id: str) -> None:
    """Undo a DELETE the fuzzer made of a fixture's equipment, so later operations still find it."""
    from wells.models import Equipment

    with django_db_blocker.unblock(), schema_context(handle.tenant.schema_name):
        Equipment.objects.filter(pk=equipment_id).update(deleted_at=None)


# The fuzz run's figures (tests/fuzz/test_schema_fuzz.py fills them in), shown at the end of the run.
FUZZ_STATS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if FUZZ_STATS:
        terminalreporter.write_line(
            f"schema fuzz: {FUZZ_STATS['requests']:.0f} requests in {FUZZ_STATS['seconds']:.0f} s "
            f"({FUZZ_STATS['failures']:.0f} failures)")
