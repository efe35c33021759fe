"""The field client against bad networks and crashes, with the live server and a real worker:
a connection cut in the middle of a push, the `pumpjack-field sync` process killed (-9) during
a sync, and an operator recording for a well that is not on their route."""

from __future__ import annotations

import json
import signal
import time
import uuid
from datetime import date, timedelta

import pytest
import requests

from tests.client.harness import CuttingProxy, Device, make_route, server_events

pytestmark = pytest.mark.live


def production_events(well, count: int, *, start: date = date(2019, 1, 1)) -> list[tuple[str, dict]]:
    """One production record per day: every event has its own key (nothing conflicts)."""
    return [("PRODUCTION_LOGGED", {"wellId": str(well.pk), "productionDate": (start + timedelta(days=n)).isoformat(),
                                   "product": "OIL", "volume": 100 + n % 37, "unit": "BBL"}) for n in range(count)]


def production_records(django_db_blocker, handle, well) -> tuple[int, int]:
    """(records, distinct source events) of a well on the server."""
    from tests.e2e.conftest import committed
    from wells.models import ProductionRecord

    with committed(django_db_blocker, handle):
        records = ProductionRecord.objects.filter(well=well)
        return records.count(), records.values("source_event_id").distinct().count()


@pytest.mark.parametrize("direction, after", [
    ("response", 120),  # inside the 202's headers: the batch is stored, the device never hears of it
    ("response", 700),  # inside the 202's body
    ("request", 40_000),  # inside the request body: the server never gets the whole batch
])
def test_a_push_cut_mid_connection_is_resent_with_no_duplicate_and_no_loss(
    direction, after, live_web, workers, e2e_tenant, django_db_blocker, tmp_path
):
    route = make_route(django_db_blocker, e2e_tenant)
    well = route.wells[0]
    proxy = CuttingProxy(int(live_web.url.rsplit(":", 1)[1]))
    device = Device(name="cut", data_dir=tmp_path, server=proxy.url, handle=e2e_tenant, email=route.operators[0])
    try:
        device.login()
        device.client.pull()
        ids = device.record_many(production_events(well, 1200))
        workers.start(concurrency=2)
        proxy.cut_next(direction, after)

        report = device.client.sync(wait=60, max_events=500)

        assert proxy.cuts == [(direction, after)], "the connection was not cut"
        assert proxy.matched == 4  # 3 chunks, the first one sent twice
        # The resent chunk: duplicates when the server had stored it, accepted when it had not.
        if direction == "response":
            assert (report.accepted, report.duplicates) == (700, 500)
        else:
            assert (report.accepted, report.duplicates) == (1200, 0)
        assert not report.rejected and report.batches_open == 0
        assert device.peek("SELECT count(*), sum(synced), max(sync_attempts) FROM events") == [(1200, 1200, 2)]
    finally:
        device.close()
        proxy.close()
    outcomes = server_events(django_db_blocker, e2e_tenant, ids)
    assert len(outcomes) == 1200 and set(outcomes.values()) == {"APPLIED"}
    assert production_records(django_db_blocker, e2e_tenant, well) == (1200, 1200)


@pytest.mark.parametrize("moment", ["pushing", "waiting for outcomes"])
def test_a_sync_killed_with_sigkill_then_rerun_applies_every_event_exactly_once(
    moment, live_web, workers, e2e_tenant, django_db_blocker, tmp_path
):
    route = make_route(django_db_blocker, e2e_tenant)
    well = route.wells[0]
    device = Device(name="killed", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant, email=route.operators[0])
    device.login()
    device.client.pull()
    total = 2000
    ids = set(device.record_many(production_events(well, total)))
    device.close()
    workers.start(concurrency=2)

    sync = device.cli_popen("sync", "--chunk-size", "200", "--json")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and sync.poll() is None:
        synced = device.peek("SELECT count(*) FROM events WHERE synced = 1")[0][0]
        if moment == "pushing" and 0 < synced < total - 600:
            break
        if moment == "waiting for outcomes" and synced == total and \
                device.peek("SELECT count(*) FROM batches WHERE completed_at IS NULL")[0][0] > 0:
            break
        time.sleep(0.01)
    assert sync.poll() is None, f"the sync ended before it could be killed: {sync.communicate()}"
    sync.send_signal(signal.SIGKILL)
    sync.wait(10)
    assert sync.returncode == -signal.SIGKILL
    killed_at = device.peek("SELECT count(*) FROM events WHERE synced = 1")[0][0]
    assert device.peek("PRAGMA integrity_check") == [("ok",)]

    rerun = device.cli("sync", "--chunk-size", "200", "--json", timeout=180)
    report = json.loads(rerun.stdout)
    assert report["unsynced"] == 0 and report["rejected"] == [] and report["batchesStillProcessing"] == 0
    # Everything not marked synced before the kill went again (at most one chunk was a duplicate).
    assert report["accepted"] + report["duplicates"] == total - killed_at
    assert report["duplicates"] <= 200
    assert device.peek("SELECT count(*) FROM events WHERE synced = 1") == [(total,)]
    # Every event's outcome reached the device, the ones of the batches polled before the kill too.
    known = dict(device.peek("SELECT outcome, count(*) FROM events GROUP BY outcome"))
    assert known.get("APPLIED", 0) + known.get("DUPLICATE", 0) == total, known
    outcomes = server_events(django_db_blocker, e2e_tenant, ids)
    assert len(outcomes) == total and set(outcomes.values()) == {"APPLIED"}
    assert production_records(django_db_blocker, e2e_tenant, well) == (total, total)


