"""Sync ingest and processing, measured from outside with a real web server and real Celery
workers (issue 11, part 7). Every figure is printed beside its target; the baseline (PostgreSQL's
own COPY of 10,000 comparable rows) is measured in the same run.

- processing: one 10,000-event batch (mixed types, about 5% conflicts), from the worker picking
  it up (batch started_at) to COMPLETED (finished_at), against a raw COPY of 10,000 production
  rows into a table like the production records (indexes included; the median of five COPYs,
  their range printed): ratio >= 0.1; measured with
  one worker process, then with two (the batch spread over both in lanes of whole wells);
- end to end: the same mix, 10,000 events, POSTed as two requests of 5,000 (the wire limit,
  API.md section 6) until both batches are COMPLETED: >= 5,000 events/s; one process, then two;
- intake: one POST of 5,000 events until its 202: <= 0.5 s;
- worker RSS (its pool process) while it processes a 5,000-event batch: <= 150 MB;
- backlog: 50 devices' batches (200 events each) waiting, then one worker process vs two:
  ratio >= 1.6;
- full pull (every page, limit 1,000) of a route of 1,000 wells with equipment: <= 200 ms;
- a field shift of 2,000 events (bench/field_sync.py): <= 2 s end to end.

The web server is one gunicorn worker (bench/_gunicorn.py); Celery workers run on a queue of
their own. The bench tenant is made afresh each run (but for --pull-only), so that no figure depends
on the records earlier runs left. Development settings (embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL).

    .venv/bin/python bench/sync_ingest.py [--skip-field-shift] [--pull-runs N]
    .venv/bin/python bench/sync_ingest.py --pull-only --pull-runs 7   # the pull figure alone
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402  (configures Django: development settings, DEBUG off)
from _gunicorn import GunicornWorker, process_rss_mb  # noqa: E402

import requests  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from config.celery import app  # noqa: E402
from sync.models import SyncBatch  # noqa: E402
from wells.models import Equipment, Well, WellAssignment  # noqa: E402

REPO = _setup.REPO
SLUG = "bench-sync"
OPERATOR = f"operator@{SLUG}.bench"
PULLER = f"puller@{SLUG}.bench"
QUEUE = f"bench-sync-{os.getpid()}"
PULL_WELLS = 1_000
COPY_RUNS = 5  # the baseline is their median


def operator(email: str, name: str) -> User:
    return User.objects.filter(email=email).first() or user_create(
        email=email, password=_setup.BENCH_PASSWORD, role=Role.OPERATOR, name=name)


def fresh_wells(user: User, count: int, label: str) -> list[Well]:
    """New wells (a pump jack and a tank each) on the user's route, so no run meets another's records."""
    taken = set(Well.objects.values_list("api_number", flat=True))
    wells = []
    while len(wells) < count:
        number = f"42{random.randint(100, 999)}{random.randint(10000, 99999)}0000"
        if number in taken:
            continue
        taken.add(number)
        wells.append(Well(api_number=number, name=f"{label} {len(wells) + 1}", field="Bench"))
    Well.objects.bulk_create(wells)
    Equipment.objects.bulk_create([Equipment(well=w, type=t, name=n) for w in wells
                                   for t, n in (("PUMP_JACK", "Pump jack"), ("TANK", "Oil tank"))])
    WellAssignment.objects.bulk_create([WellAssignment(user=user, well=w) for w in wells])
    return wells


def equipment_by_well(wells: list[Well], into: dict | None = None) -> dict:
    """{well id: [pump jack id, tank id]}."""
    into = {} if into is None else into
    for well_id, pk, kind in Equipment.objects.filter(well__in=wells).values_list("well_id", "pk", "type"):
        into.setdefault(well_id, [None, None])[0 if kind == "PUMP_JACK" else 1] = pk
    return into


def mixed_events(wells: list[Well], equipment: dict, count: int, *, conflicts: float = 0.05, seed: int = 1) -> list:
    """A field mix (half readings, a quarter production, inspections, repairs, notes); a share of
    ``conflicts`` of all events reuse a production or reading key already used in the batch, with
    another value. Each well has one event a day, so other types meet no conflict."""
    rng = random.Random(seed)
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=1)
    kinds = ["reading"] * 50 + ["production"] * 25 + ["inspection"] * 8 + ["repair"] * 4 + ["note"] * 13
    used: dict[str, list] = {"reading": [], "production": []}
    events = []
    for n in range(count):
        well = wells[n % len(wells)]
        pump, tank = equipment[well.pk]
        kind = rng.choice(kinds)
        occurred = (start + timedelta(milliseconds=n)).isoformat()
        at = (start - timedelta(days=n // len(wells))).isoformat()  # one event per well and day
        clash = kind in used and used[kind] and rng.random() < conflicts / 0.75  # readings+production: 75%
        if kind == "reading":
            payload = (dict(rng.choice(used["reading"])) if clash else
                       {"wellId": str(well.pk), "equipmentId": str(pump), "readingType": "PRESSURE", "unit": "PSI",
                        "recordedAt": at})
            payload["value"] = str(rng.randint(80, 250))
            used["reading"].append(payload)
            kind_type = "WELL_READING_RECORDED"
        elif kind == "production":
            payload = (dict(rng.choice(used["production"])) if clash else
                       {"wellId": str(well.pk), "productionDate": (start - timedelta(days=n + 1)).date().isoformat(),
                        "product": ("OIL", "GAS", "WATER")[n % 3], "unit": ("BBL", "MCF", "BBL")[n % 3]})
            payload["volume"] = str(rng.randint(5, 400))
            used["production"].append(payload)
            kind_type = "PRODUCTION_LOGGED"
        elif kind == "inspection":
            payload = {"wellId": str(well.pk), "equipmentId": str(tank), "inspectionType": "ROUTINE",
                       "status": "PASS",
                       "inspectedAt": at}
            kind_type = "EQUIPMENT_INSPECTED"
        elif kind == "repair":
            payload = {"wellId": str(well.pk), "equipmentId": str(pump), "description": "tightened stuffing box",
                       "repairedAt": at}
            kind_type = "EQUIPMENT_REPAIRED"
        else:
            payload = {"wellId": str(well.pk), "notes": "Checked the lease, all normal.",
                       "recordedAt": at}
            kind_type = "NOTES_ADDED"
        events.append({"id": str(uuid.uuid4()), "type": kind_type, "occurredAt": occurred, "payload": payload})
    return events


class Workers:
    """Celery worker processes on the bench's own queue, each in its own process group."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.processes, self.started = env, logs, [], 0

    def start(self, concurrency: int) -> subprocess.Popen:
        name = f"bench-sync-{self.started}-{os.getpid()}@%h"
        # INFO: a line per task and pool process (which process applied which lane), a few hundred a run.
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "-Q", QUEUE,
             "--concurrency", str(concurrency), "--prefetch-multiplier", "1", "-n", name, "--without-gossip",
             "--without-mingle", "--without-heartbeat"], cwd=REPO, env=self.env,
            stdout=open(self.logs / f"worker-{self.started}-c{concurrency}.log", "w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self.started += 1
        self.processes.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # ready: its pool processes are forked
            if len(pool_pids(process)) >= concurrency:
                time.sleep(0.5)
                return process
            if process.poll() is not None:
                break
            time.sleep(0.2)
        raise SystemExit(f"the worker did not start; see {self.logs}")

    def stop_all(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.processes = []


def pool_pids(process: subprocess.Popen) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class PeakRss(threading.Thread):
    """The highest RSS of a worker's pool processes, sampled every 10 ms until stopped."""

    def __init__(self, process: subprocess.Popen):
        super().__init__(daemon=True)
        self.process, self.peak, self.done = process, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in pool_pids(self.process):
                self.peak = max(self.peak, process_rss_mb(pid) or 0.0)
            time.sleep(0.01)


def wait_completed(schema: str, batch_ids: list, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    with schema_context(schema):
        while time.monotonic() < deadline:
            if SyncBatch.objects.filter(pk__in=batch_ids, status=SyncBatch.Status.COMPLETED).count() == len(batch_ids):
                return
            time.sleep(0.01)
    raise SystemExit(f"batches not COMPLETED within {seconds} s")


def copy_baseline(schema: str, rows: int, wells: list[Well], *, temporary: bool = True) -> float:
    """PostgreSQL's COPY of ``rows`` production-like rows into a table like the production records:
    a temporary one (the baseline), or with ``temporary`` off a logged one in the tenant's schema,
    written and committed as processing writes its records (WAL included), shown beside it."""
    from decimal import Decimal

    from django.db import transaction

    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_production")
        cursor.execute(f"CREATE {'TEMP ' if temporary else ''}TABLE bench_copy_production "
                       "(LIKE wells_productionrecord INCLUDING ALL)")
        day = datetime.now(timezone.utc).date()
        data = [(uuid.uuid4(), wells[n % len(wells)].pk, day - timedelta(days=n), ("OIL", "GAS", "WATER")[n % 3],
                 Decimal(n % 400), ("BBL", "MCF", "BBL")[n % 3], Decimal(n % 400), "", uuid.uuid4(),
                 datetime.now(timezone.utc))
                for n in range(rows)]
        started = time.perf_counter()
        with transaction.atomic(), cursor.cursor.copy(
                "COPY bench_copy_production (id, well_id, production_date, product, volume, unit, volume_normalized, "
                "downtime_reason, source_event_id, created_at) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_production")
    return seconds


def line(label: str, value: str, target: str, ok: bool) -> None:
    print(f"  {label:<44} {value:>16}   target {target:<16} {'ok' if ok else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-field-shift", action="store_true", help="do not run bench/field_sync.py")
    parser.add_argument("--pull-only", action="store_true",
                        help="measure only the full pull (no worker, no batches), --pull-runs times")
    parser.add_argument("--pull-runs", type=int, default=1, metavar="N",
                        help="full pulls to time (after one to warm up); the median is the figure (default 1)")
    args = parser.parse_args()

    # A fresh tenant every run (but --pull-only): the COPY baseline writes into an empty table, and
    # processing into tables holding only this run's records, not those of every earlier run.
    tenant, secret = _setup.bench_tenant(SLUG, "Bench Sync Ingest", fresh=not args.pull_only)
    schema = tenant.schema_name
    with schema_context(schema):
        user = operator(OPERATOR, "Bench Pumper")
        if not args.pull_only:
            WellAssignment.objects.filter(user=user).delete()  # last run's route
            wells = fresh_wells(user, 100, f"Ingest {uuid.uuid4().hex[:4]}")
            equipment = equipment_by_well(wells)
        puller = operator(PULLER, "Bench Puller")
        missing = PULL_WELLS - WellAssignment.objects.filter(user=puller, well__deleted_at__isnull=True).count()
        if missing > 0:
            fresh_wells(puller, missing, "Pull")

    work = Path(tempfile.mkdtemp(prefix="pumpjack-sync-bench-"))
    settings_dir = work / "settings"
    settings_dir.mkdir()
    (settings_dir / "bench_sync_settings.py").write_text(
        "from config.settings.development import *  # noqa\n" f"CELERY_TASK_DEFAULT_QUEUE = {QUEUE!r}\n")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench_sync_settings", DJANGO_DEBUG="0",
               PYTHONPATH=os.pathsep.join([str(settings_dir), str(REPO)]), PYTHONUNBUFFERED="1")
    app.conf.task_default_queue = QUEUE  # batches stored here are enqueued for the bench's workers
    web = GunicornWorker(env, log=work / "web.log")
    workers = Workers(env, work)
    try:
        url = f"http://127.0.0.1:{web.port}"
        session = requests.Session()
        headers = {"X-Tenant-ID": tenant.public_id, "X-Tenant-Secret": secret}

        def login(email: str) -> dict:
            response = session.post(f"{url}/api/v1/auth/login", json={"email": email,
                                                                       "password": _setup.BENCH_PASSWORD},
                                    headers=headers, timeout=60)
            response.raise_for_status()
            return headers | {"Authorization": f"Bearer {response.json()['access']}"}

        def full_pulls(runs: int) -> tuple[list[float], int, int]:
            """A full pull of 1,000 wells with equipment (every page, limit 1,000), ``runs`` times."""
            pull_auth = login(PULLER)
            session.get(f"{url}/api/v1/sync/changes?limit=1000", headers=pull_auth, timeout=60)  # warm
            times = []
            for _ in range(max(1, runs)):
                started = time.perf_counter()
                pulled, cursor, pages = 0, None, 0
                while True:
                    response = session.get(f"{url}/api/v1/sync/changes", params={"limit": 1000} | (
                        {"cursor": cursor} if cursor else {}), headers=pull_auth, timeout=60)
                    response.raise_for_status()
                    page = response.json()
                    pulled, cursor, pages = pulled + len(page["changes"]), page["cursor"], pages + 1
                    if not page["hasMore"]:
                        break
                times.append(time.perf_counter() - started)
            return times, pulled, pages

        if args.pull_only:
            times, pulled, pages = full_pulls(args.pull_runs)
            me_auth, floor = login(PULLER), []
            for _ in range(max(1, args.pull_runs)):  # what any authenticated request costs, as many as a pull
                started = time.perf_counter()
                for _ in range(pages):
                    session.get(f"{url}/api/v1/me", headers=me_auth, timeout=60).raise_for_status()
                floor.append(time.perf_counter() - started)
            print(f"  {pages} x GET /api/v1/me (the floor of {pages} requests): "
                  + ", ".join(f"{t * 1000:.0f}" for t in floor) + " ms")
            print(f"sync pull ({tenant.schema_name}; {len(times)} runs: "
                  + ", ".join(f"{t * 1000:.0f}" for t in times) + " ms)")
            median = sorted(times)[len(times) // 2]
            line(f"full pull, {PULL_WELLS:,} wells + equipment ({pulled:,} changes, {pages} pages), median",
                 f"{median * 1000:,.0f} ms", "<= 200 ms", median <= 0.2)
            return

        auth = login(OPERATOR)

        def post(events: list, device: str = "bench-tablet") -> tuple[dict, float]:
            started = time.perf_counter()
            response = session.post(f"{url}/api/v1/sync/batches", headers=auth, timeout=300,
                                    json={"device": {"deviceId": device, "platform": "cli"}, "events": events})
            seconds = time.perf_counter() - started
            assert response.status_code == 202, response.text[:500]
            body = response.json()
            assert not body["rejected"], body["rejected"][:3]
            return body, seconds

        post(mixed_events(wells[:5], equipment, 20, seed=99))  # warm the web worker (imports, connections)

        # --- the COPY baseline, then with one worker process and again with two: one 10,000-event
        # batch (stored here, in one batch: past the wire limit) and, end to end, 10,000 events of
        # the same mix (on wells of their own: no conflict beyond the batch's own 5%) in two
        # requests, with the worker's RSS meanwhile
        # Five of each: one COPY on this machine ranged 60-96 ms over three runs of the same code.
        copies = sorted(copy_baseline(schema, 10_000, wells) for _ in range(COPY_RUNS))
        logged_copies = sorted(copy_baseline(schema, 10_000, wells, temporary=False) for _ in range(COPY_RUNS))
        copy_seconds, logged_copy_seconds = copies[COPY_RUNS // 2], logged_copies[COPY_RUNS // 2]
        from sync.services.intake import batch_intake

        def one_batch_and_end_to_end(concurrency: int, seed: int) -> dict:
            process = workers.start(concurrency=concurrency)
            with schema_context(schema):
                batch_wells = fresh_wells(User.objects.get(email=OPERATOR), 100, f"Batch {uuid.uuid4().hex[:4]}")
                equipment_by_well(batch_wells, equipment)
                stored = batch_intake(user=User.objects.get(email=OPERATOR),
                                      device={"deviceId": "bench-tablet", "platform": "cli"},
                                      events=mixed_events(batch_wells, equipment, 10_000, seed=seed))
            assert len(stored.accepted) == 10_000, stored.rejected[:3]
            wait_completed(schema, [stored.batch.pk])
            with schema_context(schema):
                batch = SyncBatch.objects.get(pk=stored.batch.pk)
                counts = dict(batch.events.values("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
            with schema_context(schema):
                e2e_wells = fresh_wells(User.objects.get(email=OPERATOR), 100, f"End to end {uuid.uuid4().hex[:4]}")
                equipment_by_well(e2e_wells, equipment)
            events = mixed_events(e2e_wells, equipment, 10_000, seed=seed + 1)
            peak = PeakRss(process)
            peak.start()
            started = time.perf_counter()
            one, intake_1 = post(events[:5_000])
            two, intake_2 = post(events[5_000:])
            wait_completed(schema, [one["batchId"], two["batchId"]])
            end_to_end = time.perf_counter() - started
            peak.done.set()
            peak.join()
            workers.stop_all()
            return {"processing": (batch.finished_at - batch.started_at).total_seconds(), "counts": counts,
                    "end_to_end": end_to_end, "intake": (intake_1, intake_2), "rss": peak.peak}

        single = one_batch_and_end_to_end(1, 1)
        double = one_batch_and_end_to_end(2, 3)
        outcome_counts, copy_rate = single["counts"], 10_000 / copy_seconds

        # --- backlog from 50 devices: one worker process, then two
        def backlog_seconds(concurrency: int, seed: int) -> float:
            with schema_context(schema):
                device_wells = fresh_wells(User.objects.get(email=OPERATOR), 50, f"Backlog {seed}")
                device_equipment = equipment_by_well(device_wells)
            ids = [post(mixed_events([well], device_equipment, 200, seed=seed * 100 + n), device=f"device-{n}")[0]
                   ["batchId"] for n, well in enumerate(device_wells)]
            workers.start(concurrency=concurrency)
            with schema_context(schema):
                while SyncBatch.objects.filter(pk__in=ids, started_at__isnull=False).count() == 0:
                    time.sleep(0.005)
                started_at = time.perf_counter()
            wait_completed(schema, ids)
            seconds = time.perf_counter() - started_at
            workers.stop_all()
            return seconds

        one_worker = backlog_seconds(1, 3)
        two_workers = backlog_seconds(2, 4)

        # --- a full pull of 1,000 wells with equipment
        pull_times, pulled, pages = full_pulls(args.pull_runs)
        pull_seconds = sorted(pull_times)[len(pull_times) // 2]
    finally:
        workers.stop_all()
        web.stop()

    field_total = None
    if not args.skip_field_shift:
        output = subprocess.run([sys.executable, "bench/field_sync.py", "--events", "2000"], cwd=REPO,
                                capture_output=True, text=True, timeout=900)
        found = re.search(r"total\s+([\d.]+) s", output.stdout)
        field_total = float(found.group(1)) if found else None
        if field_total is None:
            print(output.stdout[-2000:], output.stderr[-2000:], file=sys.stderr)

    print(f"sync ingest ({tenant.schema_name}; logs in {work})")
    print(f"  outcomes of the 10,000-event batch: {outcome_counts}")
    print(f"  baseline: COPY of 10,000 production rows {copy_seconds * 1000:,.0f} ms ({copy_rate:,.0f} rows/s), "
          f"into a temporary table, median of {COPY_RUNS} ({copies[0] * 1000:,.0f}-{copies[-1] * 1000:,.0f} ms); "
          f"into a logged one, committed: {logged_copy_seconds * 1000:,.0f} ms "
          f"({logged_copies[0] * 1000:,.0f}-{logged_copies[-1] * 1000:,.0f})")
    for label, run in (("1 process", single), ("2 processes", double)):
        run_rate = 10_000 / run["processing"]
        line(f"processing 10,000 events, {label}", f"{run['processing']:.2f} s", "(pick-up to COMPLETED)", True)
        line("  rate / COPY rate", f"{run_rate / copy_rate:.3f}", ">= 0.1", run_rate / copy_rate >= 0.1)
        line("  rate", f"{run_rate:,.0f} ev/s", f">= {0.1 * copy_rate:,.0f} ev/s", run_rate / copy_rate >= 0.1)
    line("  one batch, speed-up 2 vs 1 process", f"{single['processing'] / double['processing']:.2f}x", "", True)
    for label, run in (("1 process", single), ("2 processes", double)):
        e2e_rate = 10_000 / run["end_to_end"]
        line(f"end to end 10,000 events (2 POSTs), {label}", f"{e2e_rate:,.0f} ev/s", ">= 5,000 ev/s",
             e2e_rate >= 5_000)
    for label, run in (("1 process", single), ("2 processes", double)):
        first_post, second_post = run["intake"]
        line(f"intake of 5,000 events (202), 1st / 2nd, {label}", f"{first_post:.2f} / {second_post:.2f} s",
             "<= 0.5 s",
             max(first_post, second_post) <= 0.5)
    rss = max(single["rss"], double["rss"])
    line("worker pool RSS processing 5,000-event batches", f"{rss:.0f} MB", "<= 150 MB", rss <= 150)
    ratio = one_worker / two_workers
    line("backlog of 50 devices x 200 events, 1 process", f"{one_worker:.2f} s", "", True)
    line("  2 processes", f"{two_workers:.2f} s", "", True)
    line("  speed-up 2 vs 1", f"{ratio:.2f}x", ">= 1.6x", ratio >= 1.6)
    line(f"full pull, {PULL_WELLS:,} wells + equipment ({pulled:,} changes, {pages} pages)",
         f"{pull_seconds * 1000:,.0f} ms", "<= 200 ms", pull_seconds <= 0.2)
    if field_total is not None:
        line("field shift 2,000 events (bench/field_sync.py)", f"{field_total:.2f} s", "<= 2 s", field_total <= 2)
    elif not args.skip_field_shift:
        line("field shift 2,000 events (bench/field_sync.py)", "failed", "<= 2 s", False)


if __name__ == "__main__":
    main()
