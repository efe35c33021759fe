"""The field client end to end: a device records mixed events offline, then syncs (push, wait
until the server processed them, pull) against a server this script starts itself.

The server is the one `make run` starts in production mode (gunicorn with config/gunicorn_conf.py,
its workers sized from the cores) plus a Celery worker (concurrency 2), both subprocesses with
the development settings (embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set),
a metrics folder and a Celery queue of their own, so a `make run` worker on the same Redis never
takes their tasks. (Django's development server is not measured: it leaves Nagle's algorithm on,
and every answer it writes in two parts waits ~40 ms for the client's delayed ACK, 48 ms a request
whatever the view.)
The benchmark tenant (bench/_setup.py) is made afresh each run, with a route of new wells: no
figure depends on how many runs came before (the route, and with it the pull, grew with each). Prints seconds and
events per second for each phase: record, push, processed, pull, and in total.

    .venv/bin/python bench/field_sync.py [--events 2000] [--wells 20] [--photos 10] [--chunk-size 5000]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402  (configures Django: development settings, DEBUG off)

from django_tenants.utils import schema_context  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from sync.client.engine import FieldClient  # noqa: E402
from sync.client.record import record  # noqa: E402
from wells.models import Equipment, Well, WellAssignment  # noqa: E402

REPO = _setup.REPO
SLUG = "bench-field"
OPERATOR = f"operator@{SLUG}.bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def route(tenant, wells: int) -> list[Well]:
    """An operator and a fresh route of wells (each with a pump jack and a tank) for this run."""
    with schema_context(tenant.schema_name):
        operator = User.objects.filter(email=OPERATOR).first() or user_create(
            email=OPERATOR, password=_setup.BENCH_PASSWORD, role=Role.OPERATOR, name="Bench Pumper")
        WellAssignment.objects.filter(user=operator).delete()  # last run's route
        created, taken = [], set(Well.objects.values_list("api_number", flat=True))
        run = uuid.uuid4().hex[:4]
        while len(created) < wells:
            number = f"42317{random.randint(10000, 99999)}0000"
            if number in taken:
                continue
            taken.add(number)
            well = Well.objects.create(api_number=number, name=f"Bench {run} {len(created) + 1}", field="Bench")
            Equipment.objects.create(well=well, type="PUMP_JACK", name="Pump jack")
            Equipment.objects.create(well=well, type="TANK", name="Oil tank")
            WellAssignment.objects.create(user=operator, well=well)
            created.append(well)
    return created


class Server:
    """gunicorn (as `make run` starts it) + a Celery worker on a queue of their own, each in its
    own process group."""

    def __init__(self, logs: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings_dir = Path(tempfile.mkdtemp(prefix="pumpjack-bench-"))
        (settings_dir / "bench_field_settings.py").write_text(
            "from config.settings.development import *  # noqa\n"
            f"CELERY_TASK_DEFAULT_QUEUE = 'bench-field-{os.getpid()}'\n")
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench_field_settings", DJANGO_DEBUG="0",
                   PYTHONPATH=os.pathsep.join([str(settings_dir), str(REPO)]), PYTHONUNBUFFERED="1",
                   PROMETHEUS_MULTIPROC_DIR=str(settings_dir / "metrics"), METRICS_DIR_KEEP="true",
                   GUNICORN_LOG_LEVEL="warning")
        (settings_dir / "metrics").mkdir()  # fresh, shared by both; kept: the worker may write first
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(REPO / "config" / "gunicorn_conf.py"),
                              "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"],
                             cwd=REPO, env=env, stdout=open(logs / "web.log", "w"),
                             stderr=subprocess.STDOUT, start_new_session=True),
            subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                              "--concurrency", "2", "-n", f"bench-field-{os.getpid()}@%h", "--without-gossip",
                              "--without-mingle", "--without-heartbeat"], cwd=REPO, env=env,
                             stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT, start_new_session=True),
        ]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise SystemExit(f"the server did not start; see {logs}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the server did not answer within 60 s; see {logs}")

    def stop(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def warm(device: FieldClient, *, rounds: int = 50) -> None:
    """Bring every gunicorn worker to the state of a server that has been up for a while: a
    worker's first authenticated request checks the tenant secret with Argon2 (cached per worker
    afterwards) and opens its database connection, ~250 ms that a long-running server has paid
    long ago. Rounds of concurrent GET /api/v1/me (more in flight than there are workers, so each
    worker takes some) until one round answers every request within 50 ms."""
    with ThreadPoolExecutor(8) as pool:  # within the session's 10 pooled connections
        for _ in range(rounds):
            def timed(_):
                started = time.perf_counter()
                assert device.api.call("GET", "/api/v1/me").status_code == 200
                return time.perf_counter() - started
            if max(pool.map(timed, range(16))) < 0.05:
                return
    raise SystemExit(f"the server did not settle: a round of requests still took over 50 ms after {rounds} rounds")


def shift(wells: list[Well], count: int, photos: int, folder: Path) -> list[tuple[str, dict]]:
    """A mixed shift: mostly readings and production, some inspections, repairs, notes, photos."""
    rng = random.Random(7)
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(days=3)
    images = []
    for n in range(photos):
        image = folder / f"photo{n}.jpg"
        image.write_bytes(b"\xff\xd8\xff\xe0" + rng.randbytes(100_000))
        images.append(image)
    kinds = ["reading"] * 50 + ["production"] * 25 + ["inspection"] * 8 + ["repair"] * 4 + ["note"] * 13
    out = []
    for n in range(count - photos):
        well = wells[n % len(wells)]
        at = (start + timedelta(minutes=n // len(wells))).isoformat()
        kind = rng.choice(kinds)
        if kind == "reading":
            options = {"type": "PRESSURE", "value": str(rng.randint(80, 250)), "unit": "PSI", "at": at}
        elif kind == "production":
            options = {"date": (start - timedelta(days=n // len(wells))).date().isoformat(),
                       "product": ("OIL", "GAS", "WATER")[n % 3], "volume": str(rng.randint(5, 400))}
        elif kind == "inspection":
            options = {"equipment": "Oil tank", "status": rng.choice(["PASS", "PASS", "NEEDS_ATTENTION"]), "at": at}
        elif kind == "repair":
            options = {"equipment": "Pump jack", "description": "tightened stuffing box", "at": at}
        else:
            options = {"text": f"Checked the lease, {rng.choice(['all normal', 'small drip at the wellhead'])}.",
                       "at": at}
        out.append((kind, {"well": well.api_number, **options}))
    out += [("photo", {"well": wells[n % len(wells)].api_number, "file": str(image), "caption": f"photo {n}"})
            for n, image in enumerate(images)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--wells", type=int, default=20)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--chunk-size", type=int, default=5000,
                        help="events per request (smaller requests let both worker processes work at once)")
    args = parser.parse_args()

    tenant, secret = _setup.bench_tenant(SLUG, "Bench Field Sync", fresh=True)
    wells = route(tenant, args.wells)
    work = Path(tempfile.mkdtemp(prefix="pumpjack-field-bench-"))
    server = Server(work)
    try:
        device = FieldClient(work / "device", server=server.url)
        device.login(tenant_id=tenant.public_id, tenant_secret=secret, email=OPERATOR, password=_setup.BENCH_PASSWORD)
        device.pull()  # online once: the route
        warm(device)

        plan = shift(wells, args.events, args.photos, work)
        started = time.perf_counter()
        for kind, options in plan:  # offline: the same path as `pumpjack-field record`
            record(device.store, device.folder, kind, options)
        record_seconds = time.perf_counter() - started

        report = device.sync(wait=600, max_events=args.chunk_size)
        assert report.accepted == args.events and not report.rejected, (report.accepted, report.rejected[:3])
        assert report.batches_open == 0, "the server did not finish processing within 600 s"
        summary = device.store.summary(user_id=device.user_id)
        device.close()
    finally:
        server.stop()

    seconds = {"record": record_seconds, "push": report.seconds.get("photos", 0.0) + report.seconds["push"],
               "processed": report.seconds["processed"], "pull": report.seconds["pull"]}
    total = sum(seconds.values())
    print(f"field sync: {args.events:,} events ({args.photos} photos of 100 kB) on {args.wells} wells, "
          f"{len(report.batches)} request(s), worker concurrency 2")
    for phase, value in seconds.items():
        print(f"  {phase:<10} {value:8.2f} s  {args.events / value:10,.0f} events/s")
    print(f"  {'total':<10} {total:8.2f} s  {args.events / total:10,.0f} events/s")
    print(f"  outcomes: {summary['outcomes']}; pulled {report.changes_pulled} changes; logs in {work}")


if __name__ == "__main__":
    main()