def test_a_well_off_the_route_is_refused_on_the_device_and_a_forged_event_by_the_server(
    live_web, workers, e2e_tenant, django_db_blocker, tmp_path
):
    route = make_route(django_db_blocker, e2e_tenant)
    on_route, off_route = route.wells[0], route.off_route
    device = Device(name="offroute", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant,
                    email=route.operators[0])
    device.login()
    device.client.pull()
    device.close()

    # The command line refuses it locally, by API number or by id, and says what to do.
    for ref in (off_route.api_number, str(off_route.pk)):
        refused = device.cli("record", "production", "--well", ref, "--product", "OIL", "--volume", "10", check=False)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.count("\n") == 1 and "not on the route" in refused.stderr
        assert "pumpjack-field pull" in refused.stderr

    # A forged event written straight into the local store goes to the server, which rejects it.
    device.cli("record", "production", "--well", on_route.name, "--product", "OIL", "--volume", "10")
    forged_id = str(uuid.uuid4())
    import sqlite3

    db = sqlite3.connect(device.folder / "field.db")
    with db:
        owner, device_id = db.execute("SELECT user_id, device_id FROM events LIMIT 1").fetchone()
        db.execute("INSERT INTO events (id, type, payload, occurred_at, device_id, user_id, created_at) "
                   "VALUES (?, 'PRODUCTION_LOGGED', ?, '2026-11-20T15:00:00Z', ?, ?, '2026-11-20T15:00:00Z')",
                   (forged_id, json.dumps({"wellId": str(off_route.pk), "productionDate": "2026-11-20",
                                           "product": "OIL", "volume": 999, "unit": "BBL"}), device_id, owner))
    db.close()
    workers.start(concurrency=1)
    report = json.loads(device.cli("sync", "--json").stdout)
    assert report["accepted"] == 1
    assert [(r["eventId"], r["code"]) for r in report["rejected"]] == [(forged_id, "unknown_well")]

    status = json.loads(device.cli("status", "--json").stdout)
    assert status["unsynced"] == 0 and status["rejected"] == 1
    assert [(e["id"], e["code"]) for e in status["rejectedEvents"]] == [(forged_id, "unknown_well")]
    human = device.cli("status").stdout
    assert "Rejected events:   1" in human and "unknown_well" in human
    # Never sent again: the next sync pushes nothing and the event was tried once.
    again = json.loads(device.cli("sync", "--json").stdout)
    assert again["pushed"] == 0
    assert device.peek("SELECT sync_attempts, synced FROM events WHERE id = ?", (forged_id,)) == [(1, 0)]
    assert server_events(django_db_blocker, e2e_tenant, [forged_id]) == {forged_id: "REJECTED"}

    # The same forgery sent with plain requests is rejected the same way.
    token = live_web.login(e2e_tenant, route.operators[0])
    event = {"id": str(uuid.uuid4()), "type": "PRODUCTION_LOGGED", "occurredAt": "2026-11-20T15:00:00Z",
             "payload": {"wellId": str(off_route.pk), "productionDate": "2026-11-21", "product": "OIL",
                         "volume": 5, "unit": "BBL"}}
    answer = requests.post(f"{live_web.url}/api/v1/sync/batches", headers=live_web.api(e2e_tenant, token), timeout=30,
                           json={"device": {"deviceId": "forger", "platform": "cli"}, "events": [event]})
    assert answer.status_code == 202
    assert [(r["eventId"], r["code"]) for r in answer.json()["rejected"]] == [(event["id"], "unknown_well")]


@pytest.mark.parametrize("log_after_pruning", [
    "a change since",
    "empty",
])
def test_an_expired_pull_cursor_makes_the_device_take_a_fresh_snapshot(log_after_pruning, live_web, e2e_tenant,
                                                                       django_db_blocker, tmp_path):
    from wells.changelog.services import change_record, changes_prune
    from tests.e2e.conftest import committed
    from wells.models import WellAssignment

    route = make_route(django_db_blocker, e2e_tenant, wells=2)
    kept, dropped = route.wells
    device = Device(name="expired", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant, email=route.operators[0])
    device.login()
    assert not device.client.pull().resnapshot
    assert {w.id for w in device.client.store.wells()} == {str(kept.pk), str(dropped.pk)}

    with committed(django_db_blocker, e2e_tenant):
        # Off the route without a change-log row: only a full snapshot can tell the device.
        WellAssignment.objects.filter(well=dropped).delete()
        change_record(entity="well", entity_id=kept.pk, well_id=kept.pk, version=kept.version)
        assert changes_prune(older_than_days=0) > 0  # the device's cursor is now older than the log
        if log_after_pruning == "a change since":
            change_record(entity="well", entity_id=kept.pk, well_id=kept.pk, version=kept.version)

    report = device.client.pull()
    assert report.resnapshot
    assert [w.id for w in device.client.store.wells()] == [str(kept.pk)]
    assert {e.well_id for e in device.client.store.equipment()} == {str(kept.pk)}
    assert not device.client.pull().resnapshot  # the new cursor is good
    device.close()
