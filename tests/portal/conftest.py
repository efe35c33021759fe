"""Portal fixtures: a logged-in Django test client per role, small builders for wells, and the
browser-test plumbing (a real headless Chromium driven by Playwright against a real server).

Browser tests and their data: a tenant of their own ("webtest"), provisioned with the demo
data set, is created and *committed* once per session (``django_db_blocker.unblock()``, like the
shared tenants of tests/conftest.py). The app is served by ``manage.py runserver`` in a child
process on the test database (``live_env``), so nothing here uses ``transactional_db``, whose
flush at teardown would also empty the public schema's tenant registry under the other tests.
Rows the server writes (sessions, audit rows, rotated secrets) stay in that tenant only.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.factories import PASSWORD, TenantHandle, make_tenant

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    # Chromium resolves *.localhost to loopback by itself; pinning it to the IPv4 address the
    # server listens on spares an IPv6 attempt and works the same on every machine.
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]
CHROMIUM_INSTALL_HINT = "apt-get install -y --no-install-recommends chromium"
SCREENSHOT_DIR = Path(tempfile.gettempdir())


# --------------------------------------------------------------------------- test client


class PortalClient(Client):
    """A browser-like test client on one tenant's sub-domain that enforces CSRF like a browser;
    ``submit`` posts a form with the CSRF token the way a rendered form would."""

    def __init__(self, handle: TenantHandle):
        super().__init__(enforce_csrf_checks=True, HTTP_HOST=handle.host)
        self.handle = handle

    def submit(self, path: str, data: dict | None = None, **extra):
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        return self.post(path, {**(data or {}), "csrfmiddlewaretoken": self.cookies["csrftoken"].value}, **extra)


@pytest.fixture
def portal_as(tenant_a):
    """``portal_as("MANAGER")``: a client logged in to tenant A's portal as that role's user
    (or as ``email=``), through the real login form."""

    def _login(role: str | None = None, *, email: str | None = None, handle: TenantHandle = tenant_a):
        client = PortalClient(handle)
        client.get("/login/")
        response = client.submit("/login/", {"email": email or handle.users[role], "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        return client

    return _login


# --------------------------------------------------------------------------- wells


_api_sequence = itertools.count(50001)


def make_well(handle: TenantHandle, **fields):
    """A well in the handle's tenant (in the test's transaction); a fresh Texas API number."""
    from wells.models import Well

    fields.setdefault("api_number", f"42317{next(_api_sequence):05d}0000")
    fields.setdefault("name", f"Test Well {fields['api_number'][5:10]}")
    fields.setdefault("state", "TX")
    with schema_context(handle.tenant.schema_name):
        return Well.objects.create(**fields)


def make_production(handle: TenantHandle, well, day: date, product: str, volume: float, unit: str | None = None):
    from wells.domain import PRODUCT_UNITS, normalise_volume
    from wells.models import ProductionRecord

    unit = unit or PRODUCT_UNITS[product][0]
    volume = Decimal(str(volume))
    with schema_context(handle.tenant.schema_name):
        return ProductionRecord.objects.create(
            well=well, production_date=day, product=product, volume=volume, unit=unit,
            volume_normalized=normalise_volume(product, volume, unit),
        )


def assign(handle: TenantHandle, role_or_email: str, wells) -> None:
    from accounts.models import User
    from wells.services import wells_assign

    email = handle.users.get(role_or_email, role_or_email)
    with schema_context(handle.tenant.schema_name):
        wells_assign(user=User.objects.get(email=email), well_ids=[w.pk for w in wells])


# --------------------------------------------------------------------------- browser


def _browser_missing(reason: str):
    """In CI the browser tests must run: a missing browser fails them. Elsewhere they skip."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}. CI=true, so browser tests may not be skipped: .ci/run installs Chromium "
                    f"with `{CHROMIUM_INSTALL_HINT}` (as root).", pytrace=False)
    pytest.skip(f"{reason}; install it with `sudo {CHROMIUM_INSTALL_HINT}` "
                f"(and the Python driver with `.venv/bin/pip install -e '.[test]'`)")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("PUMPJACK_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _browser_missing(f"No Chromium at {path} (Debian's `chromium` package; PUMPJACK_CHROMIUM overrides)")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path, browser_site):
    """Chromium for one test module. Playwright's sync API keeps an asyncio loop running in this
    thread while it is open, and Django refuses ORM calls then (SynchronousOnlyOperation): so the
    data is committed before the browser starts (``browser_site`` first), the browser is closed
    at the end of its module, and browser tests themselves do not touch the database."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("The `playwright` Python package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class BrowserSite:
    """The browser tests' tenant, served by a real server."""

    handle: TenantHandle
    origin: str  # http://<slug>.localhost:<port>
    route_well_ids: list[str] = field(default_factory=list)
    off_route_well_id: str = ""
    chart_well_id: str = ""

    def url(self, path: str) -> str:
        return self.origin + path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def browser_tenant(django_db_setup, django_db_blocker) -> BrowserSite:
    """A tenant with the demo data set (40 wells, 90 days of production, a 12-well route for its
    OPERATOR), committed so that the server process sees it."""
    from accounts.models import Role
    from wells.demo import demo_data_seed
    from wells.lease_demo import lease_demo_seed
    from wells.models import Well, WellStatus

    with django_db_blocker.unblock():
        # A fixed slug (the test database is new each run); its users' emails are built from it
        # and must pass the password-similarity check against tests.factories.PASSWORD.
        handle = make_tenant(name="Web Test Energy", slug="webtest")
        demo_data_seed(tenant=handle.tenant, operator_email=handle.users[Role.OPERATOR])
        lease_demo_seed(tenant=handle.tenant)
        with schema_context(handle.tenant.schema_name):
            route = Well.objects.filter(assignments__user__email=handle.users[Role.OPERATOR])
            route_ids = [str(pk) for pk in route.values_list("pk", flat=True)]
            off_route = Well.objects.exclude(pk__in=route_ids).values_list("pk", flat=True).first()
            chart_well = route.filter(status=WellStatus.ACTIVE).order_by("name").values_list("pk", flat=True).first()
    return BrowserSite(handle=handle, origin="", route_well_ids=route_ids, off_route_well_id=str(off_route),
                       chart_well_id=str(chart_well))


def _login_page_answers(port: int, host: str, log: Path) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/login/", headers={"Host": f"{host}:{port}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, body = answer.status, answer.read(2000)
    except urllib.error.HTTPError as refused:
        status, body = refused.code, refused.read(2000)
    except OSError as error:
        status, body = None, repr(error).encode()
    if status != 200:
        raise RuntimeError(f"The test server answers {status} for {host}/login/: {body[:500]!r}; "
                           f"its log:\n{log.read_text()[-3000:]}")


@contextmanager
def serve(env: dict, *, ready_host: str | None = None):
    """``manage.py runserver`` in a child process with ``env``; yields its port once /healthz answers
    (and, with ``ready_host``, once that tenant's /login/ answers 200 on it)."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="pumpjack-browser-server-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The test server did not start; its log:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.2)
        if ready_host:
            _login_page_answers(port, ready_host, Path(log.name))
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="module")
def browser_site(browser_tenant, live_env) -> BrowserSite:
    """``manage.py runserver`` in a child process on the test database and Redis, one per test
    module: a server kept for the whole session outlived hundreds of other tests (servers killed
    and restarted, tenants moved, workers started) and, in the full run only, ended up answering
    the browser tests' tenant with no login page. The tenant's login page must answer before a
    test starts; if it does not, the failure says what the server said."""
    with serve(live_env.env, ready_host=browser_tenant.handle.host) as port:
        browser_tenant.origin = f"http://{browser_tenant.handle.host}:{port}"
        yield browser_tenant


@pytest.fixture
def page(browser, browser_site):
    """A fresh browser context (no cookies) and page per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def log_in(page, browser_site):
    """``log_in("ADMIN")``: sign in through the login form as that role's user."""

    def _log_in(role: str):
        page.goto(browser_site.url("/login/"))
        page.fill("#email", browser_site.handle.users[role])
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Log in')")
        assert page.url == browser_site.url("/"), page.url
        return page

    return _log_in
