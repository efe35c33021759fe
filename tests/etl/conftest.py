"""ETL fixtures: real source databases, each holding the same three tables.

- SQLite: a file in tmp_path (always).
- PostgreSQL: a second database (etl_src_<pid>) created on the embedded server that holds the
  test database, dropped at the end of the session.
- MySQL/MariaDB: a database etl_src_<pid> on the server at MARIADB_URL
  (mysql://user:password@host:port/), skipped when it is not set or not reachable.

``source_db`` is parametrised over the three; each test gets empty tables.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from sync.etl.services import etl_source_save
# Field values come in through real sync: the sync tests' fixtures push and process batches.
from tests import servers
from tests.sync.conftest import operator_tokens, push, push_and_process  # noqa: F401
from config.database_urls import parse_source_url
from sync.models import EtlSource

PID = os.getpid()
SOURCE_DATABASE = f"etl_src_{PID}"
PG_PASSWORD = "Pg-Source-Secret-4711"  # the embedded server trusts local users; the URL still carries one
BASE_TIME = datetime(2026, 11, 1, 8, 0, 0)

TABLES = {
    "well_master": [("api_no", "VARCHAR(30)"), ("well_name", "VARCHAR(200)"), ("lease_name", "VARCHAR(200)"),
                    ("status_code", "VARCHAR(8)"), ("state_code", "VARCHAR(4)"), ("updated_at", "{ts}")],
    "equipment_list": [("id", "INTEGER"), ("api_no", "VARCHAR(30)"), ("kind", "VARCHAR(20)"),
                       ("label", "VARCHAR(200)"), ("serial", "VARCHAR(100)"), ("state", "VARCHAR(20)")],
    "daily_production": [("id", "INTEGER"), ("api_no", "VARCHAR(30)"), ("prod_date", "DATE"),
                         ("product", "VARCHAR(20)"), ("volume", "NUMERIC(12,3)"), ("uom", "VARCHAR(8)"),
                         ("down_hrs", "NUMERIC(5,2)"), ("updated_at", "{ts}")],
}

# The mapping most tests use: every kind of transform, an incremental column per table.
MAPPING = {
    "wells": {
        "table": "well_master",
        "columns": {"api_number": "api_no", "name": "well_name", "lease": "lease_name", "status": "status_code",
                    "state": "state_code"},
        "transforms": {"status": {"MAP": {"A": "ACTIVE", "SI": "SHUT_IN", "PA": "PLUGGED"}}, "state": "UPPERCASE"},
        "incremental": "updated_at",
    },
    "equipment": {
        "table": "equipment_list",
        "columns": {"api_number": "api_no", "type": "kind", "name": "label", "serial_number": "serial",
                    "status": "state"},
        "transforms": {"type": "UPPERCASE", "serial_number": "LOWERCASE",
                       "status": {"MAP": {"in": "IN_SERVICE", "out": "OUT_OF_SERVICE"}}},
        "incremental": "id",
    },
    "production": {
        "table": "daily_production",
        "columns": {"api_number": "api_no", "production_date": "prod_date", "product": "product",
                    "volume": "volume", "unit": "uom", "downtime_hours": "down_hrs"},
        "transforms": {"product": ["LOWERCASE", {"MAP": {"o": "OIL", "oil": "OIL", "g": "GAS", "gas": "GAS",
                                                          "w": "WATER", "water": "WATER"}}]},
        "incremental": "updated_at",
    },
}


def at(minutes: int) -> datetime:
    """A source timestamp (naive, as most source tables keep them)."""
    return BASE_TIME + timedelta(minutes=minutes)


def api(n: int) -> str:
    """A valid API number in Eddy county, New Mexico (30-015), written as sources often do."""
    return f"30-015-{n:05d}-00-00"


def api_digits(n: int) -> str:
    return f"30015{n:05d}0000"


@dataclass
class SourceDb:
    """A source database the ETL reads; ``execute`` changes its rows as the tenant's own systems would."""

    kind: str
    url: str
    secret: str = ""
    _connect: object = None
    _placeholder: str = "%s"
    _timestamp: str = "TIMESTAMP"
    extra: dict = field(default_factory=dict)

    def connection(self):
        return self._connect()

    def execute(self, sql: str, *rows) -> None:
        sql = sql.replace("?", self._placeholder)
        conn = self.connection()
        try:
            cursor = conn.cursor()
            if rows:
                for row in rows:
                    cursor.execute(sql, tuple(self._value(v) for v in row))
            else:
                cursor.execute(sql)
            conn.commit()
        finally:
            conn.close()

    def _value(self, value):
        if self.kind != "sqlite":
            return value
        if isinstance(value, datetime):  # SQLite keeps dates and times as ISO text
            return value.isoformat(" ")
        if isinstance(value, (date, Decimal)):
            return str(value)
        return value

    def reset(self) -> None:
        for table, columns in TABLES.items():
            self.execute(f"DROP TABLE IF EXISTS {table}")
            body = ", ".join(f"{name} {kind.format(ts=self._timestamp)}" for name, kind in columns)
            self.execute(f"CREATE TABLE {table} ({body})")

    # Rows, as the tests write them.
    def add_wells(self, *rows) -> None:
        self.execute("INSERT INTO well_master (api_no, well_name, lease_name, status_code, state_code, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", *rows)

    def add_equipment(self, *rows) -> None:
        self.execute("INSERT INTO equipment_list (id, api_no, kind, label, serial, state) VALUES (?, ?, ?, ?, ?, ?)",
                     *rows)

    def add_production(self, *rows) -> None:
        self.execute("INSERT INTO daily_production (id, api_no, prod_date, product, volume, uom, down_hrs, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", *rows)


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def pg_source_database(django_db_setup):
    with servers.pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SOURCE_DATABASE}"')
        admin.execute(f'CREATE DATABASE "{SOURCE_DATABASE}"')
    yield SOURCE_DATABASE
    with servers.pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SOURCE_DATABASE}" WITH (FORCE)')


