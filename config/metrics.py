"""Prometheus metrics (API.md section 12).

Request and task metrics are counted where they happen, in every process. When several
processes serve (gunicorn's workers, Celery's pool) PROMETHEUS_MULTIPROC_DIR names a folder they
share: prometheus-client then keeps each process's values in a memory-mapped file of its own
there, and /metrics sums the files (multiprocess mode; ``config.gunicorn_conf`` empties the folder
when the server starts and drops a dead worker's live gauges). Without it (tests, runserver) the
values live in this process.

Sync figures are not counted as events go by: ``sync.metrics.SyncCollector``, registered with
``scrape_collector``, reads them from the database at scrape time (events by type and outcome, batches by status, the oldest pending batch, conflicts
waiting for review), across every schema tenant in one statement per 200 schemas and every
DATABASE tenant on its own server, whose reachability is ``pumpjack_tenant_database_up``. The
answer is kept for METRICS_DATABASE_CACHE_SECONDS so that a scrape every few seconds costs
little. Labels never hold a raw path, a tenant on request metrics, a secret, an email or a
payload: routes are URL pattern templates.
"""

from __future__ import annotations

import logging
import os

_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if _MULTIPROC_DIR:  # prometheus-client refuses a folder that does not exist
    os.makedirs(_MULTIPROC_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

log = logging.getLogger(__name__)

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "pumpjack_http_requests", "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "pumpjack_http_request_duration_seconds", "Time to answer a request, by route template.",
    ["route"], buckets=DURATION_BUCKETS,
)
CELERY_TASKS = Counter(
    "pumpjack_celery_tasks", "Celery tasks that finished, by task name and final state.", ["task", "state"],
)

_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    # Any other method (PROPFIND, lower-case...) is one label value: clients choose methods.
    HTTP_REQUESTS.labels(method if method in _METHODS else "OTHER", route, str(status)).inc()
    HTTP_DURATION.labels(route).observe(seconds)


def observe_task(name: str, state: str) -> None:
    CELERY_TASKS.labels(name, state).inc()


# --------------------------------------------------------------------------- sync, from the database

# Collectors read at scrape time, registered by the layers that know what to read (a module here
# sits below every app): the sync figures are sync.metrics'.
SCRAPE_COLLECTORS: list = []


def scrape_collector(collector):
    """Add ``collector`` (a prometheus-client collector) to what /metrics reads at scrape time."""
    SCRAPE_COLLECTORS.append(collector)
    return collector


def exposition() -> tuple[bytes, str]:
    """The metrics text of every process (multiprocess mode) or of this one, plus what the scrape
    collectors read (the sync figures)."""
    registry = CollectorRegistry()
    if _MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry)
    scraped = CollectorRegistry(auto_describe=False)
    for collector in SCRAPE_COLLECTORS:
        scraped.register(collector)
    return body + generate_latest(scraped), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """A gunicorn worker exited: forget its live gauges (its counters stay summed)."""
    if _MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, _MULTIPROC_DIR)
