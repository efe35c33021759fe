"""CSV exports (issue 14 part 6, API.md section 14): rows per second of each export streamed through
the whole stack (one gunicorn sync worker serving config.wsgi, DEBUG off; this script the only
client, reading the body as it comes), and the worker's resident memory: after a warm-up export of
1,000 rows, and its peak (VmHWM) after each full export, so "memory flat" is a figure.

A bench tenant (bench-exports) is seeded once, then reused: ``--rows`` production records (1,000
wells, one OIL record a day each: 200,000 rows is 200 days), as many readings, tank gauges (200
leases with 2 oil tanks each, 20 ft strapping tables in quarter inches: 961 rows) and a tenth as many
run tickets. A quarter of the records name who recorded them and their sync event. Target: at
least 50,000 rows/s per export. The machine may be shared: each figure is one run; run it again.

    .venv/bin/python bench/exports.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, time as dtime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402  (configures Django)
from _gunicorn import GunicornWorker  # noqa: E402

from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from accounts.tokens import token_pair_issue  # noqa: E402
from wells.leases import Lease, RunTicket, StrappingRow, Tank, TankGauge  # noqa: E402
from wells.models import ProductionRecord, Well, WellReading  # noqa: E402

TARGET = 50_000
WELLS = 1_000
LEASES = 200
MANAGER_EMAIL = "manager@bench-exports.bench"
FIRST_DAY = date(2025, 1, 1)
BATCH = 5_000


def _batched(make, total: int, model) -> None:
    batch = []
    for n in range(total):
        batch.append(make(n))
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def seed(rows: int):
    tenant, secret = _setup.bench_tenant("bench-exports", "Bench Exports Oil")
    with schema_context(tenant.schema_name):
        if not User.objects.filter(email=MANAGER_EMAIL).exists():
            user_create(email=MANAGER_EMAIL, password=_setup.BENCH_PASSWORD, role="MANAGER")
        manager = User.objects.get(email=MANAGER_EMAIL)
        if Lease.objects.count() < LEASES:
            Lease.objects.bulk_create([Lease(name=f"Bench Lease {n:03d}", rrc_district="08",
                                             rrc_lease_number=f"{50000 + n}") for n in range(LEASES)])
        leases = list(Lease.objects.order_by("name"))
        if Well.objects.count() < WELLS:
            Well.objects.bulk_create([Well(api_number=f"42317{n:05d}0000", name=f"Bench {n:04d}",
                                           lease=leases[n % LEASES].name, lease_ref=leases[n % LEASES], state="TX")
                                      for n in range(WELLS)])
        wells = list(Well.objects.order_by("api_number"))
        if Tank.objects.count() < 2 * LEASES:
            Tank.objects.bulk_create([Tank(lease=lease, name=f"Oil {k}", capacity_bbl=D(400), height_inches=D(240))
                                      for lease in leases for k in (1, 2)])
            table = [(D(q) / 4, (D(q) / 4 * D("1.67")).quantize(D("0.001"))) for q in range(961)]
            StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=h, barrels=b)
                                              for tank in Tank.objects.all() for h, b in table], batch_size=BATCH)
        tanks = list(Tank.objects.order_by("lease__name", "name"))
        event = uuid.uuid4()

        def who(n):
            return (manager, event) if n % 4 == 0 else (None, None)

        def at(day: int, hour: int, minute: int = 0) -> datetime:
            return datetime.combine(FIRST_DAY + timedelta(days=day), dtime(hour, minute), tzinfo=timezone.utc)

        started = time.perf_counter()
        have = ProductionRecord.objects.count()
        if have < rows:
            def production(n):
                n += have
                by, source = who(n)
                return ProductionRecord(well=wells[n % WELLS], production_date=FIRST_DAY + timedelta(days=n // WELLS),
                                        product="OIL", volume=D(n % 997) / 8, unit="BBL",
                                        volume_normalized=D(n % 997) / 8, recorded_by=by, source_event_id=source,
                                        recorded_at=at(n // WELLS, 13))
            _batched(production, rows - have, ProductionRecord)
        have = WellReading.objects.count()
        if have < rows:
            def reading(n):
                n += have
                by, source = who(n)
                return WellReading(well=wells[n % WELLS], reading_type="PRESSURE", value=D(n % 2000) / 4, unit="PSI",
                                   value_normalized=D(n % 2000) / 4, recorded_by=by, source_event_id=source,
                                   recorded_at=at(n // WELLS, 7, n % 60))
            _batched(reading, rows - have, WellReading)
        have = TankGauge.objects.count()
        if have < rows:
            def gauge(n):
                n += have
                by, source = who(n)
                level = D((n * 37) % 960) / 4
                gauged = at(n // len(tanks), 17)
                return TankGauge(tank=tanks[n % len(tanks)], level=level, unit="IN", level_inches=level,
                                 temperature_f=D(n % 90), gauged_at=gauged, gauged_minute=gauged, recorded_by=by,
                                 source_event_id=source, notes="=gauge line" if n % 1000 == 0 else "")
            _batched(gauge, rows - have, TankGauge)
        have = RunTicket.objects.count()
        if have < rows // 10:
            def ticket(n):
                n += have
                by, source = who(n)
                tank = tanks[n % len(tanks)]
                return RunTicket(lease_id=tank.lease_id, tank=tank, ticket_number=f"B-{n:07d}", kind="TANK",
                                 closed_at=at(n // len(tanks), 9), observed_gravity_api=D("40.2"),
                                 observed_temperature_f=D("72.0"), bsw_percent=D("0.30"), disposition="1",
                                 opening_level=D(200), closing_level=D(40), unit="IN", purchaser="Bench Crude",
                                 seals_removed=["S1"], seals_installed=["S2"], gravity_60f=D("39.4"),
                                 ctl=D("0.99414"), gross_observed_bbl=D("267.20"), gross_standard_bbl=D("265.63"),
                                 net_bbl=D("264.83"), recorded_by=by, source_event_id=source)
            _batched(ticket, rows // 10 - have, RunTicket)
        seeded = time.perf_counter() - started
        counts = {"production": ProductionRecord.objects.count(), "readings": WellReading.objects.count(),
                  "run-tickets": RunTicket.objects.count(), "tank-gauges": TankGauge.objects.count()}
        token = token_pair_issue(user=manager, tenant_public_id=tenant.public_id).access
    connection.close()
    return tenant, secret, token, counts, seeded


def download(port: int, path: str, headers: dict) -> tuple[int, int, float, float]:
    """(rows, bytes, seconds to the last byte, seconds to the first byte)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}: {response.read()[:300]!r}")
    lines = size = 0
    first = None
    while chunk := response.read1(1 << 16):
        if first is None:
            first = time.perf_counter() - started
        lines += chunk.count(b"\n")
        size += len(chunk)
    conn.close()
    return lines - 1, size, time.perf_counter() - started, first or 0.0


