"""Shared fixtures: real PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set).

Tenants are expensive compared to a test (a schema each), so a few are created once per session,
committed, and shared; every test still runs in a transaction that is rolled back, so rows a
test writes in a tenant's schema (users, audit rows, tokens) do not leak into the next test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from tests import servers
from tests.factories import TenantHandle, make_tenant

REPO = Path(__file__).resolve().parent.parent


def _tenant_databases_are_dynamic_connections() -> None:
    """Django lets a test open connections it did not configure ("dynamically created connections
    are always allowed") but tells them apart by their absence from connections.settings, where
    tenants.databases registers a tenant's database. Tenant databases (and connection probes)
    registered during a test are such dynamic connections: let them connect."""
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.test import testcases

    from tenants.databases import is_tenant_alias

    original = testcases.TransactionTestCase.ensure_connection_patch_method.__func__

    def ensure_connection_patch_method(cls):
        real = BaseDatabaseWrapper.ensure_connection
        patched = original(cls)

        def ensure_connection(self, *args, **kwargs):
            if is_tenant_alias(self.alias):
                return real(self, *args, **kwargs)
            return patched(self, *args, **kwargs)

        return ensure_connection

    testcases.TransactionTestCase.ensure_connection_patch_method = classmethod(ensure_connection_patch_method)


_tenant_databases_are_dynamic_connections()


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
    """Each test starts with empty Redis counters, a cold tenant directory and no verified secrets."""
    from tenants.directory import directory
    from tenants.secrets import verified_secrets

    _redis_test_keys_clear()
    directory.clear()
    verified_secrets.clear()
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


# --------------------------------------------------------------------------- isolation levels
#
# The tenancy, authentication, wells and sync suites run once per isolation level: every test
# there that uses tenant_a / tenant_b is parametrised with `level`, and the tenants of a DATABASE
# level keep their data in a database of their own (one per tenant, made for this test run on
# the test PostgreSQL server, or on the MariaDB server at MARIADB_URL). Elsewhere tenants live in
# schemas. `@pytest.mark.schema_only` keeps a test (about schemas themselves) to SCHEMA.

LEVELS = ("schema", "database-postgresql", "database-mariadb")
LEVELLED_SUITES = ("tenants", "accounts", "wells", "sync")
_SLUG_SUFFIX = {"schema": "", "database-postgresql": "-pg", "database-mariadb": "-my"}
_tenants: dict[tuple[str, str], TenantHandle] = {}
_databases: list[tuple[str, str]] = []  # (level, name) made for this run, dropped at the end


def _levelled(node) -> bool:
    parts = Path(str(node.path)).relative_to(REPO).parts
    return len(parts) > 2 and parts[0] == "tests" and parts[1] in LEVELLED_SUITES


def pytest_configure(config):
    config.addinivalue_line("markers", "schema_only: run this test with schema tenants only (it is about schemas)")


def pytest_generate_tests(metafunc):
    if "level" in metafunc.fixturenames and _levelled(metafunc.definition):
        levels = ["schema"] if metafunc.definition.get_closest_marker("schema_only") else list(LEVELS)
        metafunc.parametrize("level", levels, indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    """Database tests open their test transaction on every database a tenant of the run may use
    (Django's databases="__all__"), so rows written to a tenant's own database are rolled back
    like those in the shared one, and code that visits every tenant (the ETL beat job) may reach
    the tenants of the levelled suites. Transactional tests keep to the shared database: their
    flush at the end would empty the session tenants' databases."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if not ({"db", "transactional_db"} & set(item.fixturenames) or marker):
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        if kwargs.get("transaction") or "transactional_db" in item.fixturenames or "databases" in kwargs:
            continue
        kwargs["databases"] = "__all__"
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(scope="session")
def level(request) -> str:
    """The isolation level of tenant_a / tenant_b ("schema" outside the levelled suites)."""
    return getattr(request, "param", "schema")


def _database_url_for(level: str, slug: str) -> str:
    name = f"test_pumpjack_{settings.TEST_RUN_ID}_{slug.replace('-', '_')}"
    if level == "database-postgresql":
        servers.pg_database_create(name)
        _databases.append((level, name))
        return servers.pg_url(name)
    url = servers.require_mariadb()
    servers.mariadb_database_create(url, name)
    _databases.append((level, name))
    return f"{url}/{name}"


def tenant_at_level(level: str, *, name: str, slug: str) -> TenantHandle:
    """A tenant of the session at this isolation level (made once, then shared)."""
    key = (level, slug)
    if key not in _tenants:
        slug_at_level = slug + _SLUG_SUFFIX[level]
        url = "" if level == "schema" else _database_url_for(level, slug_at_level)
        _tenants[key] = make_tenant(name=name, slug=slug_at_level, database_url=url)
    return _tenants[key]


@pytest.fixture(scope="session")
def tenant_databases_dropped(django_db_setup, django_db_blocker):
    """Drops the tenant databases of this run at its end."""
    yield
    from tenants.databases import tenant_databases

    with django_db_blocker.unblock():
        tenant_databases.clear()
        for level, name in _databases:
            try:
                if level == "database-postgresql":
                    servers.pg_database_drop(name)
                else:
                    servers.mariadb_database_drop(os.environ["MARIADB_URL"], name)
            except Exception as exc:  # left behind; named so it can be dropped by hand
                warnings.warn(f"could not drop tenant test database {name}: {exc!r}")


@pytest.fixture(scope="session")
def tenant_a(level, tenant_databases_dropped, django_db_blocker) -> TenantHandle:
    with django_db_blocker.unblock():
        return tenant_at_level(level, name="Permian Pumpers", slug="permian")


@pytest.fixture(scope="session")
def tenant_b(level, tenant_databases_dropped, django_db_blocker) -> TenantHandle:
    with django_db_blocker.unblock():
        return tenant_at_level(level, name="Bakken Basin Energy", slug="bakken")


@pytest.fixture
def staff_client():
    """A Django test client logged in to the staff admin (a superuser in the public schema)."""
    from django.test import Client

    from accounts.models import User
    from tests.factories import PASSWORD, STAFF_EMAIL

    staff = User.objects.create_superuser(STAFF_EMAIL, PASSWORD)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    return client


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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say plainly, at the end, which cases did not run for want of a MariaDB server."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "MARIADB_URL" in str(r.longrepr)]
    if skipped:
        levelled = sum(1 for r in skipped if "database-mariadb" in r.nodeid)
        terminalreporter.write_sep("!", "MySQL/MariaDB cases NOT run", yellow=True, bold=True)
        terminalreporter.write_line(
            f"{len(skipped)} test cases were not run ({levelled} of them at isolation level database-mariadb): "
            "MARIADB_URL names no reachable MySQL/MariaDB server. `bash .ci/run` starts one (Debian's "
            "mariadb-server); under CI=true these cases fail instead of being skipped.")
