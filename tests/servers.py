"""The database servers tests use besides the test database: more databases on the embedded (or
DATABASE_URL) PostgreSQL server, and the MariaDB server at MARIADB_URL (.ci/run starts one)."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from django.conf import settings

from config.database_urls import parse_source_url


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_server() -> dict:
    """The test PostgreSQL server: the default database's settings, except when the run goes
    through PgBouncer (tests/ops/through_pgbouncer.py), which names the server behind it in
    PUMPJACK_TEST_SERVER_HOST / _PORT: the other databases of the tests stand for tenants' own
    database servers, which a deployment's PgBouncer does not front."""
    db = dict(settings.DATABASES["default"])
    if os.environ.get("PUMPJACK_TEST_SERVER_HOST"):
        db["HOST"], db["PORT"] = os.environ["PUMPJACK_TEST_SERVER_HOST"], os.environ.get("PUMPJACK_TEST_SERVER_PORT", "")
    return db


def pg_admin():
    """An autocommit connection to the test server's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg

    db = _pg_server()
    return psycopg.connect(host=db["HOST"], port=db.get("PORT") or None, user=db["USER"],
                           password=db.get("PASSWORD") or None, dbname="postgres", autocommit=True)


def pg_url(database: str, *, password: str | None = None, user: str | None = None) -> str:
    """A postgresql:// URL for ``database`` on the test server (as ``user``, with a password if given)."""
    db = _pg_server()
    password = db.get("PASSWORD") or "" if password is None else password
    auth = quote(user or db["USER"], safe="") + (f":{quote(password, safe='')}" if password else "")
    host, port = db["HOST"], db.get("PORT")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{database}?host={host}"
    return f"postgresql://{auth}@{host}:{port or 5432}/{database}"


def pg_url_as(user: str, password: str, database: str) -> str:
    return pg_url(database, user=user, password=password)


def pg_database_create(name: str) -> None:
    with pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def pg_database_drop(name: str) -> None:
    with pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mariadb_server() -> tuple[str | None, str]:
    """(MARIADB_URL, "") when a MySQL/MariaDB server answers there, else (None, why not)."""
    url = os.environ.get("MARIADB_URL", "")
    if not url:
        return None, "MARIADB_URL is not set: no MySQL/MariaDB server to test against (.ci/run starts one)"
    try:
        import pymysql

        pymysql.connect(**mariadb_params(url), connect_timeout=3).close()
    except Exception as exc:
        return None, f"MARIADB_URL is set but the server cannot be reached ({type(exc).__name__})"
    return url.rstrip("/"), ""


def require_mariadb() -> str:
    """MARIADB_URL, or skip the test (fail it under CI, where .ci/run provides the server)."""
    url, reason = mariadb_server()
    if url is None:
        if under_ci():
            pytest.fail(f"{reason}; under CI these tests must run")
        pytest.skip(reason)
    return url


def mariadb_params(url: str) -> dict:
    parsed = parse_source_url(url.rstrip("/") + "/mysql")
    return dict(host=parsed.host, port=parsed.port or 3306, user=parsed.username, password=parsed.password)


def mariadb_database_create(url: str, name: str) -> None:
    import pymysql

    with pymysql.connect(**mariadb_params(url)) as admin, admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")


def mariadb_database_drop(url: str, name: str) -> None:
    import pymysql

    with pymysql.connect(**mariadb_params(url)) as admin, admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
