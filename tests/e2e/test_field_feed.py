"""The pull feed end to end (API.md sections 8 and 9): the `pumpjack-field` command line and
library against the live server and a real worker. A manager's decision on a conflict reaches
the device's `status`; a change whose transaction stays open for 30 seconds still reaches the
device after the device's cursor moved past it."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from tests.client.harness import Device, make_route

pytestmark = pytest.mark.live


def _at(day: date, hour: int) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


def test_a_managers_decision_on_a_conflict_reaches_the_devices_status(live_web, workers, e2e_tenant,
                                                                      django_db_blocker, tmp_path):
    route = make_route(django_db_blocker, e2e_tenant)
    well = route.wells[0]
    pumper = Device(name="tablet-3", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant,
                    email=route.operators[0])
    pumper.login()
    pumper.cli("pull")
    workers.start(concurrency=1)
    day = date.today() - timedelta(days=1)
    pumper.cli("record", "inspection", "--well", well.name, "--equipment", "Pump jack", "--status", "PASS",
               "--at", _at(day, 15))
    pumper.cli("sync")
    second = json.loads(pumper.cli("record", "inspection", "--well", well.name, "--equipment", "Pump jack",
                                   "--status", "FAIL", "--at", _at(day, 16), "--json").stdout)["id"]
    pumper.cli("sync")
    status = json.loads(pumper.cli("status", "--json").stdout)
    assert status["outcomes"] == {"APPLIED": 1, "PENDING_REVIEW": 1}, status
    [pending] = status["pendingConflicts"]
    assert status["decidedConflicts"] == []

    manager = {"X-Tenant-ID": e2e_tenant.public_id, "X-Tenant-Secret": e2e_tenant.secret,
               "Authorization": f"Bearer {live_web.login(e2e_tenant, e2e_tenant.users['MANAGER'])}"}
    response = requests.post(f"{live_web.url}/api/v1/conflicts/{pending['id']}/resolve", headers=manager,
                             json={"action": "USE_LOCAL", "note": "belt found worn"}, timeout=30)
    assert response.status_code == 200, response.text

    pumper.cli("pull")
    status = json.loads(pumper.cli("status", "--json").stdout)
    assert status["outcomes"] == {"APPLIED": 1, "RESOLVED": 1}, status
    assert status["pendingConflicts"] == []
    [decided] = status["decidedConflicts"]
    assert (decided["id"], decided["eventId"], decided["status"], decided["action"], decided["note"]) == \
        (pending["id"], second, "RESOLVED", "USE_LOCAL", "belt found worn")
    human = pumper.cli("status").stdout
    assert "Outcomes:          APPLIED 1, RESOLVED 1" in human
    assert f"decided: {well.name}: EQUIPMENT_INSPECTED {second}: RESOLVED (USE_LOCAL): belt found worn" in human
    assert "Pending conflicts on your wells: 0" in human


def test_a_change_held_open_for_30_seconds_reaches_the_field_client(live_web, e2e_tenant, django_db_blocker,
                                                                     tmp_path):
    from django.db import connections, transaction
    from django_tenants.utils import schema_context

    from wells.changelog.services import change_record
    from wells import services as well_services
    from wells.models import Equipment, Well

    route = make_route(django_db_blocker, e2e_tenant)
    well = route.wells[0]
    pumper = Device(name="tablet-9", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant,
                    email=route.operators[0])
    pumper.login()
    pumper.client.pull()
    schema = e2e_tenant.tenant.schema_name
    names = lambda: {e.name for e in pumper.client.store.equipment(str(well.pk))}  # noqa: E731
    with django_db_blocker.unblock():
        with schema_context(schema):  # committed, but not logged: only the held change row names it
            held_item = Equipment.objects.create(well=well, type="SEPARATOR", name="Held separator")
        written, release, failed = threading.Event(), threading.Event(), []

        def hold():
            try:
                with schema_context(schema), transaction.atomic():
                    change_record(entity="equipment", entity_id=held_item.pk, well_id=well.pk)
                    written.set()
                    assert release.wait(120)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failed.append(exc)
                written.set()
            finally:
                connections.close_all()

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        assert written.wait(30) and not failed, failed
        started, n = time.monotonic(), 0
        try:
            while time.monotonic() - started < 30:
                n += 1
                with schema_context(schema):  # committed at once, logged after the held row
                    well_services.equipment_create(well=Well.objects.get(pk=well.pk),
                                                   data={"type": "TANK", "name": f"Tank {n}"})
                pumper.client.pull()
                assert f"Tank {n}" in names() and "Held separator" not in names()
                time.sleep(3)
            assert holder.is_alive()
        finally:
            release.set()
            holder.join(60)
        assert not failed, failed
    assert n >= 5
    pulled = pumper.cli("pull")  # the command line, after the commit: the held change arrives
    assert pulled.returncode == 0
    assert "Held separator" in names() and {f"Tank {k}" for k in range(1, n + 1)} <= names()
