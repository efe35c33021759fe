"""``make run``: everything Pumpjack needs, in the foreground, until Ctrl-C.

1. Without DATABASE_URL / REDIS_URL, start (or find) the embedded PostgreSQL and Redis.
2. ``manage.py migrate_schemas --noinput`` (public schema, tenant template, every tenant that
   has something to apply), then ``manage.py seed_demo --json`` (idempotent).
3. Start the web server, a Celery worker and Celery beat, each in its own process group with
   its output prefixed, and print where to go and how to log in. The web server is gunicorn
   (WEB_CONCURRENCY worker processes, static files collected first and served by WhiteNoise),
   with DEBUG off; with DJANGO_DEBUG=true (``make dev``) it is Django's development server
   (reloads on code changes, debug pages).
4. On Ctrl-C / SIGTERM (or when a child dies unexpectedly) stop the children, then the embedded
   servers, but only those this process started.

``python -m config.run --stop-embedded`` only stops the embedded servers (``make clean-data``).

Standard library only, plus ``config.embedded``: Django is never imported here; the children
configure themselves from the same environment (and find the same embedded servers).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONF = BASE_DIR / "config" / "gunicorn_conf.py"
STOP_TIMEOUT_SECONDS = 15
READY_TIMEOUT_SECONDS = 60
POLL_SECONDS = 0.2


class RunError(Exception):
    """Start-up failed; the message says why."""


class Supervisor:
    """Children in their own process groups, their output prefixed, stopped as one."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}
        self.stop_signal: int | None = None
        self._print_lock = threading.Lock()
        self._pumps: list[threading.Thread] = []

    # ------------------------------------------------------------------ output
    def say(self, text: str = "", prefix: str = "run") -> None:
        with self._print_lock:
            for line in text.splitlines() or [""]:
                sys.stdout.write(f"{prefix:<7}| {line}\n")
            sys.stdout.flush()

    def banner(self, text: str) -> None:
        with self._print_lock:
            sys.stdout.write(text)
            sys.stdout.flush()

    def _pump(self, name: str, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.say(raw.decode(errors="replace").rstrip("\n"), prefix=name)
        stream.close()

    # ------------------------------------------------------------------ signals
    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum
        else:  # a second Ctrl-C: do not wait for graceful shutdown
            self._kill_all(signal.SIGKILL)

    @property
    def stopping(self) -> bool:
        return self.stop_signal is not None

    # ------------------------------------------------------------------ processes
    def _popen(self, argv: list[str], *, merge_stderr: bool = True) -> subprocess.Popen:
        # Own process group: the terminal's Ctrl-C reaches this process only, which then stops
        # every child in order (and a whole group at once: runserver's reloader, Celery's pool).
        return subprocess.Popen(
            argv, cwd=BASE_DIR, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE, process_group=0,
        )

    def start(self, name: str, argv: list[str]) -> None:
        self.say(f"starting {name}: {shlex.join(argv)}")
        process = self._popen(argv)
        self.children[name] = process
        pump = threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True)
        pump.start()
        self._pumps.append(pump)

    def run_step(self, name: str, argv: list[str], *, capture: bool = False) -> str:
        """Run one set-up command to completion (output prefixed, or stdout captured)."""
        self.say(f"{name}: {shlex.join(argv)}")
        process = self._popen(argv, merge_stderr=not capture)
        self.children[name] = process
        captured: list[bytes] = []
        if capture:  # stdout is the JSON answer; stderr (warnings, logging) is shown
            pump = threading.Thread(target=self._pump, args=(name, process.stderr), daemon=True)
            reader = threading.Thread(target=lambda: captured.append(process.stdout.read()), daemon=True)
            reader.start()
        else:
            pump = threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True)
            reader = None
        pump.start()
        while process.poll() is None:
            if self.stopping:
                self.stop_all()
                raise RunError(f"interrupted during {name}")
            time.sleep(POLL_SECONDS)
        pump.join(timeout=5)
        if reader is not None:
            reader.join(timeout=5)
        del self.children[name]
        if process.returncode != 0:
            raise RunError(f"{name} failed with exit code {process.returncode}")
        return b"".join(captured).decode(errors="replace")

    def first_dead_child(self) -> tuple[str, int] | None:
        for name, process in self.children.items():
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def _group_alive(self, pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _kill_all(self, signum: int) -> None:
        for process in self.children.values():
            try:
                os.killpg(process.pid, signum)
            except ProcessLookupError:
                pass

    def stop_all(self) -> None:
        """SIGTERM every child's process group, then SIGKILL what is left after the timeout."""
        if not self.children:
            return
        self._kill_all(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            for process in self.children.values():
                process.poll()  # reap the group leaders so that their groups can empty
            if not any(self._group_alive(p.pid) for p in self.children.values()):
                break
            time.sleep(POLL_SECONDS)
        else:
            left = [name for name, p in self.children.items() if self._group_alive(p.pid)]
            self.say(f"still running after {STOP_TIMEOUT_SECONDS}s, killing: {', '.join(left)}")
            self._kill_all(signal.SIGKILL)
        for process in self.children.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for pump in self._pumps:
            pump.join(timeout=2)
        self.children.clear()

    def wait_until_listening(self, port: int) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self.stopping and self.first_dead_child() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                time.sleep(POLL_SECONDS)
        return False


# --------------------------------------------------------------------------- set-up


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As runserver does: a socket in TIME_WAIT from the last run must not count as "in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def child_environment(port: int, base_domain: str) -> dict[str, str]:
    """The children's environment: ours (DATABASE_URL / REDIS_URL pass through unchanged)."""
    env = dict(os.environ)
    env["PORT"] = str(port)
    env["BASE_DOMAIN"] = base_domain
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
    # Development settings turn DEBUG on for commands; the server make run starts has it off
    # (a 404 would list every URL pattern, a 500 show the traceback and the settings).
    env.setdefault("DJANGO_DEBUG", "false")
    env["PYTHONUNBUFFERED"] = "1"  # output reaches the prefixer line by line
    # The metrics of the web workers and the Celery pool, summed by /metrics (config.metrics).
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(embedded.data_dir() / "metrics"))
    env["METRICS_DIR_KEEP"] = "true"  # emptied here, once, before both start (metrics_dir_reset)
    # Development settings allow localhost only; let a custom base domain and its sub-domains in.
    if base_domain != "localhost":
        env.setdefault(
            "ALLOWED_HOSTS", f"localhost,.localhost,127.0.0.1,[::1],{base_domain},.{base_domain}"
        )
        env.setdefault("CSRF_TRUSTED_ORIGINS", f"http://{base_domain}:{port},http://*.{base_domain}:{port}")
    return env


def debug_on(env: dict[str, str]) -> bool:
    """DJANGO_DEBUG as django-environ reads it."""
    return env.get("DJANGO_DEBUG", "").strip().lower() in ("true", "on", "ok", "y", "yes", "1")


def web_command(python: str, port: int, env: dict[str, str]) -> list[str]:
    """Django's development server when debugging, else gunicorn as in production
    (config/gunicorn_conf.py: workers from the cores or WEB_CONCURRENCY, the worker class...)."""
    if debug_on(env):
        return [python, str(BASE_DIR / "manage.py"), "runserver", f"0.0.0.0:{port}"]
    return [python, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "config.wsgi:application",
            "--bind", f"0.0.0.0:{port}"]


def metrics_dir_reset(env: dict[str, str]) -> None:
    """Empty the shared metrics folder: a previous run's files would be summed in."""
    import shutil

    folder = env.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def parse_seed(output: str) -> dict:
    """seed_demo --json prints one JSON object; tolerate anything else printed before it."""
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RunError(f"seed_demo printed no JSON:\n{output}")


def _credentials_file() -> str:
    """Where seed_demo keeps the demo credentials (see its _credentials_path), as shown to a human."""
    override = os.environ.get("PUMPJACK_DEMO_CREDENTIALS")
    path = Path(override).resolve() if override else embedded.data_dir() / "demo-credentials.json"
    return str(path.relative_to(BASE_DIR)) if path.is_relative_to(BASE_DIR) else str(path)


def banner_text(seed: dict, port: int, base_domain: str) -> str:
    tenant = seed["tenants"][0]
    staff = seed["staff"]
    users = {user["role"]: user for user in tenant["users"]}
    api = f"http://localhost:{port}"
    login_user = users.get("OPERATOR") or tenant["users"][0]
    body = json.dumps({"email": login_user["email"], "password": login_user["password"]})
    width = 78
    lines = [
        "",
        "=" * width,
        " Pumpjack is running",
        "=" * width,
        f" Portal (demo tenant) {tenant['portalUrl']}/",
        "   *.localhost resolves to 127.0.0.1 in browsers; log in with one of:"
        if base_domain == "localhost" else "   log in with one of:",
    ]
    lines += [f"   {role:<9}{users[role]['email']:<30} {users[role]['password']}"
              for role in ("ADMIN", "MANAGER", "OPERATOR") if role in users]
    lines += [
        f" Staff admin          {staff['adminUrl']}",
        f"   {'STAFF':<9}{staff['email']:<30} {staff['password']}",
        f" Demo tenant ID       {tenant['tenantId']}",
        f" Tenant secret        {tenant['secret']}",
        "",
        f" Try the API ({login_user['role']} login, then /api/v1/me):",
        "",
        f"   TENANT={tenant['tenantId']}",
        f"   SECRET={tenant['secret']}",
        f"   ACCESS=$(curl -s {api}/api/v1/auth/login \\",
        '     -H "X-Tenant-ID: $TENANT" -H "X-Tenant-Secret: $SECRET" \\',
        f"     -H 'Content-Type: application/json' -d {shlex.quote(body)} \\",
        "     | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access\"])')",
        f"   curl -s {api}/api/v1/me \\",
        '     -H "X-Tenant-ID: $TENANT" -H "X-Tenant-Secret: $SECRET" -H "Authorization: Bearer $ACCESS"',
        "",
        " (The X-Tenant-ID header works on any host; or use the sub-domain with curl's",
        f"  --resolve {tenant['portalUrl'].split('//', 1)[1]}:127.0.0.1.)",
        f" Credentials are kept in {_credentials_file()}. Ctrl-C stops everything.",
        "=" * width,
        "",
    ]
    return "\n".join(lines)


def start_embedded(sup: Supervisor) -> list[str]:
    """Start (or find) the embedded servers that the environment does not replace."""
    started: list[str] = []
    if not os.environ.get("DATABASE_URL"):
        info = embedded.ensure_postgres()
        how = "started" if info.started_here else "already running"
        sup.say(f"embedded PostgreSQL {how} (pid {info.pid}, data in {embedded.data_dir() / 'pg'})")
        if info.started_here:
            started.append("postgres")
    else:
        sup.say("PostgreSQL: external (DATABASE_URL)")
    if not os.environ.get("REDIS_URL"):
        info = embedded.ensure_redis()
        how = "started" if info.started_here else "already running"
        sup.say(f"embedded Redis {how} ({info.url})")
        if info.started_here:
            started.append("redis")
    else:
        sup.say("Redis: external (REDIS_URL)")
    return started


def stop_embedded(sup: Supervisor, which: list[str]) -> None:
    if "redis" in which:
        sup.say("stopping embedded Redis")
        embedded.stop_redis()
    if "postgres" in which:
        sup.say("stopping embedded PostgreSQL")
        embedded.stop_postgres()


def run(port: int, base_domain: str) -> int:
    sup = Supervisor(child_environment(port, base_domain))
    sup.install_signal_handlers()
    if not _port_is_free(port):
        sup.say(f"port {port} is already in use; set PORT=... to use another one")
        return 1

    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    schedule = embedded.data_dir() / "celerybeat-schedule"
    started: list[str] = []
    code = 0
    try:
        started = start_embedded(sup)
        sup.run_step("migrate", [*manage, "migrate_schemas", "--noinput"])
        seed = parse_seed(sup.run_step("seed", [*manage, "seed_demo", "--json"], capture=True))
        if not debug_on(sup.env):  # WhiteNoise serves STATIC_ROOT (with DEBUG on, the apps' folders)
            sup.run_step("static", [*manage, "collectstatic", "--noinput", "--verbosity", "0"])

        schedule.parent.mkdir(parents=True, exist_ok=True)
        metrics_dir_reset(sup.env)
        sup.start("web", web_command(python, port, sup.env))
        sup.start("worker", [python, "-m", "celery", "-A", "config", "worker",
                             "--loglevel", "INFO", "--concurrency", "2"])
        sup.start("beat", [python, "-m", "celery", "-A", "config", "beat",
                           "--loglevel", "INFO", "--schedule", str(schedule)])
        if sup.wait_until_listening(port):
            sup.banner(banner_text(seed, port, base_domain))
        elif not sup.stopping and sup.first_dead_child() is None:
            sup.say(f"the web server is not answering on port {port} yet")
            sup.banner(banner_text(seed, port, base_domain))

        while not sup.stopping:
            dead = sup.first_dead_child()
            if dead is not None:
                name, exit_code = dead
                how = (f"was killed by {signal.Signals(-exit_code).name}" if exit_code < 0
                       else f"exited with code {exit_code}")
                sup.say(f"{name} {how} unexpectedly; stopping everything")
                code = 1
                break
            time.sleep(POLL_SECONDS)
        if sup.stopping:
            sup.say(f"{signal.Signals(sup.stop_signal).name} received; stopping")
    except RunError as exc:
        sup.say(str(exc))
        code = 0 if sup.stopping else 1
    except Exception as exc:  # noqa: BLE001  (report it, and still clean up below)
        sup.say(f"start-up failed: {exc!r}")
        code = 1
    finally:
        sup.stop_all()
        stop_embedded(sup, started)
        sup.say("stopped")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stop-embedded", action="store_true",
                        help="Stop the embedded PostgreSQL and Redis (whoever started them) and exit.")
    args = parser.parse_args(argv)
    if args.stop_embedded:
        Supervisor({}).say(f"stopping the embedded servers of {embedded.data_dir()} (those running)")
        embedded.stop_redis()
        embedded.stop_postgres()
        return 0
    try:
        port = int(os.environ.get("PORT") or 8000)
    except ValueError:
        print(f"PORT must be a number, not {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    base_domain = (os.environ.get("BASE_DOMAIN") or "localhost").lower()
    return run(port, base_domain)


if __name__ == "__main__":
    sys.exit(main())
