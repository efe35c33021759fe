"""End-to-end harness: a real web server and real Celery workers (separate processes) against
this test run's database and Redis, and a tenant whose data is committed so they can see it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
import pytest
import requests
from django.conf import settings
from django_tenants.utils import schema_context

from tests.factories import PASSWORD, TenantHandle, make_tenant

REPO = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen

    def api(self, handle: TenantHandle, token: str | None = None) -> dict[str, str]:
        headers = {"X-Tenant-ID": handle.public_id, "X-Tenant-Secret": handle.secret}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def login(self, handle: TenantHandle, email: str, password: str = PASSWORD) -> str:
        response = requests.post(f"{self.url}/api/v1/auth/login", json={"email": email, "password": password},
                                 headers=self.api(handle), timeout=30)
        response.raise_for_status()
        return response.json()["access"]


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds}s")


def _stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@pytest.fixture(scope="session")
def live_web(live_env, tmp_path_factory) -> LiveServer:
    port = free_port()
    log = open(tmp_path_factory.mktemp("web") / "web.log", "w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=REPO, env=live_env.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    _wait_for(f"http://127.0.0.1:{port}/healthz", process)
    yield LiveServer(url=f"http://127.0.0.1:{port}", process=process)
    _stop(process)


@dataclass
class Workers:
    env: dict
    log_dir: Path
    running: list[subprocess.Popen] = field(default_factory=list)

    def start(self, concurrency: int = 1, env: dict | None = None) -> subprocess.Popen:
        name = f"e2e{len(self.running)}-{os.getpid()}@%h"
        log = open(self.log_dir / f"worker{len(self.running)}.log", "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "-P", "prefork",
             "--concurrency", str(concurrency), "-n", name, "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=REPO, env=self.env | (env or {}), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9 the worker and its pool processes, as a crash would."""
        _stop(process, sig=signal.SIGKILL, timeout=10)

    def stop_all(self) -> None:
        for process in self.running:
            _stop(process)


@pytest.fixture
def workers(live_env, tmp_path) -> Workers:
    pool = Workers(env=live_env.env, log_dir=tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def e2e_tenant(django_db_setup, django_db_blocker) -> TenantHandle:
    """A tenant with committed users, so that the server and worker processes see them."""
    with django_db_blocker.unblock():
        return make_tenant(name="Endtoend Energy", slug="endtoend")


def committed(django_db_blocker, handle: TenantHandle):
    """Write committed data in a tenant's schema from the test process."""

    class _Context:
        def __enter__(self):
            self._blocker = django_db_blocker.unblock()
            self._blocker.__enter__()
            self._schema = schema_context(handle.tenant.schema_name)
            self._schema.__enter__()

        def __exit__(self, *exc):
            self._schema.__exit__(*exc)
            self._blocker.__exit__(*exc)

    return _Context()


def wait_until(predicate, *, seconds: float = 60, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds}s waiting for {message}")


@dataclass
class HeldWell:
    """A well's row locked FOR UPDATE by a transaction of the test's own (``well_held``), and an
    autocommit connection to watch the server from (a transaction sees pg_stat_activity as it was
    when it first read it)."""

    holder: psycopg.Connection
    watcher: psycopg.Connection

    def release(self) -> None:
        """Give the lock up (roll the holding transaction back)."""
        self.holder.rollback()

    def waiters(self) -> list[int]:
        """The server processes waiting for this lock: a worker's chunk, inside its transaction."""
        rows = self.watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            [self.holder.info.backend_pid]).fetchall()
        return [pid for (pid,) in rows]

    def busy_sessions(self) -> int:
        """Client sessions of the database, besides the watcher, running a statement or holding a
        transaction open: a killed worker's last ones, until the server has noticed it is gone."""
        return self.watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' AND state IN ('active', 'idle in transaction')").fetchone()[0]

def _connect(**options) -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"], port=db.get("PORT") or None, user=db["USER"],
                           password=db.get("PASSWORD") or None, dbname=db["NAME"], **options)


@contextmanager
def well_held(handle: TenantHandle, well):
    """Hold the row lock a chunk takes on each of its wells (SELECT ... FOR UPDATE) on a
    connection of its own until ``release()`` or the end of the block: a worker reaching that
    well's events waits there, in the middle of its chunk's transaction, however fast it applied
    the rest."""
    with _connect() as holder, _connect(autocommit=True) as watcher:
        holder.execute(sql.SQL("SELECT 1 FROM {}.{} WHERE id = %s FOR UPDATE").format(
            sql.Identifier(handle.tenant.schema_name), sql.Identifier(type(well)._meta.db_table)), [well.pk])
        try:
            yield HeldWell(holder=holder, watcher=watcher)
        finally:
            holder.rollback()
