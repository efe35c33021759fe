"""Commands for tenants with a database of their own: checking a database URL (each problem named
by kind, the password never shown), creating a DATABASE tenant, and migrating one tenant or all."""

from __future__ import annotations

import json
import socket
import uuid
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from config.crypto import encrypt
from tenants.databases import tenant_databases
from tenants.models import Tenant
from tests import servers
from tests.servers import pg_url_as
from tests.factories import make_tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("connections_to_new_databases")]
PASSWORD = "Correct-Horse-Battery-9"
DB_PASSWORD = "Pipe-Dream-7xQ!"  # put in URLs; must never come back in any output


@pytest.fixture
def connections_to_new_databases(django_db_blocker):
    """Let this test connect to databases that get an alias only during it (a URL being checked, a
    new tenant's database): Django's test case refuses aliases it did not know when it started.
    Those connections are outside the test's transaction; the fixtures below drop what they make."""
    with django_db_blocker.unblock():
        yield


def unique(prefix: str) -> str:
    return f"test_pumpjack_{settings.TEST_RUN_ID}_{prefix}_{uuid.uuid4().hex[:6]}"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def pg_database():
    """Empty PostgreSQL databases on the test server, dropped after the test."""
    made = []

    def make() -> tuple[str, str]:
        name = unique("db")
        servers.pg_database_create(name)
        made.append(name)
        return name, servers.pg_url(name)

    yield make
    tenant_databases.clear()  # pooled connections to them
    for name in made:
        servers.pg_database_drop(name)


