"""The HTTP server under load, measured from outside with wrk (Debian's ``wrk``), issue 12 point 7.

Against the server ``make run`` starts (config.run.web_command: gunicorn with
config/gunicorn_conf.py, DEBUG off, JSON request logs to a file, metrics in a multiprocess folder)
with the three credentials (X-Tenant-ID, X-Tenant-Secret, an OPERATOR's bearer token):
GET /api/v1/me, the wells list (page of 50 of a 500-well route) and a well's detail (50 wells in
turn), at 16 and 64 connections, each for --seconds. In the same run, on the same server
configuration: the same views with tenancy and authentication switched off (bench/bare_settings.py,
bench/bare_urls.py) and a bare WSGI hello (bench/hello.py, the server's ceiling); then /me at 64
connections at half its measured maximum rate (wrk's per-connection delay: closed loop, so the
figure is kind to the server); the worker RSS after at least 10,000 requests, in this virtual
environment and again as a server install runs it (bench/_production_like.py: without the
packages only the test and client extras bring, which Django REST framework imports when
present), and shown beside it the server install's workers once each has also answered one of 40
sync POSTs (a 202 enqueues a Celery task: Celery and the broker connection are then loaded in
that worker); and /me on Django's development server (``make dev``). Every figure is printed
beside its target.

    .venv/bin/python bench/serve.py [--seconds 8] [--rounds 4] [--repeat 1]
    .venv/bin/python bench/serve.py --compare      # gunicorn sync / gthread, granian, uvicorn (ASGI)

The full-stack, bare, hello and development servers are up together for the whole run, idle but
for the one wrk is loading. Each figure is --rounds runs of --seconds / --rounds, taken in turn
with the figures it is compared with (the full stack, the bare view, and for /me the hello ceiling
and the development server), the first of each round moving along: on a shared machine whose
speed drifts by a fifth within minutes, the drift then falls on both sides of every ratio. A
figure's rate is over all its rounds, its p50 the rounds' median, its p99 their highest. wrk
shares the machine's cores with the server (as a load balancer would not).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wells_api  # noqa: E402  (configures Django, prepares the 10,000-well tenant)
from _gunicorn import process_rss_mb  # noqa: E402

from config import run as make_run  # noqa: E402
from config.gunicorn_conf import default_workers  # noqa: E402

REPO = wells_api.REPO
PYTHON = sys.executable
LOGS = Path(tempfile.gettempdir()) / "pumpjack-bench-serve"
SYNC_POSTS = 40  # after the server install's RSS: enough to reach each of its workers, as a rule
# Before each figure: a cold worker pays Argon2 once for the device secret (~0.1-0.3 s) and
# opens its database connection; that start-up cost is measured apart (README), not in the figures.
WARM_SECONDS = 4

TARGETS = {
    "bare_ratio": 0.85,  # full stack / bare views, req/s
    "hello_ratio": 0.4,  # full-stack /me / hello ceiling, req/s
    "p99_half_ms": 25.0,  # at 64 connections, at half the maximum rate
    "p99_saturated_ms": 100.0,  # at saturation
    "dev_ratio": 5.0,  # over the development server
    "rss_mb": 80.0,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- servers


def server_command(kind: str, app: str, port: int, workers: int) -> list[str]:
    """``app``: "full" / "bare" (config.wsgi or config.asgi) or "hello" (bench/hello.py)."""
    wsgi = "bench.hello:application" if app == "hello" else "config.wsgi:application"
    asgi = "bench.hello:asgi_application" if app == "hello" else "config.asgi:application"
    bind = f"127.0.0.1:{port}"
    if kind in ("make-run", "server-install"):  # exactly what make run starts, on another port
        command = make_run.web_command(PYTHON, port, {"DJANGO_DEBUG": "false"})
        command[command.index("config.wsgi:application")] = wsgi
        command[command.index("--bind") + 1] = bind
        if kind == "server-install":  # the same, without the packages only the test/client extras bring
            at = command.index("-m")
            command[at:at + 2] = [str(REPO / "bench" / "_production_like.py")]
        return command + ["--workers", str(workers)]
    if kind in ("gunicorn-sync", "gunicorn-gthread"):
        return [PYTHON, "-m", "gunicorn", "-c", str(make_run.GUNICORN_CONF), wsgi, "--bind", bind,
                "--workers", str(workers), "--worker-class", kind.split("-")[1],
                # gunicorn turns sync into gthread when threads > 1
                "--threads", "1" if kind == "gunicorn-sync" else os.environ.get("BENCH_THREADS", "4")]
    if kind == "granian":
        return [PYTHON, "-m", "granian", "--interface", "wsgi", wsgi, "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--blocking-threads", "1", "--log-level", "warning", "--no-ws"]
    if kind == "uvicorn":
        return [PYTHON, "-m", "uvicorn", asgi, "--host", "127.0.0.1", "--port", str(port), "--workers",
                str(workers), "--no-access-log", "--log-level", "warning", "--lifespan", "off"]
    if kind == "runserver":
        return [PYTHON, "manage.py", "runserver", bind, "--noreload", "--skip-checks"]
    raise ValueError(kind)


@dataclass
class Server:
    kind: str
    app: str
    port: int
    process: subprocess.Popen
    log: Path

    def worker_pids(self) -> list[int]:
        """The server's worker processes (every descendant of the one started, or itself)."""
        pids, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            try:
                children = [int(c) for t in os.listdir(f"/proc/{pid}/task")
                            for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
            except OSError:
                children = []
            pids.extend(children)
            todo.extend(children)
        return pids or [self.process.pid]

    def worker_rss_mb(self) -> list[float]:
        return [mb for mb in map(process_rss_mb, self.worker_pids()) if mb is not None]

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def start(kind: str, app: str, workers: int, env: dict, probe: str) -> Server:
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{kind}-{app}.log"
    server_env = dict(env)
    if app == "bare":
        server_env["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"
    if kind == "runserver":
        server_env["DJANGO_DEBUG"] = "true"  # make dev
    metrics_dir = LOGS / f"metrics-{kind}-{app}"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    server_env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    with log.open("w") as out:
        process = subprocess.Popen(server_command(kind, app, port, workers), cwd=REPO, env=server_env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(kind, app, port, process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} ({app}) exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {probe} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
                if sock.recv(12).startswith(b"HTTP/1.1"):
                    break
        except OSError:
            time.sleep(0.3)
    else:
        server.stop()
        raise RuntimeError(f"{kind} ({app}) did not answer: {log.read_text()[-2000:]}")
    time.sleep(1)  # every worker up
    return server


# --------------------------------------------------------------------------- wrk

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class Result:
    rate: float
    p50: float
    p99: float
    requests: int
    errors: int  # non-2xx/3xx responses and socket errors

    def __str__(self) -> str:
        bad = f"  ({self.errors} errors!)" if self.errors else ""
        return f"{self.rate:8.0f} req/s  p50 {self.p50:7.2f} ms  p99 {self.p99:7.2f} ms{bad}"


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def lua_script(paths: list[str], delay_ms: float | None) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    script = LOGS / f"wrk-{os.getpid()}-{len(paths)}-{delay_ms}.lua"
    listed = ", ".join(f'"{p}"' for p in paths)
    body = f"""
local paths = {{{listed}}}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""
    if delay_ms is not None:
        body += f"delay = function() return {delay_ms:.3f} end\n"
    script.write_text(body)
    return script


def wrk(port: int, paths: list[str], headers: dict, connections: int, seconds: float,
        delay_ms: float | None = None) -> Result:
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s",  # a slow answer counts in the tail instead of vanishing as a timeout
               "-s", str(lua_script(paths, delay_ms))]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    output = done.stdout
    if "Requests/sec" not in output:
        raise RuntimeError(f"wrk failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Result(rate, p50, p99, requests, errors)


# --------------------------------------------------------------------------- the run


def views(tenant, secret, tokens, route_ids) -> dict[str, tuple[list[str], list[str], dict]]:
    """name -> (full-stack paths, bare paths, full-stack headers)."""
    headers = {"X-Tenant-ID": tenant.public_id, "X-Tenant-Secret": secret,
               "Authorization": f"Bearer {tokens['operator']}", "Host": "localhost"}
    details = route_ids[:50]
    return {
        "/me": (["/api/v1/me"], ["/operator/me"], headers),
        "wells list (50)": (["/api/v1/wells/?page_size=50"], ["/operator/wells/?page_size=50"], headers),
        "well detail": ([f"/api/v1/wells/{i}/" for i in details], [f"/operator/wells/{i}/" for i in details],
                        headers),
    }


def mark(ok: bool) -> str:
    return "ok  " if ok else "MISS"


def combined(results: list[Result]) -> Result:
    """One figure from its rounds: the rate over all of them, the median p50, the highest p99."""
    seconds = sum(r.requests / r.rate for r in results if r.rate)
    requests = sum(r.requests for r in results)
    p50s = sorted(r.p50 for r in results)
    return Result(requests / seconds if seconds else 0.0, p50s[len(p50s) // 2], max(r.p99 for r in results),
                  requests, sum(r.errors for r in results))


def sync_posts(server: Server, headers: dict, well_id: str, count: int) -> set[int]:
    """``count`` sync batches of one note each (POST /api/v1/sync/batches), as a device sends them:
    each 202 has enqueued its batch's processing task, so the worker that answered has Celery and
    its broker connection loaded. Returns the pids of the workers that answered one (from their
    request log lines). The batches stay in the bench tenant, processed by whatever worker runs."""
    for n in range(count):
        body = json.dumps({"device": {"deviceId": "bench-serve", "platform": "cli"}, "events": [{
            "id": str(uuid.uuid4()), "type": "NOTES_ADDED",
            "occurredAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "payload": {"wellId": well_id, "notes": f"bench/serve.py {n}"}}]}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/v1/sync/batches", data=body,
                                         method="POST", headers=headers | {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != 202:
                raise RuntimeError(f"sync POST answered {response.status}")
    pids = set()
    for line in server.log.read_text().splitlines():
        if line.startswith("{") and '"/api/v1/sync/batches"' in line:
            entry = json.loads(line)
            if entry.get("method") == "POST" and entry.get("status") == 202:
                pids.add(entry["pid"])
    return pids


def main_run(args, env, tenant, secret, tokens, route_ids) -> int:
    kinds = views(tenant, secret, tokens, route_ids)
    me_paths, _, me_headers = kinds["/me"]
    workers = args.workers or default_workers()
    rounds = max(1, args.rounds)
    round_seconds = max(1.0, args.seconds / rounds)
    print(f"server: {' '.join(server_command('make-run', 'full', 0, workers)[1:])}  "
          f"({workers} workers, {os.cpu_count()} cores), {args.seconds:g}s per figure "
          f"in {rounds} rounds taken in turn with the figures it is compared with\n")
    figures: dict[tuple[str, str, int], list[Result]] = {}
    full_requests = 0
    servers: dict[str, Server] = {}
    warmed: set[tuple[str, int]] = set()
    try:
        # Every server of a ratio is up for the whole run and its figures are taken in turn, round
        # by round: the machine's drift (its hello ceiling moves by a fifth within minutes) falls on
        # both sides of every ratio instead of on whichever server happened to run in a slow minute.
        for app in ("full", "bare", "hello"):
            servers[app] = start("make-run", app, workers, env, "/healthz" if app != "hello" else "/")
        servers["dev"] = start("runserver", "full", 1, env, "/healthz")
        for repeat in range(args.repeat):
            for connections in (16, 64):
                for name, (full_paths, bare_paths, headers) in kinds.items():
                    apps = ["full", "bare"]
                    if name == "/me":
                        apps += ["hello"] + (["dev"] if connections == 16 else [])
                    paths = {"full": full_paths, "bare": bare_paths, "hello": ["/"], "dev": full_paths}
                    sent = {app: headers if app in ("full", "dev") else {"Host": "localhost"} for app in apps}
                    for app in apps:  # every worker warm (Argon2 once per worker), then each figure's paths
                        seconds = WARM_SECONDS if (app, connections) not in warmed else 1
                        warmed.add((app, connections))
                        wrk(servers[app].port, paths[app], sent[app], connections, seconds)
                    taken: dict[str, list[Result]] = {app: [] for app in apps}
                    for round_ in range(rounds):
                        turn = round_ % len(apps)
                        for app in apps[turn:] + apps[:turn]:  # who goes first moves round by round
                            taken[app].append(wrk(servers[app].port, paths[app], sent[app], connections,
                                                  round_seconds))
                    for app, results in taken.items():
                        figures.setdefault((app, name, connections), []).append(combined(results))
                        if app == "full":
                            full_requests += sum(r.requests for r in results)
            best = max(r.rate for r in figures[("full", "/me", 64)])
            delay = 64 * 1000 / (best / 2)  # each of 64 connections waits this long between requests
            half = wrk(servers["full"].port, me_paths, me_headers, 64, args.seconds, delay_ms=delay)
            figures.setdefault(("full-half", "/me", 64), []).append(half)
            full_requests += half.requests
        while full_requests < 10_000:
            full_requests += wrk(servers["full"].port, me_paths, me_headers, 16, 2).requests
        rss = servers["full"].worker_rss_mb()
    finally:
        for server in servers.values():
            server.stop()
    # The same server as a server install runs it (`pip install pumpjack`, no extras): this
    # virtual environment also holds the test and client extras, whose requests, pygments and
    # markdown Django REST framework imports when present (bench/_production_like.py hides them).
    installed = start("server-install", "full", workers, env, "/healthz")
    try:
        served = 0
        while served < 10_000:
            served += wrk(installed.port, me_paths, me_headers, 16, 2).requests
        installed_rss = installed.worker_rss_mb()
        # What the figure above leaves out: a web worker that has answered a sync POST has sent a
        # Celery task (Celery and the broker connection are loaded on first use, not at start).
        posted_pids = sync_posts(installed, me_headers, str(route_ids[0]), SYNC_POSTS)
        posted_rss = [mb for mb in map(process_rss_mb, sorted(posted_pids)) if mb is not None]
    finally:
        installed.stop()
    dev_result = figures[("dev", "/me", 16)]

    def spread(results: list[Result], attr: str) -> str:
        values = [getattr(r, attr) for r in results]
        return f"{min(values):.0f}-{max(values):.0f}" if len(values) > 1 else ""

    def med(results: list[Result], attr: str) -> float:
        values = sorted(getattr(r, attr) for r in results)
        return values[len(values) // 2]

    print(f"{'view':<17}{'conn':>5}  {'full stack':<52}{'bare views':<34}{'full/bare':>9}")
    misses = 0
    for connections in (16, 64):
        for name in kinds:
            full = figures[("full", name, connections)]
            bare = figures[("bare", name, connections)]
            ratio = med(full, "rate") / med(bare, "rate")
            ok = ratio >= TARGETS["bare_ratio"]
            misses += not ok
            line = (f"{name:<17}{connections:>5}  {med(full, 'rate'):6.0f} req/s p50 {med(full, 'p50'):6.2f} "
                    f"p99 {med(full, 'p99'):7.2f} ms {spread(full, 'rate'):>11}  "
                    f"{med(bare, 'rate'):6.0f} req/s p99 {med(bare, 'p99'):7.2f} ms  "
                    f"{ratio:5.2f} {mark(ok)} (target >= {TARGETS['bare_ratio']})")
            errors = sum(r.errors for r in full + bare)
            print(line + (f"  {errors} errors" if errors else ""))
    print()
    for connections in (16, 64):
        hello = figures[("hello", "/me", connections)]
        me = figures[("full", "/me", connections)]
        ratio = med(me, "rate") / med(hello, "rate")
        ok = ratio >= TARGETS["hello_ratio"]
        misses += not ok
        print(f"hello ceiling {connections:>3} conn: {med(hello, 'rate'):6.0f} req/s p99 {med(hello, 'p99'):6.2f} ms; "
              f"full /me / hello = {ratio:.2f} {mark(ok)} (target >= {TARGETS['hello_ratio']})")
    saturated = med(figures[("full", "/me", 64)], "p99")
    ok = saturated <= TARGETS["p99_saturated_ms"]
    misses += not ok
    print(f"/me p99 at saturation (64 conn):   {saturated:7.2f} ms {mark(ok)} (target <= {TARGETS['p99_saturated_ms']:g})")
    half = figures[("full-half", "/me", 64)]
    ok = med(half, "p99") <= TARGETS["p99_half_ms"]
    misses += not ok
    print(f"/me p99 at half rate (64 conn):    {med(half, 'p99'):7.2f} ms at {med(half, 'rate'):.0f} req/s "
          f"{mark(ok)} (target <= {TARGETS['p99_half_ms']:g})")
    dev_ratio = med(figures[("full", "/me", 16)], "rate") / med(dev_result, "rate")
    ok = dev_ratio >= TARGETS["dev_ratio"]
    misses += not ok
    print(f"development server /me (16 conn):  {med(dev_result, 'rate'):8.0f} req/s  p50 {med(dev_result, 'p50'):7.2f} ms  "
          f"p99 {med(dev_result, 'p99'):7.2f} ms; make run / make dev = {dev_ratio:.1f} "
          f"{mark(ok)} (target >= {TARGETS['dev_ratio']:g})")
    ok = max(rss) <= TARGETS["rss_mb"]
    misses += not ok
    print(f"worker RSS after {full_requests:,} requests: {', '.join(f'{v:.0f}' for v in rss)} MB "
          f"{mark(ok)} (target <= {TARGETS['rss_mb']:g} MB each)")
    ok = max(installed_rss) <= TARGETS["rss_mb"]
    misses += not ok
    print(f"  the same, as a server install runs it (no test/client extras), after {served:,} requests: "
          f"{', '.join(f'{v:.0f}' for v in installed_rss)} MB {mark(ok)} (target <= {TARGETS['rss_mb']:g} MB each)")
    print(f"  and then, after {SYNC_POSTS} sync POSTs (each enqueues its batch's task), the {len(posted_rss)} "
          f"worker(s) that answered one: {', '.join(f'{v:.0f}' for v in posted_rss)} MB (shown beside the "
          f"target, not counted: the figure above is the one asked for)")
    print(f"\n{misses} target(s) missed. Server logs: {LOGS}")
    return 0


def main_compare(args, env, tenant, secret, tokens, route_ids) -> int:
    """/me and the hello ceiling at 64 connections under each candidate server."""
    kinds = views(tenant, secret, tokens, route_ids)
    full_paths, _, headers = kinds["/me"]
    workers = args.workers or default_workers()
    print(f"{workers} workers each, 64 connections, {args.seconds:g}s per figure, {args.repeat} repeat(s)\n")
    print(f"{'server':<18}{'full-stack /me':<56}{'hello ceiling':<44}RSS MB")
    for kind in args.servers.split(","):
        rows = {"full": [], "hello": []}
        rss = []
        for _ in range(args.repeat):
            for app in ("full", "hello"):
                server = start(kind, app, workers, env, "/healthz" if app == "full" else "/")
                try:
                    paths = full_paths if app == "full" else ["/"]
                    wrk(server.port, paths, headers, 64, WARM_SECONDS)
                    rows[app].append(wrk(server.port, paths, headers, 64, args.seconds))
                    if app == "full":
                        rss = server.worker_rss_mb()
                finally:
                    server.stop()
        full = " | ".join(str(r) for r in rows["full"])
        hello = " | ".join(f"{r.rate:6.0f} req/s p99 {r.p99:6.2f} ms" for r in rows["hello"])
        print(f"{kind:<18}{full:<56}{hello:<44}{max(rss):.0f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=4,
                        help="rounds per figure, taken in turn with the figures it is compared with")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: as make run)")
    parser.add_argument("--compare", action="store_true", help="compare the candidate servers instead")
    parser.add_argument("--servers", default="gunicorn-sync,gunicorn-gthread,granian,uvicorn")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: sudo apt-get install -y wrk", file=sys.stderr)
        return 2
    tenant, secret, tokens, route_ids, _ = wells_api.prepare()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.development", DJANGO_DEBUG="false",
               BENCH_SCHEMA=tenant.schema_name, BENCH_OPERATOR_EMAIL=wells_api.OPERATOR_EMAIL,
               BENCH_MANAGER_EMAIL=wells_api.MANAGER_EMAIL, PYTHONPATH=str(REPO))
    if args.compare:
        return main_compare(args, env, tenant, secret, tokens, route_ids)
    return main_run(args, env, tenant, secret, tokens, route_ids)


if __name__ == "__main__":
    sys.exit(main())
