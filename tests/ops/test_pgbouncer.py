"""PgBouncer in transaction pooling mode with a pool of ONE server connection in front of the test
PostgreSQL, and a live gunicorn (two workers, so two client connections) behind it: two tenants'
requests interleaved from several threads each see only their own tenant's data.

Why it is a real risk: django-tenants sets ``search_path`` on the session, once per switch
(TENANT_LIMIT_SET_CALLS). Behind transaction pooling the next query of a worker that "is already
on tenant A" may run on the server connection another worker just pointed at tenant B. With
DATABASE_POOLER=pgbouncer the search_path travels with every query and psycopg prepares no
statements; the control case, without it, shows the leak the test would catch."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading

import pytest
import requests
from django.conf import settings
from django_tenants.utils import schema_context

from config import run
from tests.e2e.conftest import _stop, _wait_for, free_port
from tests.factories import make_tenant
from tests.ops.pgbouncer import PgBouncer
from wells.models import Well

pytestmark = pytest.mark.live
_numbers = itertools.count(61001)


@pytest.fixture(scope="module")
def two_tenants(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        handles = [make_tenant(name="Bouncer Alpha", slug="bouncer-alpha"),
                   make_tenant(name="Bouncer Beta", slug="bouncer-beta")]
        for handle in handles:
            with schema_context(handle.tenant.schema_name):
                for n in range(3):
                    Well.objects.create(api_number=f"42329{next(_numbers):05d}0000", name=f"{handle.tenant.slug} {n}")
    return handles


@pytest.fixture(scope="module")
def bouncer(django_db_setup):
    db = settings.DATABASES["default"]
    server = PgBouncer(host=db["HOST"], port=db.get("PORT"),
                       user=db["USER"], pool_size=1)
    yield server
    server.stop()


def gunicorn_behind(bouncer, live_env, log, *, pooler: str):
    db = settings.DATABASES["default"]
    env = {**live_env.env, "DATABASE_URL": bouncer.url(db["NAME"], db["USER"]), "DATABASE_POOLER": pooler,
           "WEB_CONCURRENCY": "2", "GUNICORN_WORKER_CLASS": "sync"}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(run.GUNICORN_CONF), "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}"],
        cwd=run.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"), start_new_session=True)
    _wait_for(f"http://127.0.0.1:{port}/healthz", process)
    return f"http://127.0.0.1:{port}", process


def interleave(url: str, handles, tokens, rounds: int = 30) -> tuple[int, list[str]]:
    """Threads asking for each tenant's wells in turn: (answers checked, what went wrong)."""
    wrong: list[str] = []
    checked = [0]
    lock = threading.Lock()

    def ask(handle, token):
        expected = {f"{handle.tenant.slug} {n}" for n in range(3)}
        headers = {"X-Tenant-ID": handle.public_id, "X-Tenant-Secret": handle.secret,
                   "Authorization": f"Bearer {token}"}
        for _ in range(rounds):
            response = requests.get(f"{url}/api/v1/wells/", headers=headers, timeout=30)
            with lock:
                checked[0] += 1
                if response.status_code != 200:
                    wrong.append(f"{handle.tenant.slug}: {response.status_code}")
                    continue
                names = {well["name"] for well in response.json()["results"]}
                if names != expected:
                    wrong.append(f"{handle.tenant.slug} saw {sorted(names)}")

    threads = [threading.Thread(target=ask, args=(handles[i % 2], tokens[i % 2])) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return checked[0], wrong


def login(url, handle) -> str:
    from tests.factories import PASSWORD

    response = requests.post(f"{url}/api/v1/auth/login", timeout=30,
                             headers={"X-Tenant-ID": handle.public_id, "X-Tenant-Secret": handle.secret},
                             json={"email": handle.admin_email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access"]


def test_two_tenants_over_one_server_connection_never_see_each_other(bouncer, two_tenants, live_env, tmp_path):
    url, process = gunicorn_behind(bouncer, live_env, tmp_path / "web.log", pooler="pgbouncer")
    try:
        tokens = [login(url, handle) for handle in two_tenants]
        checked, wrong = interleave(url, two_tenants, tokens)
    finally:
        _stop(process)
    assert checked == 180
    assert wrong == [], wrong[:10]


def test_without_the_pgbouncer_setting_schema_switching_leaks(bouncer, two_tenants, live_env, tmp_path):
    """The control: the same run with the session-level search_path shows what the test catches."""
    url, process = gunicorn_behind(bouncer, live_env, tmp_path / "web.log", pooler="")
    try:
        tokens = [login(url, handle) for handle in two_tenants]
        _, wrong = interleave(url, two_tenants, tokens)
    finally:
        _stop(process)
    assert wrong, "two workers sharing one server connection with a cached search_path should have crossed"


def test_sync_through_pgbouncer_with_a_worker_applies_every_event_once(bouncer, two_tenants, live_env, tmp_path,
                                                                       django_db_blocker):
    """The sync flow with the web server and a Celery worker both behind the one-connection pool."""
    from tests.e2e.conftest import wait_until
    from tests.e2e.test_sync_worker import batch_status, make_well, outcomes, production_events

    alpha = two_tenants[0]
    well = make_well(django_db_blocker, alpha, "Bounced Well")
    url, process = gunicorn_behind(bouncer, live_env, tmp_path / "web.log", pooler="pgbouncer")
    db = settings.DATABASES["default"]
    worker_env = {**live_env.env, "DATABASE_URL": bouncer.url(db["NAME"], db["USER"]), "DATABASE_POOLER": "pgbouncer"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING", "-P", "prefork",
         "--concurrency", "2", "-n", f"bouncer-{process.pid}@%h", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=run.BASE_DIR, env=worker_env, stdout=open(tmp_path / "worker.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        from tests.factories import PASSWORD

        headers = {"X-Tenant-ID": alpha.public_id, "X-Tenant-Secret": alpha.secret}
        token = requests.post(f"{url}/api/v1/auth/login", headers=headers, timeout=30,
                              json={"email": alpha.users["OPERATOR"], "password": PASSWORD}).json()["access"]
        batches = []
        for n in range(3):
            events = production_events(well, 40, start=__import__("datetime").date(2015 + n, 1, 1))
            response = requests.post(f"{url}/api/v1/sync/batches", timeout=60,
                                     headers={**headers, "Authorization": f"Bearer {token}"},
                                     json={"device": {"deviceId": "bouncer-tablet", "platform": "cli"},
                                           "events": events})
            assert response.status_code == 202, response.text
            batches.append(response.json()["batchId"])
        for batch_id in batches:
            wait_until(lambda: batch_status(django_db_blocker, alpha, batch_id) == "COMPLETED", seconds=120,
                       message="the worker behind PgBouncer to process the batch")
            assert outcomes(django_db_blocker, alpha, batch_id) == {"APPLIED": 40}
    finally:
        _stop(worker)
        _stop(process)