def _worker_pid(worker: GunicornWorker) -> int:
    return int(Path(f"/proc/{worker.process.pid}/task/{worker.process.pid}/children").read_text().split()[0])


def memory(worker: GunicornWorker) -> tuple[float, float]:
    """(VmRSS, VmHWM) of the worker, MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{_worker_pid(worker)}/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def cpu_seconds(worker: GunicornWorker) -> float:
    """User + system CPU time of the worker so far (the machine's load does not inflate it)."""
    fields = Path(f"/proc/{_worker_pid(worker)}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float | None:
    """CPU time of the embedded PostgreSQL's processes (its backends: the worker's connection
    stays open between exports); None when DATABASE_URL names another server."""
    if os.environ.get("DATABASE_URL"):
        return None
    from config import embedded

    postmaster = int((embedded.data_dir() / "pg" / "postmaster.pid").read_text().split()[0])
    total = 0
    for child in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split():
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="production records (and readings, gauges) seeded")
    args = parser.parse_args()
    tenant, secret, token, counts, seeded = seed(args.rows)
    print(f"tenant {tenant.public_id}: {counts['production']:,} production records, {counts['readings']:,} readings, "
          f"{counts['tank-gauges']:,} tank gauges, {counts['run-tickets']:,} run tickets "
          f"(seeding this run: {seeded:.0f} s)")
    headers = {"X-Tenant-ID": tenant.public_id, "X-Tenant-Secret": secret, "Authorization": f"Bearer {token}",
               "Host": "localhost"}
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.development", DJANGO_DEBUG="0")
    worker = GunicornWorker(env, log=Path(tempfile.gettempdir()) / "pumpjack-bench-exports.log")
    results = []
    try:
        # Warm-up: every export once on a small range (imports, caches, connection), then the base memory.
        last = FIRST_DAY + timedelta(days=0)
        for kind in counts:
            download(worker.port, f"/api/v1/exports/{kind}.csv?to={last.isoformat()}", headers)
        base_rss, base_peak = memory(worker)
        for kind in counts:
            load = os.getloadavg()[0]
            cpu, db_cpu = cpu_seconds(worker), database_cpu_seconds()
            rows, size, seconds, first = download(worker.port, f"/api/v1/exports/{kind}.csv", headers)
            cpu = cpu_seconds(worker) - cpu
            db_cpu = database_cpu_seconds() - db_cpu if db_cpu is not None else None
            rss, peak = memory(worker)
            results.append((kind, rows, size, seconds, first, rss, peak, cpu, load, db_cpu))
    finally:
        worker.stop()
    print(f"one gunicorn sync worker; worker memory after the warm-up: RSS {base_rss:.1f} MB (peak so far "
          f"{base_peak:.1f} MB)\n")
    print(f"{'export':12} {'rows':>9} {'MB':>7} {'seconds':>8} {'first byte':>10} {'rows/s':>9}  {'target':>9}  "
          f"{'worker peak RSS':>15} {'worker CPU':>10} {'DB CPU':>7} {'rows/s, a core each':>19} {'load':>5}")
    for kind, rows, size, seconds, first, rss, peak, cpu, load, db_cpu in results:
        rate = rows / seconds
        busiest = max(cpu, db_cpu or 0)
        core_each = f"{rows / busiest:19,.0f}" if busiest else f"{'-':>19}"
        db = f"{db_cpu:6.2f}s" if db_cpu is not None else f"{'-':>7}"
        print(f"{kind:12} {rows:9,} {size / 1e6:7.1f} {seconds:8.2f} {first * 1000:8.0f} ms {rate:9,.0f}  "
              f">= {TARGET:,}  {peak:9.1f} MB   {cpu:9.2f}s {db} {core_each} {load:5.1f}   "
              f"{'OK' if rate >= TARGET else 'MISSED'}")
    print(f"\nThe machine has {os.cpu_count()} CPUs; a load average above that means the wall-clock rows/s are shared "
          "with other work. The CPU seconds are not: the worker and its database backend each ran for that long, in "
          "parallel, so 'rows/s, a core each' (rows / the busier of the two) is what a server with a core for each "
          "would stream.")
    growth = max(r[6] for r in results) - base_peak
    print(f"\npeak RSS growth over the warm-up across all exports: {growth:+.1f} MB "
          f"({'flat' if growth < 20 else 'NOT flat'}: under 20 MB whatever the row count)")


if __name__ == "__main__":
    main()
