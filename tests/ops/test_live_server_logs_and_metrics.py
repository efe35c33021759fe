"""The production server as `make run` starts it (gunicorn with config/gunicorn_conf.py, two
workers) and a real Celery worker, sharing one metrics folder: one JSON line per request on
stderr, the request id carried into the task the request enqueued, metrics summed over the
processes, /readyz when the database is gone, and no secret, token or password in any log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from config import run
from tests.e2e.conftest import _stop, _wait_for, free_port, wait_until
from tests.e2e.test_sync_worker import batch_status, make_well, production_events
from tests.factories import PASSWORD

pytestmark = pytest.mark.live
TOKEN = "ops-metrics-token-0123456789abcdef"
REQUEST_ID = "trace-ops-4711"


class Gunicorn:
    def __init__(self, env: dict, log: Path, workers: int = 2):
        self.port = free_port()
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(run.GUNICORN_CONF), "config.wsgi:application",
                 "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)],
                cwd=run.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        _wait_for(f"{self.url}/healthz", self.process)

    def stop(self) -> None:
        _stop(self.process)


def json_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


@pytest.fixture
def ops_env(live_env, tmp_path) -> dict:
    return {**live_env.env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "METRICS_TOKEN": TOKEN,
            "LOG_REQUESTS": "true", "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}


def test_request_lines_task_request_ids_summed_metrics_and_no_secret_in_the_logs(
    ops_env, ops_tenant, django_db_blocker, tmp_path
):
    web = Gunicorn(ops_env, tmp_path / "web.log")
    worker_log = tmp_path / "worker.log"
    with worker_log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "-P", "prefork",
             "--concurrency", "2", "-n", f"ops-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=run.BASE_DIR, env=ops_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        headers = {"X-Tenant-ID": ops_tenant.public_id, "X-Tenant-Secret": ops_tenant.secret}
        login = requests.post(f"{web.url}/api/v1/auth/login", headers=headers, timeout=30,
                              json={"email": ops_tenant.users["OPERATOR"], "password": PASSWORD})
        assert login.status_code == 200, login.text
        tokens = login.json()
        bad = requests.post(f"{web.url}/api/v1/auth/login", headers=headers, timeout=30,
                            json={"email": ops_tenant.users["OPERATOR"], "password": PASSWORD + "-wrong"})
        assert bad.status_code == 401
        auth = {**headers, "Authorization": f"Bearer {tokens['access']}"}
        me_count = 12
        for _ in range(me_count):
            assert requests.get(f"{web.url}/api/v1/me", headers=auth, timeout=30).status_code == 200
        refreshed = requests.post(f"{web.url}/api/v1/auth/refresh", headers=headers, timeout=30,
                                  json={"refresh": tokens["refresh"]})
        well = make_well(django_db_blocker, ops_tenant, "Logged Well 1")
        pushed = requests.post(f"{web.url}/api/v1/sync/batches", timeout=60,
                               headers={**auth, "X-Request-ID": REQUEST_ID},
                               json={"device": {"deviceId": "ops-tablet", "platform": "cli"},
                                     "events": production_events(well, 3)})
        assert pushed.status_code == 202 and pushed.headers["X-Request-ID"] == REQUEST_ID
        batch_id = pushed.json()["batchId"]
        wait_until(lambda: batch_status(django_db_blocker, ops_tenant, batch_id) == "COMPLETED", seconds=120,
                   message="the worker to process the batch")
        invalid_id = requests.get(f"{web.url}/api/v1/me", headers={**auth, "X-Request-ID": "bad id\twith space"},
                                  timeout=30)
        assert invalid_id.status_code == 200 and invalid_id.headers["X-Request-ID"] != "bad id\twith space"
        assert len(invalid_id.headers["X-Request-ID"]) == 32

        # Metrics: the token, the requests of both web workers summed, the worker's task counted.
        assert requests.get(f"{web.url}/metrics", timeout=30).status_code == 401
        text = wait_until(lambda: _metrics_with_task(web.url), seconds=30, message="the task in /metrics")
        me_line = next(line for line in text.splitlines()
                       if line.startswith('pumpjack_http_requests_total{') and 'route="/api/v1/me"' in line
                       and 'status="200"' in line)
        assert float(me_line.rsplit(" ", 1)[1]) == me_count + 1
        assert len({p.name.rsplit("_", 1)[-1] for p in (tmp_path / "metrics").glob("counter_*.db")}) >= 2
    finally:
        web.stop()
        _stop(worker)

    web_lines = json_lines(web.log)
    request_lines = [line for line in web_lines if line.get("logger") == "pumpjack.request"]
    me_lines = [line for line in request_lines if line.get("route") == "/api/v1/me"]
    assert len(me_lines) == me_count + 1
    for line in me_lines:
        assert {"time", "level", "message", "requestId", "tenantId", "userId", "route", "status",
                "durationMs"} <= set(line)
        assert line["tenantId"] == ops_tenant.public_id and line["status"] == 200 and line["userId"]
        assert isinstance(line["durationMs"], (int, float)) and line["durationMs"] >= 0
    push_line = next(line for line in request_lines if line.get("route") == "/api/v1/sync/batches")
    assert push_line["requestId"] == REQUEST_ID and push_line["status"] == 202

    worker_lines = json_lines(worker_log)
    task_lines = [line for line in worker_lines if line.get("requestId") == REQUEST_ID]
    assert any("succeeded" in line["message"] and "process_batch" in line["message"] for line in task_lines), (
        worker_log.read_text()[-3000:])

    everything = web.log.read_text() + worker_log.read_text()
    secrets = {"tenant secret": ops_tenant.secret, "password": PASSWORD, "access token": tokens["access"],
               "refresh token": tokens["refresh"], "metrics token": TOKEN}
    if refreshed.status_code == 200:
        secrets["rotated refresh token"] = refreshed.json()["refresh"]
    for what, value in secrets.items():
        assert value not in everything, f"the {what} appears in a log"
    # The access token's signature alone (a log that cut the token would still leak it).
    assert tokens["access"].rsplit(".", 1)[1] not in everything


def _metrics_with_task(url: str) -> str | None:
    text = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).text
    found = any(line.startswith("pumpjack_celery_tasks_total{") and 'task="sync.tasks.process_batch"' in line
                and 'state="SUCCESS"' in line and float(line.rsplit(" ", 1)[1]) >= 1 for line in text.splitlines())
    return text if found else None


def test_readyz_names_the_database_when_it_is_gone_and_healthz_stays_up(ops_env, tmp_path):
    env = {**ops_env, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing"}
    web = Gunicorn(env, tmp_path / "web.log", workers=1)
    try:
        assert requests.get(f"{web.url}/healthz", timeout=30).json() == {"status": "ok"}
        started = time.monotonic()
        ready = requests.get(f"{web.url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "checks": {"database": "unavailable", "redis": "ok"}}
        assert time.monotonic() - started < 10
    finally:
        web.stop()
