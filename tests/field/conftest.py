"""The field web app in a real browser: headless Chromium (Debian's package) driven by Playwright
at a phone's size (390 x 844), against ``manage.py runserver`` and a real Celery worker on the
test database and Redis, on the tenant's own sub-domain (*.localhost).

Data: a tenant of its own ("fieldapp"), committed once per session: two wells on the OPERATOR's
route on one lease with an oil tank (strapping table to 20 ft), a pump jack per well, and a well
off the route. The browser tests hold no database connection while Chromium runs (Playwright's
loop in this thread makes Django refuse ORM calls): what reached the server is read back through
the API (``FieldSite.api_get``), as an integration would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal as D
from pathlib import Path

import pytest
import requests
from django_tenants.utils import schema_context

from tests.factories import PASSWORD, TenantHandle, make_tenant
from tests.portal.conftest import CHROMIUM_ARGS, _browser_missing

REPO = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}


@dataclass
class FieldSite:
    handle: TenantHandle
    origin: str = ""  # http://<slug>.localhost:<port>, for the browser
    api_origin: str = ""  # http://127.0.0.1:<port>, for requests (the tenant by X-Tenant-ID)
    wells: dict = field(default_factory=dict)  # name -> id
    equipment: dict = field(default_factory=dict)  # well name -> pump jack id
    tank_id: str = ""
    off_route_well_id: str = ""

    def url(self, path: str) -> str:
        return self.origin + path

    def token(self, role: str = "MANAGER") -> str:
        response = requests.post(self.api_origin + "/api/v1/auth/login", json={"email": self.handle.users[role], "password": PASSWORD},
                                 headers={"X-Tenant-ID": self.handle.public_id, "X-Tenant-Secret": self.handle.secret},
                                 timeout=30)
        response.raise_for_status()
        return response.json()["access"]

    def api_get(self, path: str, token: str, **params) -> dict:
        response = requests.get(self.api_origin + path, params=params, timeout=30, headers={
            "X-Tenant-ID": self.handle.public_id, "X-Tenant-Secret": self.handle.secret,
            "Authorization": f"Bearer {token}"})
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.json()

    def api_all(self, path: str, token: str, **params) -> list:
        """Every row of a paginated list (or a plain list)."""
        rows, page = [], 1
        while True:
            body = self.api_get(path, token, page=page, page_size=200, **params)
            if isinstance(body, list):
                return body
            rows += body["results"]
            if not body.get("next"):
                return rows
            page += 1


@pytest.fixture(scope="session")
def field_tenant(django_db_setup, django_db_blocker) -> FieldSite:
    from accounts.models import Role, User
    from wells.leases import Lease, StrappingRow, Tank
    from wells.models import Equipment, Well, WellAssignment

    with django_db_blocker.unblock():
        handle = make_tenant(name="Field App Energy", slug="fieldapp")
        site = FieldSite(handle=handle)
        with schema_context(handle.tenant.schema_name):
            lease = Lease.objects.create(name="North Lease", rrc_district="08", rrc_lease_number="41234")
            operator = User.objects.get(email=handle.users[Role.OPERATOR])
            for n, name in enumerate(("Alpha 1", "Bravo 2")):
                well = Well.objects.create(api_number=f"4231770{n:03d}0000", name=name, lease="North Lease",
                                           lease_ref=lease, field="Spraberry", state="TX")
                pump = Equipment.objects.create(well=well, type="PUMP_JACK", name=f"Pump jack {n + 1}",
                                                serial_number=f"PJ-{n}")
                WellAssignment.objects.create(user=operator, well=well)
                site.wells[name] = str(well.pk)
                site.equipment[name] = str(pump.pk)
            tank = Tank.objects.create(lease=lease, name="Oil 1", capacity_bbl=D(400), height_inches=D(240))
            StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=D(h), barrels=D(h) * D("1.67"))
                                              for h in range(0, 241, 12)])
            site.tank_id = str(tank.pk)
            site.off_route_well_id = str(Well.objects.create(api_number="42317999990000", name="Off Route 9",
                                                             state="TX").pk)
    return site


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up; its log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="package")
def field_site(field_tenant, live_env) -> FieldSite:
    """``manage.py runserver`` and one Celery worker (batches are processed by a worker, as in
    production), both in child processes of their own session. Stopped when tests/field is done:
    the worker takes any task of the test run's queue, and left running it would take the tasks
    later tests send to workers of their own (tests/ops' metrics) or expect no worker to take
    (a batch held during a tenant move)."""
    from tests.e2e.conftest import free_port

    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="pumpjack-field-app-"))
    server_log, worker_log = folder / "server.log", folder / "worker.log"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=REPO, env=live_env.env, stdout=server_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "-P", "prefork", "--concurrency", "1",
         "-n", f"fieldapp-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=REPO, env=live_env.env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", server, server_log)
        field_tenant.origin = f"http://{field_tenant.handle.host}:{port}"
        field_tenant.api_origin = f"http://127.0.0.1:{port}"
        yield field_tenant
    finally:
        _stop(server)
        _stop(worker)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = os.environ.get("PUMPJACK_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _browser_missing(f"No Chromium at {path} (Debian's `chromium` package; PUMPJACK_CHROMIUM overrides)")
    return path


@pytest.fixture(scope="module")
def field_browser(chromium_executable, field_site):
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _browser_missing("The `playwright` Python package is not installed")
    # expect() waits 5 s by default: a login (pull, schemas, recent records) or a sync on a
    # loaded 2-core machine may take longer. The waits stay event-driven, only their ceiling grows.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def phone(field_browser):
    """A fresh browser profile (no storage, no service worker) at a phone's size."""
    context = field_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()
