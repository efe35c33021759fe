"""The wells API under load: a tenant with 10,000 wells, an OPERATOR with a 500-well route and a
MANAGER, through the full stack (tenant ID + secret + JWT, permissions, route scoping) and through
bare DRF views (same selectors, serializer and pagination; no tenancy, no authentication).

Each server is one gunicorn sync worker on 127.0.0.1; this script is the only client. For each
request kind it measures the maximum rate (one client, back to back) and then the latency at half
that rate (open loop: each request is timed from when it was due, so queueing counts), and at the
end the resident memory of the full-stack worker after 10,000 requests.

    .venv/bin/python bench/wells_api.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402  (configures Django)
from _gunicorn import GunicornWorker  # noqa: E402

from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from accounts.tokens import token_pair_issue  # noqa: E402
from wells.models import Well, WellAssignment  # noqa: E402
from wells.services import wells_assign  # noqa: E402

REPO = _setup.REPO
WELLS = 10_000
ROUTE = 500
OPERATOR_EMAIL = "operator@bench-wells.bench"
MANAGER_EMAIL = "manager@bench-wells.bench"


def prepare():
    tenant, secret = _setup.bench_tenant("bench-wells", "Bench Wells Oil")
    with schema_context(tenant.schema_name):
        have = Well.objects.count()
        if have < WELLS:
            Well.objects.bulk_create(
                [Well(api_number=f"42{n // 1000 + 1:03d}{n:05d}0000",
                      name=f"Bench {n:05d}", lease=f"Lease {n % 40}", field=f"Field {n % 5}", state="TX",
                      latitude=31 + (n % 100) / 100, longitude=-102 - (n % 100) / 100)
                 for n in range(have, WELLS)],
                batch_size=2000,
            )
        for email, role in ((OPERATOR_EMAIL, "OPERATOR"), (MANAGER_EMAIL, "MANAGER")):
            if not User.objects.filter(email=email).exists():
                user_create(email=email, password=_setup.BENCH_PASSWORD, role=role)
        operator = User.objects.get(email=OPERATOR_EMAIL)
        manager = User.objects.get(email=MANAGER_EMAIL)
        if WellAssignment.objects.filter(user=operator).count() != ROUTE:
            ids = list(Well.objects.order_by("?").values_list("pk", flat=True)[:ROUTE])
            wells_assign(user=operator, well_ids=ids, replace=True)
        route_ids = [str(i) for i in WellAssignment.objects.filter(user=operator).values_list("well_id", flat=True)]
        all_ids = [str(i) for i in Well.objects.values_list("pk", flat=True)[:2000]]
        tokens = {role: token_pair_issue(user=user, tenant_public_id=tenant.public_id).access
                  for role, user in (("operator", operator), ("manager", manager))}
    connection.close()
    return tenant, secret, tokens, route_ids, all_ids


def server(settings_module: str, *, production_like: bool, extra_env: dict | None = None) -> GunicornWorker:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings_module, DJANGO_DEBUG="0", **(extra_env or {}))
    log = Path(tempfile.gettempdir()) / f"pumpjack-bench-wells-{settings_module}.log"
    return GunicornWorker(env, log=log, production_like=production_like)


def request(port: int, path: str, headers: dict) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}: {body[:300]!r}")
    return time.perf_counter() - started


def max_rate(port, paths, headers, count) -> float:
    for path in paths[:20]:
        request(port, path, headers)  # warm
    started = time.perf_counter()
    for n in range(count):
        request(port, paths[n % len(paths)], headers)
    return count / (time.perf_counter() - started)


def latencies_at(port, paths, headers, count, rate) -> list[float]:
    """Open loop: request n is due at n / rate; its latency runs from then to the last byte."""
    interval = 1 / rate
    start = time.perf_counter() + 0.05
    results = []
    for n in range(count):
        due = start + n * interval
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        request(port, paths[n % len(paths)], headers)
        results.append(time.perf_counter() - due)
    return results


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per measurement")
    parser.add_argument("--production-like", action="store_true",
                        help="hide packages only the test extras install (see bench/_production_like.py)")
    args = parser.parse_args()
    tenant, secret, tokens, route_ids, all_ids = prepare()
    random.seed(7)
    kinds = {
        "list  OPERATOR (500-well route)": ("operator", ["/wells/?page_size=50"] +
                                           [f"/wells/?page_size=50&page={p}" for p in range(2, 11)]),
        "list  MANAGER (10,000 wells)": ("manager", ["/wells/?page_size=50"] +
                                        [f"/wells/?page_size=50&page={p}" for p in range(2, 201, 20)]),
        "get   OPERATOR": ("operator", [f"/wells/{i}/" for i in random.sample(route_ids, 200)]),
        "get   MANAGER": ("manager", [f"/wells/{i}/" for i in random.sample(all_ids, 200)]),
    }
    full = server("config.settings.development", production_like=args.production_like)
    bare = server("bench.bare_settings", production_like=args.production_like,
                  extra_env={"BENCH_SCHEMA": tenant.schema_name, "BENCH_OPERATOR_EMAIL": OPERATOR_EMAIL,
                             "BENCH_MANAGER_EMAIL": MANAGER_EMAIL})
    full_sent = 0
    rows = []
    try:
        for name, (role, paths) in kinds.items():
            headers = {"X-Tenant-ID": tenant.public_id, "X-Tenant-Secret": secret,
                       "Authorization": f"Bearer {tokens[role]}", "Host": "localhost"}
            full_paths = [f"/api/v1{p}" for p in paths]
            bare_paths = [f"/{role}{p}" for p in paths]
            full_rate = max_rate(full.port, full_paths, headers, args.requests)
            bare_rate = max_rate(bare.port, bare_paths, {"Host": "localhost"}, args.requests)
            full_lat = latencies_at(full.port, full_paths, headers, args.requests, full_rate / 2)
            bare_lat = latencies_at(bare.port, bare_paths, {"Host": "localhost"}, args.requests, bare_rate / 2)
            full_sent += 2 * args.requests + 20
            rows.append((name, full_rate, bare_rate, full_lat, bare_lat))
        # Memory: bring the full-stack worker to 10,000 requests.
        mixed = [(role, f"/api/v1{p}") for role, paths in kinds.values() for p in paths]
        header_sets = {role: {"X-Tenant-ID": tenant.public_id, "X-Tenant-Secret": secret,
                              "Authorization": f"Bearer {tokens[role]}", "Host": "localhost"}
                       for role in ("operator", "manager")}
        n = 0
        while full_sent < 10_000:
            role, path = mixed[n % len(mixed)]
            request(full.port, path, header_sets[role])
            full_sent += 1
            n += 1
        rss = full.rss_mb()
    finally:
        full.stop()
        bare.stop()

    print(f"tenant {tenant.public_id}: {WELLS:,} wells; OPERATOR route {ROUTE} wells; one gunicorn sync worker each;")
    print(f"{args.requests} requests per measurement; latency at half the measured maximum rate (open loop)\n")
    print(f"{'request':34} {'full req/s':>10} {'bare req/s':>10} {'ratio':>7}   {'full p50/p99 ms':>16} "
          f"{'bare p50/p99 ms':>16}")
    for name, full_rate, bare_rate, full_lat, bare_lat in rows:
        print(f"{name:34} {full_rate:10.0f} {bare_rate:10.0f} {full_rate / bare_rate:7.1%}   "
              f"{pct(full_lat, 50):7.1f}/{pct(full_lat, 99):<8.1f} {pct(bare_lat, 50):7.1f}/{pct(bare_lat, 99):<8.1f}")
    worst_ratio = min(r[1] / r[2] for r in rows)
    worst_p99 = max(pct(r[3], 99) for r in rows)
    print(f"\nlowest full/bare throughput ratio: {worst_ratio:.1%} (target >= 80%)")
    print(f"highest full-stack p99 at half the maximum rate: {worst_p99:.1f} ms (target <= 25 ms)")
    kind = "production-like install" if args.production_like else "this virtualenv, test extras included"
    print(f"full-stack worker RSS after {full_sent:,} requests: {rss:.1f} MB ({kind}; target <= 80 MB)")
    print(json.dumps({"ratio_min": round(worst_ratio, 3), "p99_ms_max": round(worst_p99, 1), "rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()