def pg_url(database: str, *, password: str = PG_PASSWORD) -> str:
    return servers.pg_url(database, password=password)


@pytest.fixture(scope="session")
def mariadb_source_database():
    url = servers.require_mariadb()
    servers.mariadb_database_create(url, SOURCE_DATABASE)
    yield parse_source_url(url + "/mysql"), servers.mariadb_params(url)
    servers.mariadb_database_drop(url, SOURCE_DATABASE)


def _sqlite_source(tmp_path: Path) -> SourceDb:
    path = tmp_path / "field data.db"
    return SourceDb(kind="sqlite", url=f"sqlite:///{path}", _connect=lambda: sqlite3.connect(path),
                    _placeholder="?")


def _pg_source(request) -> SourceDb:
    import psycopg

    database = request.getfixturevalue("pg_source_database")
    db = settings.DATABASES["default"]
    return SourceDb(kind="postgresql", url=pg_url(database), secret=PG_PASSWORD, _connect=lambda: psycopg.connect(
        host=db["HOST"], port=db.get("PORT") or None, user=db["USER"], password=db.get("PASSWORD") or None,
        dbname=database))


def _mysql_source(request) -> SourceDb:
    import pymysql

    parsed, params = request.getfixturevalue("mariadb_source_database")
    url = (f"mysql://{quote(parsed.username, safe='')}:{quote(parsed.password, safe='')}@{parsed.host}:"
           f"{parsed.port or 3306}/{SOURCE_DATABASE}")
    return SourceDb(kind="mysql", url=url, secret=parsed.password, _timestamp="DATETIME",
                    _connect=lambda: pymysql.connect(database=SOURCE_DATABASE, **params))


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def source_db(request, tmp_path) -> SourceDb:
    maker = {"sqlite": lambda: _sqlite_source(tmp_path), "postgresql": lambda: _pg_source(request),
             "mysql": lambda: _mysql_source(request)}[request.param]
    source = maker()
    source.reset()
    return source


@pytest.fixture
def sqlite_db(tmp_path) -> SourceDb:
    source = _sqlite_source(tmp_path)
    source.reset()
    return source


@pytest.fixture
def pg_db(request) -> SourceDb:
    source = _pg_source(request)
    source.reset()
    return source


# --------------------------------------------------------------------------- tenant side


@pytest.fixture
def make_source(tenant_a, db):
    """Register an ETL source in tenant A: ``make_source(source_db, mapping=..., name=...)``."""

    def _make(source: SourceDb | str, *, mapping: dict | None = None, name: str = "Corporate DB",
              interval_minutes: int = 15, enabled: bool = True) -> EtlSource:
        url = source if isinstance(source, str) else source.url
        with schema_context(tenant_a.tenant.schema_name):
            return etl_source_save(source=None, name=name, url=url, interval_minutes=interval_minutes,
                                   enabled=enabled, mapping=mapping if mapping is not None else MAPPING)

    return _make


@pytest.fixture
def in_a(tenant_a):
    return lambda: schema_context(tenant_a.tenant.schema_name)
