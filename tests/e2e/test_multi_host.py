"""Two "hosts" on one machine (issue 12 point 6, docs/deployment.md): two web servers (gunicorn as
in production, own ports, own process groups) and two Celery workers share one PostgreSQL through
PgBouncer (transaction pooling) and one Redis. Eight simulated devices push batches spread over
both web servers while web server 1 and worker 1 are SIGKILLed and restarted mid-run. A device
whose request fails sends the same batch again (same event ids) to the other server, as the field
client does. Every accepted event must be applied exactly once, and the surviving server must
answer no request with a 5xx."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from config import run
from sync.models import SyncBatch, SyncEvent
from tests.e2e.conftest import _stop, _wait_for, committed, free_port, wait_until
from tests.e2e.test_sync_worker import make_well, production_events
from tests.factories import PASSWORD
from tests.ops.pgbouncer import PgBouncer
from wells.models import ProductionRecord

pytestmark = pytest.mark.live
DEVICES = 8
BATCHES = 12
EVENTS = 20


class Group:
    """One process group (a web server or a worker) that can be killed and started again."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path, port: int | None = None):
        self.name, self.argv, self.env, self.log_dir, self.port = name, argv, env, log_dir, port
        self.starts = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"{self.name}-{self.starts}.log", "w")
        self.process = subprocess.Popen(self.argv, cwd=run.BASE_DIR, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        if self.port is not None:
            _wait_for(f"http://127.0.0.1:{self.port}/healthz", self.process)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)


def test_two_web_servers_and_two_workers_survive_a_kill_of_one_of_each(
    live_env, e2e_tenant, django_db_blocker, tmp_path, settings
):
    db = settings.DATABASES["default"]
    bouncer = PgBouncer(host=db["HOST"], port=db.get("PORT"), user=db["USER"], pool_size=6)
    env = {**live_env.env, "DATABASE_URL": bouncer.url(db["NAME"], db["USER"]), "DATABASE_POOLER": "pgbouncer",
           "WEB_CONCURRENCY": "2", "GUNICORN_GRACEFUL_TIMEOUT": "5"}
    groups = []
    webs = []
    for n in (1, 2):
        port = free_port()
        web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics-web{n}")}
        webs.append(Group(f"web{n}", [sys.executable, "-m", "gunicorn", "-c", str(run.GUNICORN_CONF),
                                      "config.wsgi:application", "--bind", f"127.0.0.1:{port}"],
                          web_env, tmp_path, port=port))
    workers = [Group(f"worker{n}", [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                                    "-P", "prefork", "--concurrency", "1", "-n", f"host{n}-{os.getpid()}@%h",
                                    "--without-gossip", "--without-mingle", "--without-heartbeat"],
                     env, tmp_path) for n in (1, 2)]
    groups = webs + workers
    try:
        for group in groups:
            group.start()
        wells = [make_well(django_db_blocker, e2e_tenant, f"Multi Host {n}") for n in range(DEVICES)]
        headers = {"X-Tenant-ID": e2e_tenant.public_id, "X-Tenant-Secret": e2e_tenant.secret}
        login = requests.post(f"http://127.0.0.1:{webs[1].port}/api/v1/auth/login", headers=headers, timeout=30,
                              json={"email": e2e_tenant.users["OPERATOR"], "password": PASSWORD})
        assert login.status_code == 200, login.text
        auth = {**headers, "Authorization": f"Bearer {login.json()['access']}"}

        accepted: dict[str, str] = {}  # event id -> well id
        batch_ids: set[str] = set()
        survivor_errors: list[str] = []
        refused_by_killed: list[int] = []  # attempts web 1 could not answer (it was down)
        served_by_restarted: list[int] = []  # batches web 1 accepted after its restart
        lock = threading.Lock()
        halfway = threading.Event()

        def device(index: int) -> None:
            well = wells[index]
            for b in range(BATCHES):
                start = date(2001, 1, 1) + timedelta(days=b * EVENTS)
                events = production_events(well, EVENTS, start=start)
                body = {"device": {"deviceId": f"multi-host-{index}", "platform": "cli"}, "events": events}
                for attempt in range(20):
                    web = webs[(index + b + attempt) % 2]
                    try:
                        response = requests.post(f"http://127.0.0.1:{web.port}/api/v1/sync/batches", json=body,
                                                 headers=auth, timeout=30)
                    except requests.RequestException:
                        if web is webs[0]:
                            refused_by_killed.append(1)
                        time.sleep(0.3)
                        continue
                    if web is webs[1] and response.status_code >= 500:
                        with lock:
                            survivor_errors.append(f"{response.status_code} {response.text[:200]}")
                    if response.status_code == 202:
                        if web is webs[0] and web.starts == 2:
                            served_by_restarted.append(1)
                        answer = response.json()
                        with lock:
                            batch_ids.add(answer["batchId"])
                            # Duplicates: accepted by an earlier attempt whose answer was lost.
                            for event_id in [*answer["accepted"], *answer["duplicates"]]:
                                accepted[event_id] = str(well.pk)
                        break
                    time.sleep(0.3)
                else:
                    raise AssertionError(f"device {index} could not push batch {b}")
                if b == 2:
                    halfway.set()  # the kill comes early: the restarted server must get work too
                time.sleep(0.3)

        threads = [threading.Thread(target=device, args=(i,)) for i in range(DEVICES)]
        for thread in threads:
            thread.start()
        assert halfway.wait(120)
        webs[0].kill()
        workers[0].kill()
        time.sleep(1)
        workers[0].start()
        webs[0].start()
        for thread in threads:
            thread.join(300)
        assert not any(thread.is_alive() for thread in threads)
        assert survivor_errors == []
        assert refused_by_killed, "the kill should have met devices sending to web server 1"
        assert served_by_restarted, "web server 1 should have served devices again after its restart"

        # A batch the killed worker held stays PROCESSING until the sweeper (beat, every 30 s)
        # hands it on; the test plays beat.
        from sync.tasks import sweep_stuck_batches

        settings.SYNC_SWEEP_PROCESSING_AFTER_SECONDS = 10
        settings.SYNC_SWEEP_QUEUED_AFTER_SECONDS = 10

        def all_done() -> bool:
            with committed(django_db_blocker, e2e_tenant):
                statuses = set(SyncBatch.objects.filter(pk__in=batch_ids).values_list("status", flat=True))
            if statuses == {"COMPLETED"}:
                return True
            with django_db_blocker.unblock():
                sweep_stuck_batches()
            return False

        wait_until(all_done, seconds=240, interval=2, message="every batch to be COMPLETED")
        with committed(django_db_blocker, e2e_tenant):
            outcomes = dict(SyncEvent.objects.filter(event_id__in=list(accepted))
                            .values_list("event_id", "outcome"))
            assert len(outcomes) == len(accepted) == DEVICES * BATCHES * EVENTS
            assert set(outcomes.values()) == {"APPLIED"}
            for well in wells:
                records = ProductionRecord.objects.filter(well=well)
                assert records.count() == BATCHES * EVENTS  # each event applied once: one record each
                assert records.values("source_event_id").distinct().count() == BATCHES * EVENTS
    finally:
        for group in groups:
            group.stop()
        bouncer.stop()
