"""Sync with a real web server and real Celery workers: exactly once through a crash, parallel
workers on overlapping batches, one large batch spread over two worker processes, and the
sweeper recovering a batch whose enqueue was lost."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from accounts.models import User
from sync.models import SyncBatch, SyncEvent
from tests.e2e.conftest import committed, wait_until, well_held
from wells.models import ProductionRecord, Well, WellAssignment

pytestmark = pytest.mark.live
_api_numbers = itertools.count(40001)


def make_well(django_db_blocker, handle, name: str) -> Well:
    with committed(django_db_blocker, handle):
        well = Well.objects.create(api_number=f"42317{next(_api_numbers):05d}0000", name=name)
        operator = User.objects.get(email=handle.users["OPERATOR"])
        WellAssignment.objects.create(user=operator, well=well)
        return well


def production_events(well: Well, count: int, *, start: date = date(2020, 1, 1), volume=None,
                      after: int = 0) -> list[dict]:
    """``count`` days of oil from ``start``, one event a second from ``after`` seconds past noon."""
    occurred = datetime(2026, 11, 20, 12, tzinfo=timezone.utc) + timedelta(seconds=after)
    return [
        {"id": str(uuid.uuid4()), "type": "PRODUCTION_LOGGED",
         "occurredAt": (occurred + timedelta(seconds=n)).isoformat(),
         "payload": {"wellId": str(well.pk), "productionDate": (start + timedelta(days=n)).isoformat(),
                     "product": "OIL", "volume": volume if volume is not None else 100 + n % 50, "unit": "BBL"}}
        for n in range(count)
    ]


def push(live_web, handle, token, events, device="e2e-tablet"):
    response = requests.post(f"{live_web.url}/api/v1/sync/batches", headers=live_web.api(handle, token), timeout=120,
                             json={"device": {"deviceId": device, "platform": "cli"}, "events": events})
    assert response.status_code == 202, response.text
    return response.json()


def batch_status(django_db_blocker, handle, batch_id) -> str:
    # The batch is marked COMPLETED in the transaction of its last chunk's outcomes.
    with committed(django_db_blocker, handle):
        return SyncBatch.objects.get(pk=batch_id).status


def outcomes(django_db_blocker, handle, batch_id) -> dict[str, int]:
    with committed(django_db_blocker, handle):
        rows = SyncEvent.objects.filter(batch_id=batch_id).values_list("outcome", flat=True)
        counts: dict[str, int] = {}
        for outcome in rows:
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts


def test_a_worker_killed_mid_batch_then_replaced_applies_every_event_exactly_once(
    live_web, workers, e2e_tenant, django_db_blocker, settings
):
    """The worker is killed inside a chunk's transaction, after another chunk committed: the
    test holds the lock of the second well, so the chunk that reaches it waits there however fast
    the worker applies (a whole 5,000-event batch takes it well under a second)."""
    chunk = 2_000  # the worker's SYNC_CHUNK_EVENTS
    first_well, second_well = (make_well(django_db_blocker, e2e_tenant, f"Crash Test {n}") for n in (1, 2))
    token = live_web.login(e2e_tenant, e2e_tenant.users["OPERATOR"])
    total = 5000  # a lane of the first well's 2,000 events (one chunk), one of the second's 3,000
    events = (production_events(first_well, chunk, start=date(2010, 1, 1))  # every productionDate in the past
              + production_events(second_well, total - chunk, start=date(2010, 1, 1), after=chunk))
    body = push(live_web, e2e_tenant, token, events)
    assert len(body["accepted"]) == total

    with well_held(e2e_tenant, second_well) as held:
        first = workers.start(concurrency=1, env={"SYNC_CHUNK_EVENTS": str(chunk)})
        waiting = wait_until(held.waiters, seconds=120, message="a chunk to wait for the second well")
        workers.kill(first)
        partial = outcomes(django_db_blocker, e2e_tenant, body["batchId"])
        # The first well's chunk is applied and marked; the killed chunk has left nothing behind.
        assert partial == {"APPLIED": chunk, "PENDING": total - chunk}, partial
        assert held.waiters() == waiting  # killed inside that chunk's transaction
        held.release()
        # The server ends the killed worker's session (rolled back) once it has the lock and finds
        # the client gone; until then the events it locked are skipped by other workers.
        wait_until(lambda: held.busy_sessions() == 0, seconds=60, message="the killed worker's sessions to end")
    assert outcomes(django_db_blocker, e2e_tenant, body["batchId"]) == partial

    # The batch was left PROCESSING: the sweeper hands it to a new worker.
    assert batch_status(django_db_blocker, e2e_tenant, body["batchId"]) == "PROCESSING"
    workers.start(concurrency=1)
    from sync.tasks import sweep_stuck_batches

    settings.SYNC_SWEEP_PROCESSING_AFTER_SECONDS = 0
    with django_db_blocker.unblock():
        assert sweep_stuck_batches() >= 1
    wait_until(lambda: outcomes(django_db_blocker, e2e_tenant, body["batchId"]).get("PENDING", 0) == 0
               and batch_status(django_db_blocker, e2e_tenant, body["batchId"]) != "PROCESSING",
               seconds=180, message="the new worker to finish the batch")
    with committed(django_db_blocker, e2e_tenant):
        assert SyncBatch.objects.get(pk=body["batchId"]).status == "COMPLETED"
        records = ProductionRecord.objects.filter(well__in=[first_well, second_well])
        assert records.count() == total
        assert records.values("source_event_id").distinct().count() == total
        assert set(SyncEvent.objects.filter(batch_id=body["batchId"]).values_list("outcome", flat=True)) == {"APPLIED"}


def test_the_sweeper_recovers_a_batch_whose_enqueue_was_lost(live_web, workers, e2e_tenant, django_db_blocker, settings):
    """No worker is listening when the batch arrives and its message is thrown away, as if the
    broker had been down at intake; the sweeper re-enqueues it and a worker applies it."""
    from config.celery import app

    well = make_well(django_db_blocker, e2e_tenant, "Sweeper Test")
    token = live_web.login(e2e_tenant, e2e_tenant.users["OPERATOR"])
    body = push(live_web, e2e_tenant, token, production_events(well, 20))
    with app.connection_for_write() as conn:
        purged = app.control.purge(connection=conn)  # the enqueue is lost
    assert purged >= 1
    workers.start(concurrency=1)
    with committed(django_db_blocker, e2e_tenant):
        assert SyncBatch.objects.get(pk=body["batchId"]).status == "QUEUED"
    settings.SYNC_SWEEP_QUEUED_AFTER_SECONDS = 0
    from sync.tasks import sweep_stuck_batches

    with django_db_blocker.unblock():
        assert sweep_stuck_batches() >= 1
    wait_until(lambda: outcomes(django_db_blocker, e2e_tenant, body["batchId"]) == {"APPLIED": 20},
               seconds=60, message="the swept batch to be applied")


def test_parallel_workers_on_overlapping_batches_reach_the_sequential_state(
    live_web, workers, e2e_tenant, django_db_blocker
):
    """8 batches from 8 devices log production for the same 10 well-days with different volumes
    (HIGHEST_VALUE). Processed by 4 worker processes at once, the result must be what one worker
    gets: one current record per key, holding the highest volume, every other value retained."""
    wells = [make_well(django_db_blocker, e2e_tenant, f"Parallel {n}") for n in range(2)]
    token = live_web.login(e2e_tenant, e2e_tenant.users["OPERATOR"])
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(5)]
    batches, expected = [], {}
    for device in range(8):
        events = []
        for well in wells:
            for n, day in enumerate(days):
                volume = Decimal(10 + (device * 7 + n * 3) % 23)
                events.append({"id": str(uuid.uuid4()), "type": "PRODUCTION_LOGGED",
                               "occurredAt": datetime(2026, 11, 20, 12, device, tzinfo=timezone.utc).isoformat(),
                               "payload": {"wellId": str(well.pk), "productionDate": day.isoformat(),
                                           "product": "OIL", "volume": str(volume), "unit": "BBL"}})
                key = (str(well.pk), day)
                expected[key] = max(expected.get(key, Decimal(0)), volume)
        batches.append(push(live_web, e2e_tenant, token, events, device=f"tablet-{device}"))
    workers.start(concurrency=4)
    for batch in batches:
        wait_until(lambda b=batch: outcomes(django_db_blocker, e2e_tenant, b["batchId"]).get("PENDING", 0) == 0
                   and outcomes(django_db_blocker, e2e_tenant, b["batchId"]) != {},
                   seconds=120, message="all batches to be processed")
    with committed(django_db_blocker, e2e_tenant):
        current = ProductionRecord.objects.filter(well__in=wells, superseded_by__isnull=True)
        assert current.count() == len(expected)  # never two current records for one key
        assert {(str(r.well_id), r.production_date): r.volume for r in current} == expected
        assert ProductionRecord.objects.filter(well__in=wells).count() == 8 * len(expected)  # nothing lost
        rejected = SyncEvent.objects.filter(batch_id__in=[b["batchId"] for b in batches], outcome="REJECTED")
        assert not rejected.exists(), list(rejected.values_list("errors", flat=True)[:3])


def test_one_large_batch_is_spread_over_two_worker_processes_and_never_reads_done_while_processing(
    live_web, workers, e2e_tenant, django_db_blocker
):
    """5,000 events on 25 wells (several per key: HIGHEST_VALUE) go in lanes of whole wells to
    both pool processes of one worker. A client polling the batch meanwhile never sees every
    event decided while the batch is still PROCESSING (COMPLETED commits with the last outcomes),
    and the end state is what one process applying the batch in order reaches."""
    wells = [make_well(django_db_blocker, e2e_tenant, f"Lanes {n}") for n in range(25)]
    token = live_web.login(e2e_tenant, e2e_tenant.users["OPERATOR"])
    occurred = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    events, expected = [], {}
    for n in range(200):
        for m, well in enumerate(wells):
            day = date(2025, 1, 1) + timedelta(days=n % 40)
            volume = Decimal(10 + (n * 7 + m * 3) % 41)
            events.append({"id": str(uuid.uuid4()), "type": "PRODUCTION_LOGGED",
                           "occurredAt": (occurred + timedelta(milliseconds=n * 25 + m)).isoformat(),
                           "payload": {"wellId": str(well.pk), "productionDate": day.isoformat(), "product": "OIL",
                                       "volume": str(volume), "unit": "BBL"}})
            expected[(str(well.pk), day)] = max(expected.get((str(well.pk), day), Decimal(0)), volume)
    body = push(live_web, e2e_tenant, token, events)
    assert len(body["accepted"]) == 5000
    worker = workers.start(concurrency=2)

    seen, deadline = [], time.monotonic() + 240
    while time.monotonic() < deadline:
        report = requests.get(f"{live_web.url}{body['statusUrl']}", headers=live_web.api(e2e_tenant, token),
                              timeout=60).json()
        decided = sum(1 for r in report["results"] if r["outcome"] != "PENDING")
        seen.append((report["status"], decided))
        if report["status"] == "COMPLETED":
            break
    assert seen[-1] == ("COMPLETED", 5000), seen[-3:]
    assert all(status == "COMPLETED" for status, decided in seen if decided == 5000), seen
    assert sum(report["counts"][k] for k in ("applied", "autoResolved")) == 5000, report["counts"]

    with committed(django_db_blocker, e2e_tenant):
        current = ProductionRecord.objects.filter(well__in=wells, superseded_by__isnull=True)
        assert {(str(r.well_id), r.production_date): r.volume for r in current} == expected
        records = ProductionRecord.objects.filter(well__in=wells)
        assert records.count() == 5000 and records.values("source_event_id").distinct().count() == 5000
    # Both pool processes applied part of the batch: the lanes were sent as tasks of their own.
    log = (workers.log_dir / f"worker{workers.running.index(worker)}.log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]  # JSON logs (config.logs)
    applied_by = {line["pid"] for line in lines
                  if "succeeded" in line["message"] and ("process_lane" in line["message"]
                                                         or "process_batch" in line["message"])}
    assert len(applied_by) == 2, log[-3000:]


def test_a_worker_killed_while_two_processes_apply_lanes_of_one_batch_then_replaced_applies_each_event_once(
    live_web, workers, e2e_tenant, django_db_blocker, settings
):
    wells = [make_well(django_db_blocker, e2e_tenant, f"Crash Lanes {n}") for n in range(20)]
    token = live_web.login(e2e_tenant, e2e_tenant.users["OPERATOR"])
    events = [event for n, well in enumerate(wells)
              for event in production_events(well, 250, start=date(2005, 1, 1) + timedelta(days=n))]
    body = push(live_web, e2e_tenant, token, events)
    assert len(body["accepted"]) == 5000

    # Chunks of 500: ten lanes of two wells, a chunk each, so that the kill finds some applied and
    # some pending. The last well is held: the lane that reaches it waits there,
    # inside its chunk, so the batch cannot finish before the kill however fast it goes.
    with well_held(e2e_tenant, wells[-1]) as held:
        first = workers.start(concurrency=2, env={"SYNC_CHUNK_EVENTS": "500"})
        wait_until(lambda: total_decided(django_db_blocker, e2e_tenant, body["batchId"]) >= 200 and held.waiters(),
                   seconds=120, interval=0.02, message="the worker to apply some events and reach the last well")
        workers.kill(first)
        # A chunk whose COMMIT reached the server before the kill still commits (it did once in a full
        # run: 1,000 decided read at once, 1,500 after): read once the killed worker's sessions are
        # gone but for the one waiting at the held well (beside the holder's own).
        wait_until(lambda: held.busy_sessions() == 1 + len(held.waiters()), seconds=60, interval=0.02,
                   message="the killed worker's sessions, but the one at the held well, to end")
        decided = total_decided(django_db_blocker, e2e_tenant, body["batchId"])
        # Every lane is two wells' 500 events, one chunk: whole chunks only, the held one not among them.
        assert 500 <= decided <= 4500 and decided % 500 == 0, decided
        held.release()
        wait_until(lambda: held.busy_sessions() == 0, seconds=60, message="the killed worker's sessions to end")
    assert total_decided(django_db_blocker, e2e_tenant, body["batchId"]) == decided

    workers.start(concurrency=2)
    from sync.tasks import sweep_stuck_batches

    settings.SYNC_SWEEP_PROCESSING_AFTER_SECONDS = 0
    with django_db_blocker.unblock():
        assert sweep_stuck_batches() >= 1
    wait_until(lambda: batch_status(django_db_blocker, e2e_tenant, body["batchId"]) == "COMPLETED",
               seconds=180, message="the new worker to finish the batch")
    with committed(django_db_blocker, e2e_tenant):
        records = ProductionRecord.objects.filter(well__in=wells)
        assert records.count() == 5000
        assert records.values("source_event_id").distinct().count() == 5000
        assert set(SyncEvent.objects.filter(batch_id=body["batchId"]).values_list("outcome", flat=True)) == {"APPLIED"}


def total_decided(django_db_blocker, handle, batch_id) -> int:
    counts = outcomes(django_db_blocker, handle, batch_id)
    return sum(n for outcome, n in counts.items() if outcome != "PENDING")
