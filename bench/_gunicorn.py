"""One gunicorn sync worker serving config.wsgi (or another WSGI app) for a benchmark, in its own
process group: started, waited for, measured (the worker's RSS) and stopped. Standard library
only, so a bench can use it before (or without) configuring Django."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def process_rss_mb(pid: int) -> float | None:
    """A process's resident set (VmRSS) in MB; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornWorker:
    def __init__(self, env: dict[str, str], *, log: Path, production_like: bool = False):
        """``env``: the worker's environment (settings module etc.). ``production_like``: start it
        through bench/_production_like.py (the packages of the test/client extras hidden)."""
        self.port = free_port()
        self.log = log
        launcher = ["bench/_production_like.py"] if production_like else ["-m", "gunicorn"]
        with log.open("w") as stderr:  # a file, not a pipe: a full pipe would stall the worker
            self.process = subprocess.Popen(
                [sys.executable, *launcher, "config.wsgi:application", "--workers", "1", "--worker-class", "sync",
                 "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "120"],
                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn ({env.get('DJANGO_SETTINGS_MODULE')}) did not start: "
                           f"{log.read_text()[-2000:]}")

    def rss_mb(self) -> float | None:
        """Resident memory of the worker process (the arbiter's only child)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return process_rss_mb(int(children[0]))

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
