"""Where the tail of GET /api/v1/me comes from at saturation (issue 12 point 2).

The server ``make run`` starts (gunicorn, config/gunicorn_conf.py), its application wrapped by
bench/tail_wsgi.py, which times each request from inside the worker: wall time, the thread's CPU
time and the time spent in garbage collection during it. wrk (64 connections, three credentials)
saturates /me for --seconds at each worker count of --workers; for each, printed side by side:

- wrk's p50/p99 (what a client sees) and the rate;
- the application's own wall p50/p99/p99.9 (a request inside the worker) and its CPU p99: wall far
  above CPU means the worker was waiting (for a core, the database, Redis), not computing;
- garbage collection: the share of requests that ran a collection, the p99.9 of its time, and the
  full (generation 2) collections;
- the share of requests each worker served (max/min: accept imbalance).

    .venv/bin/python bench/serve_tail.py [--seconds 10] [--workers 2,3,5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve  # noqa: E402  (configures Django, prepares the bench tenant)

TRACE = Path(tempfile.gettempdir()) / "pumpjack-bench-tail"


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_one(workers: int, seconds: float, env: dict, paths, headers) -> dict:
    shutil.rmtree(TRACE, ignore_errors=True)
    TRACE.mkdir(parents=True)
    original = serve.server_command

    def traced(kind, app, port, count):
        command = original(kind, app, port, count)
        command[command.index("config.wsgi:application")] = "bench.tail_wsgi:application"
        return command

    serve.server_command = traced
    try:
        server = serve.start("make-run", "full", workers, {**env, "BENCH_TAIL_DIR": str(TRACE)}, "/healthz")
    finally:
        serve.server_command = original
    try:
        serve.wrk(server.port, paths, headers, 64, serve.WARM_SECONDS)
        for trace in TRACE.glob("*.tsv"):
            trace.write_text("")  # the warm-up's requests are not counted
        result = serve.wrk(server.port, paths, headers, 64, seconds)
    finally:
        server.stop()
    per_worker = []
    wall, cpu, gc_ms, full = [], [], [], 0
    ran_gc = 0
    for trace in TRACE.glob("*.tsv"):
        rows = [line.split("\t") for line in trace.read_text().splitlines() if line]
        if not rows:
            continue
        per_worker.append(len(rows))
        for w, c, g, f in rows:
            wall.append(int(w) / 1e6)
            cpu.append(int(c) / 1e6)
            gc_ms.append(int(g) / 1e6)
            ran_gc += int(g) > 0
            full += int(f)
    return {"workers": workers, "wrk": result, "wall": wall, "cpu": cpu, "gc": gc_ms, "ran_gc": ran_gc,
            "full": full, "per_worker": per_worker}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", default="2,3,5")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: sudo apt-get install -y wrk", file=sys.stderr)
        return 2
    tenant, secret, tokens, route_ids, _ = serve.wells_api.prepare()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.development", DJANGO_DEBUG="false",
               PYTHONPATH=str(serve.REPO))
    paths, _, headers = serve.views(tenant, secret, tokens, route_ids)["/me"]
    print(f"GET /api/v1/me at 64 connections, {args.seconds:g} s per worker count, {os.cpu_count()} cores "
          f"(wrk shares them)\n")
    print(f"{'workers':>7} | {'wrk req/s':>9} {'p50':>7} {'p99':>7} | {'app p50':>7} {'p99':>7} {'p99.9':>7} "
          f"{'cpu p99':>7} | {'gc reqs':>7} {'gc p99.9':>8} {'full gc':>7} | {'max/min worker':>14}")
    for workers in [int(n) for n in args.workers.split(",")]:
        r = run_one(workers, args.seconds, env, paths, headers)
        w = r["wrk"]
        share = max(r["per_worker"]) / max(1, min(r["per_worker"])) if r["per_worker"] else float("nan")
        gc_share = 100 * r["ran_gc"] / max(1, len(r["wall"]))
        print(f"{workers:>7} | {w.rate:9.0f} {w.p50:6.1f}ms {w.p99:6.1f}ms | "
              f"{statistics.median(r['wall']):6.2f}ms {quantile(r['wall'], .99):6.1f}ms {quantile(r['wall'], .999):6.1f}ms "
              f"{quantile(r['cpu'], .99):6.2f}ms | {gc_share:6.1f}% {quantile(r['gc'], .999):7.2f}ms {r['full']:7d} | "
              f"{share:14.2f}" + (f"  ({w.errors} errors!)" if w.errors else ""))
    print("\nwall far above cpu: the request waited inside the worker (for a core when workers and wrk outnumber "
          "the cores); wrk's p99 far above the app's: it waited in the listen queue for a free worker.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
