"""gunicorn's configuration for ``make run`` and production: ``gunicorn -c config/gunicorn_conf.py
config.wsgi:application``. Every knob is an environment variable (README, "Running in
production"); gunicorn's own command-line flags still win over this file.

- WEB_CONCURRENCY: worker processes (default: 2 per CPU core + 1, at most 8, from the cores this
  process may use).
- GUNICORN_WORKER_CLASS (``sync``) and GUNICORN_THREADS (1; more turns ``sync`` into ``gthread``):
  see the README for the figures behind the choice. A sync worker serves one request at a time
  and closes each connection, so it belongs behind a load balancer or proxy that buffers slow
  clients (as in docs/deployment.md).
- GUNICORN_KEEPALIVE (5 s), GUNICORN_TIMEOUT (30 s, a worker silent for longer is restarted),
  GUNICORN_GRACEFUL_TIMEOUT (30 s for requests in flight on SIGTERM / SIGHUP), GUNICORN_BACKLOG.
- GUNICORN_MAX_REQUESTS (0: never) with a 10 % jitter: recycle workers after so many requests.
- GUNICORN_DEFER_ACCEPT (5 s; 0: off): a TCP connection is handed to a worker only once its first
  bytes (the request) arrived, or after this many seconds (Linux TCP_DEFER_ACCEPT; elsewhere
  nothing). A sync worker blocks reading the connection it accepted, so a client that connects
  and then waits (a load generator's think time, a pool opening connections ahead, a slow or
  hostile client) held a worker that long while requests queued behind it (README, "the tail").
- PROMETHEUS_MULTIPROC_DIR: the workers' shared metrics folder (config.metrics), emptied when the
  server starts (unless METRICS_DIR_KEEP=true: ``make run`` empties it itself, before starting
  the Celery worker that shares it); a dead worker's live gauges are dropped.

Graceful: SIGTERM / SIGINT stop accepting, finish the requests in flight (graceful timeout), exit;
SIGHUP re-reads the code and this file and replaces the workers one by one, without dropping
connections (nothing is loaded in the master: ``preload_app`` is off so that a reload loads new
code). Standard library only, and prometheus-client's multiprocess helper when
PROMETHEUS_MULTIPROC_DIR is set: imported as this file is read, never in ``child_exit``, which
gunicorn calls from its SIGCHLD handler (an import there, re-entered by the next worker's exit
during shutdown, failed half-done as a circular import).
"""

from __future__ import annotations

import os
import shutil
import socket


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def cores() -> int:
    """The CPU cores this process may run on (a container's or taskset's limit included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    return min(2 * cores() + 1, 8)


bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"]
workers = _int("WEB_CONCURRENCY", default_workers())
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "sync"
threads = _int("GUNICORN_THREADS", 1)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
backlog = _int("GUNICORN_BACKLOG", 2048)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = False
# The application logs its own line per request (JSON, config.middleware); gunicorn's access log
# would repeat it in another format. Its error log (start, stop, worker deaths) goes to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
# Heartbeat files in memory, not on a disk that may stall (the arbiter checks them every second).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "pumpjack-web"


defer_accept_seconds = _int("GUNICORN_DEFER_ACCEPT", 5)


def when_ready(server) -> None:
    """The listening TCP sockets (before any worker starts) wake accept() only once a connection
    has data (GUNICORN_DEFER_ACCEPT above)."""
    _defer_accept(server)


def on_reload(server) -> None:
    """SIGHUP: the same for the listeners of a bind address the reload changed."""
    _defer_accept(server)


def _defer_accept(server) -> None:
    option = getattr(socket, "TCP_DEFER_ACCEPT", None)
    if option is None or defer_accept_seconds <= 0:
        return
    for listener in server.LISTENERS:
        sock = listener.sock
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, option, defer_accept_seconds)


def on_starting(server) -> None:
    """Empty the metrics folder: the files of a previous run's processes would be summed in."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and os.environ.get("METRICS_DIR_KEEP", "").lower() not in ("1", "true", "yes"):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    from prometheus_client.multiprocess import mark_process_dead as _mark_process_dead
else:
    _mark_process_dead = None


def child_exit(server, worker) -> None:
    """A worker exited: forget its live gauges (its counters stay summed), as config.metrics does."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and _mark_process_dead is not None:
        _mark_process_dead(worker.pid, folder)
