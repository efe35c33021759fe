"""Shared fixtures: real PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set).

Tenants are expensive compared to a test (a schema each), so a few are created once per session,
committed, and shared; every test still runs in a transaction that is rolled back, so rows a
test writes in a tenant's schema (users, audit rows, tokens) do not leak into the next test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from tests.factories import TenantHandle, make_tenant

REPO = Path(__file__).resolve().parent.parent


def _redis_test_keys_clear() -> None:
    client = cache._cache.get_client(write=True)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    """Always create the test database, even when no collected test is marked django_db (the
    end-to-end tests commit through other processes and are not marked): pytest-django would
    otherwise leave the connection on the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                 aliases={"default"}, serialized_aliases=set())
    assert connection.settings_dict["NAME"].startswith("test_"), "tests must never touch a real database"
    yield
    with django_db_blocker.unblock():
        try:
            teardown_databases(config, verbosity=request.config.option.verbose)
        except Exception as exc:  # a server process still connected: the database is left behind
            request.node.warn(pytest.PytestWarning(f"could not drop the test database: {exc!r}"))


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Each test starts with empty Redis counters and a cold tenant directory."""
    from tenants.directory import directory

    _redis_test_keys_clear()
    directory.clear()
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture(scope="session")
def tenant_a(django_db_setup, django_db_blocker) -> TenantHandle:
    with django_db_blocker.unblock():
        return make_tenant(name="Permian Pumpers", slug="permian")


@pytest.fixture(scope="session")
def tenant_b(django_db_setup, django_db_blocker) -> TenantHandle:
    with django_db_blocker.unblock():
        return make_tenant(name="Bakken Basin Energy", slug="bakken")


@pytest.fixture
def in_tenant():
    """Run ORM code in a tenant's schema: ``with in_tenant(tenant_a): ...``."""

    def _enter(handle: TenantHandle):
        return schema_context(handle.tenant.schema_name)

    return _enter


@dataclass
class LiveEnv:
    env: dict

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True,
            timeout=120, check=check,
        )


@pytest.fixture(scope="session")
def live_env(django_db_setup) -> LiveEnv:
    """Environment for another process (command or server) using this test run's database and Redis."""
    db = settings.DATABASES["default"]
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        PUMPJACK_TEST_RUN=settings.TEST_RUN_ID,
    )
    return LiveEnv(env=env)