@pytest.fixture
def select_only_url(request):
    """A database whose user may connect and read but not create tables, on PostgreSQL (a role
    without CREATE on the public schema) or MariaDB (a user granted only SELECT): its URL."""
    name, user = unique("ro"), f"pj_ro_{uuid.uuid4().hex[:8]}"
    if request.param == "postgresql":
        servers.pg_database_create(name)
        with servers.pg_admin() as admin:
            admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{DB_PASSWORD}'")
        yield pg_url_as(user, DB_PASSWORD, name)
        servers.pg_database_drop(name)
        with servers.pg_admin() as admin:
            admin.execute(f"DROP ROLE IF EXISTS {user}")
        return
    import pymysql

    admin_url = servers.require_mariadb()
    params = servers.mariadb_params(admin_url)
    servers.mariadb_database_create(admin_url, name)
    try:
        with pymysql.connect(**params) as admin, admin.cursor() as cursor:
            cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", [DB_PASSWORD])
            try:
                cursor.execute(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'")
            except Exception as exc:  # (not pymysql.err.*: another test may have re-imported the driver)
                if not exc.args or exc.args[0] not in (1044, 1227):  # access denied / needs GRANT OPTION
                    raise
                pytest.skip(f"the MARIADB_URL user may not grant privileges ({exc.args[1]}); give it "
                            "ALL ... WITH GRANT OPTION to run this case")
        yield f"mysql://{user}:{quote(DB_PASSWORD, safe='')}@{params['host']}:{params['port']}/{name}"
    finally:
        with pymysql.connect(**params) as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP USER IF EXISTS '{user}'@'%%'")
        servers.mariadb_database_drop(admin_url, name)


def run(command: str, *args: str) -> tuple[dict | None, str, str, CommandError | None]:
    """Run a command in this process with --json: (its JSON or None, stdout, stderr, its error)."""
    out, err = StringIO(), StringIO()
    error = None
    try:
        call_command(command, *args, "--json", stdout=out, stderr=err)
    except CommandError as exc:
        error = exc
    text = out.getvalue()
    return (json.loads(text) if text.strip() else None), text, err.getvalue(), error


# --------------------------------------------------------------------------- check_tenant_database


def test_a_reachable_writable_database_checks_ok(pg_database):
    _, url = pg_database()

    report, _, _, error = run("check_tenant_database", "--url", url)

    assert error is None
    assert report["ok"] is True and report["kind"] == "ok"
    assert report["engine"] == "postgresql" and report["serverVersion"][0].isdigit()
    assert "may create tables" in report["message"]


@pytest.mark.parametrize("case", ["invalid_url", "unreachable", "bad_credentials", "database_missing"])
def test_each_connection_problem_is_named_without_the_password(case):
    url, expected = {
        "invalid_url": (f"sqlite:////tmp/{DB_PASSWORD}.db", "A tenant database is a server"),
        "unreachable": (f"postgresql://pumpjack:{quote(DB_PASSWORD)}@127.0.0.1:{closed_port()}/acme",
                        "cannot be reached"),
        "bad_credentials": (pg_url_as("pumpjack_nobody", DB_PASSWORD, "postgres"), "Bad credentials"),
        "database_missing": (pg_url_as(settings.DATABASES["default"]["USER"],
                                       settings.DATABASES["default"].get("PASSWORD") or DB_PASSWORD,
                                       unique("missing")), "does not exist"),
    }[case]

    report, stdout, stderr, error = run("check_tenant_database", "--url", url)

    assert error is not None, "a failed check exits non-zero"
    assert report["ok"] is False and report["kind"] == case
    assert expected in report["message"] and expected in str(error)
    for secret in (DB_PASSWORD, quote(DB_PASSWORD)):
        assert secret not in stdout + stderr + str(error)


@pytest.mark.parametrize("select_only_url", ["postgresql", "mysql"], indirect=True)
def test_a_user_that_cannot_create_tables_is_reported_as_missing_privileges(select_only_url):
    report, stdout, stderr, error = run("check_tenant_database", "--url", select_only_url)

    assert error is not None
    assert (report["ok"], report["kind"]) == (False, "missing_privileges")
    assert report["engine"] == select_only_url.split(":", 1)[0]
    assert "cannot create tables" in report["message"] and "Grant it all privileges" in report["message"]
    assert report["serverVersion"]
    assert DB_PASSWORD not in stdout + stderr + str(error)


@pytest.mark.live
def test_check_as_a_process_reads_the_url_from_the_environment_and_exits_non_zero_on_failure(live_env):
    bad = pg_url_as("pumpjack_nobody", DB_PASSWORD, "postgres")
    runner = type(live_env)(env=dict(live_env.env, TENANT_DB_URL=bad))

    result = runner.manage("check_tenant_database", "--url-env", "TENANT_DB_URL", "--json", check=False)

    assert result.returncode != 0
    assert json.loads(result.stdout)["kind"] == "bad_credentials"
    assert "Bad credentials" in result.stderr
    assert DB_PASSWORD not in result.stdout + result.stderr


def test_checking_a_schema_tenant_says_it_has_no_database_of_its_own():
    tenant = Tenant.objects.create(public_id="SCHEMA-ABC123", slug="schema-only", name="Schema Only",
                                   schema_name="t_schema_only")

    _, stdout, _, error = run("check_tenant_database", "--tenant", tenant.public_id)

    assert error is not None and "has no database of its own" in str(error) and stdout == ""


# --------------------------------------------------------------------------- create_tenant --database-url


def committed_soft_delete(public_id: str) -> None:
    """Soft-delete a tenant a command process committed, outside this test's transaction, so that
    later tests migrating every tenant do not meet its database once it is dropped."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db.get("PORT") or None, user=db["USER"],
                         password=db.get("PASSWORD") or None, dbname=db["NAME"], autocommit=True) as other:
        other.execute("UPDATE tenants_tenant SET deleted_at = now() WHERE public_id = %s", [public_id])


@pytest.fixture
def committed_database_tenants():
    """Databases of tenants a command process commits, dropped after the test."""
    names: list[str] = []
    yield names
    tenant_databases.clear()
    for name in names:
        servers.pg_database_drop(name)


@pytest.mark.live
def test_create_tenant_with_a_database_url_makes_a_working_database_tenant(live_env, committed_database_tenants):
    name = unique("acmedb")
    servers.pg_database_create(name)
    committed_database_tenants.append(name)
    # The server's own password, or any (trust authentication): either way one to look for below.
    password = settings.DATABASES["default"].get("PASSWORD") or DB_PASSWORD
    url = servers.pg_url(name, password=password)

    result = live_env.manage("create_tenant", "--name", "Acme Own DB", "--slug", "acme-own-db", "--admin-email",
                             "a@acme-own.test", "--admin-password", PASSWORD, "--database-url", url, "--json")

    created = json.loads(result.stdout)
    try:
        assert set(created) == {"tenantId", "slug", "secret", "adminUserId", "isolation"}
        assert created["isolation"] == "DATABASE" and password not in result.stdout + result.stderr
        tenant = Tenant.objects.get(public_id=created["tenantId"])
        assert tenant.isolation == "DATABASE" and password not in tenant.database_url  # encrypted at rest
        login = Client().post("/api/v1/auth/login", {"email": "a@acme-own.test", "password": PASSWORD},
                              content_type="application/json", HTTP_X_TENANT_ID=created["tenantId"],
                              HTTP_X_TENANT_SECRET=created["secret"])
        assert login.status_code == 200
        assert not schema_exists(tenant.schema_name)  # its data is in its own database, not in a schema
        report, _, _, error = run("check_tenant_database", "--tenant", created["tenantId"])
        assert error is None and report["ok"] is True
    finally:
        committed_soft_delete(created["tenantId"])


@pytest.mark.live
def test_create_tenant_refuses_an_unusable_database_url_clearly_and_without_the_password(live_env):
    url = f"postgresql://pumpjack:{quote(DB_PASSWORD)}@127.0.0.1:{closed_port()}/acme"
    runner = type(live_env)(env=dict(live_env.env, ACME_DB=url))

    result = runner.manage("create_tenant", "--name", "Acme Unreachable", "--slug", "acme-unreachable",
                           "--admin-email", "a@acme-unreachable.test", "--admin-password", PASSWORD,
                           "--database-url-env", "ACME_DB", "--json", check=False)

    assert result.returncode != 0 and result.stdout == ""
    assert "database_url:" in result.stderr and "cannot be reached" in result.stderr
    assert DB_PASSWORD not in result.stderr and quote(DB_PASSWORD) not in result.stderr
    assert not Tenant.objects.filter(slug="acme-unreachable").exists()


# --------------------------------------------------------------------------- migrate_tenants


def registered_unmigrated(*, slug: str, database_url: str = "") -> Tenant:
    """A tenant registered with an empty place for its data: every migration is pending."""
    tenant = Tenant.objects.create(
        public_id=f"{slug[:8].upper()}-{uuid.uuid4().hex[:6].upper()}", slug=slug, name=slug.title(),
        schema_name=f"t_{slug.replace('-', '_')}",
        isolation="DATABASE" if database_url else "SCHEMA",
        database_url=encrypt(database_url) if database_url else "",
    )
    if not database_url:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{tenant.schema_name}"')
    return tenant


def test_migrate_tenants_migrates_what_is_behind_skips_the_rest_and_reports_failures(pg_database):
    _, url = pg_database()
    current = make_tenant(name="Current Crude", slug="current-crude").tenant
    in_schema = registered_unmigrated(slug="behind-schema")
    in_database = registered_unmigrated(slug="behind-db", database_url=url)
    unreachable_url = f"postgresql://pumpjack:{quote(DB_PASSWORD)}@127.0.0.1:{closed_port()}/gone"
    unreachable = registered_unmigrated(slug="gone-db", database_url=unreachable_url)

    summary, stdout, progress, error = run("migrate_tenants", "--parallel", "2")

    assert error is not None and unreachable.public_id in str(error)
    migrated = {row["tenantId"]: row for row in summary["migrated"]}
    assert migrated[in_schema.public_id]["isolation"] == "SCHEMA" and migrated[in_schema.public_id]["applied"] > 5
    assert migrated[in_database.public_id]["isolation"] == "DATABASE" and migrated[in_database.public_id]["applied"] > 5
    assert [row["tenantId"] for row in summary["failed"]] == [unreachable.public_id]
    assert "cannot be reached" in summary["failed"][0]["error"] and "127.0.0.1:" in summary["failed"][0]["error"]
    assert summary["tenants"] == len(summary["migrated"]) + summary["upToDate"] + 1 and summary["upToDate"] >= 1
    # One progress line per tenant, on stderr (stdout holds only the JSON object).
    lines = progress.splitlines()
    assert len([line for line in lines if line.startswith("[")]) == summary["tenants"]
    assert any(line.endswith(f"{in_schema.public_id} (schema): {migrated[in_schema.public_id]['applied']} "
                              "migrations applied") for line in lines)
    assert any(f"{in_database.public_id} (database): " in line and "migrations applied" in line for line in lines)
    assert any(f"{unreachable.public_id} (database): FAILED: " in line for line in lines)
    assert f"{current.public_id} (schema): up to date" in progress
    assert f"/{summary['tenants']}] " in lines[-1]
    assert DB_PASSWORD not in stdout + progress + str(error)

    # Run again, one tenant at a time: nothing left to do.
    for tenant in (in_schema, in_database):
        again, _, progress, error = run("migrate_tenants", "--tenant", tenant.public_id)
        assert error is None
        assert again == {"tenants": 1, "migrated": [], "upToDate": 1, "failed": []}
        assert progress.strip().endswith(": up to date") and progress.startswith("[1/1] ")
