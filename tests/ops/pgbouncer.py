"""A PgBouncer (Debian's ``pgbouncer``) in transaction pooling mode in front of the test run's
PostgreSQL, for tests. PgBouncer refuses to run as root: under root it runs as the owner of the
PostgreSQL socket folder (the embedded server's user), who can reach that socket."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.servers import under_ci

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def require_pgbouncer() -> str:
    if os.path.exists(BINARY):
        return BINARY
    reason = "pgbouncer is not installed (apt-get install -y pgbouncer; .ci/run installs it)"
    if under_ci():
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgBouncer:
    def __init__(self, *, host: str, port: str | int | None, user: str, pool_size: int = 1):
        require_pgbouncer()
        self.port = _free_port()
        # A folder of its own under /tmp: pytest's are root's alone, and PgBouncer may not run as root.
        folder = self.folder = Path(tempfile.mkdtemp(prefix="pumpjack-pgbouncer-"))
        target = f"host={host}" + (f" port={port}" if port else "")
        ini = folder / "pgbouncer.ini"
        ini.write_text(f"""[databases]
* = {target} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
max_db_connections = {pool_size}
server_reset_query =
ignore_startup_parameters = extra_float_digits,options,search_path
logfile = {folder / 'pgbouncer.log'}
pidfile = {folder / 'pgbouncer.pid'}
""")
        argv = [BINARY, str(ini)]
        if os.geteuid() == 0:
            owner = os.stat(host).st_uid if host.startswith("/") else 65534
            os.chown(folder, owner, -1)
            for path in folder.iterdir():
                os.chown(path, owner, -1)
            argv = ["setpriv", f"--reuid={owner}", f"--regid={os.stat(host).st_gid if host.startswith('/') else 65534}",
                    "--clear-groups", *argv]
        self.log = folder / "pgbouncer.log"
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(folder / "stderr.log", "w"),
                                        start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {(folder / 'stderr.log').read_text()} "
                                   f"{self.log.read_text() if self.log.exists() else ''}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("pgbouncer did not listen")

    def url(self, database: str, user: str) -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
