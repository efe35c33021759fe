"""The source URL holds a database password: encrypted at rest, masked wherever it is shown."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from config.crypto import DecryptionFailed, decrypt, encrypt
from sync.etl.loader import etl_source_run
from sync.etl.services import etl_source_save, etl_source_test_connection, etl_source_url
from config.database_urls import InvalidSourceUrl, parse_source_url
from sync.models import EtlRun
from tests.etl.conftest import MAPPING

pytestmark = pytest.mark.django_db
PASSWORD = "Xy7-very-secret-pw"
URL = f"postgresql://etl_user:{PASSWORD}@db.example:5432/fielddata"


def test_the_url_is_encrypted_at_rest_and_masked(make_source, in_a):
    source = make_source(URL)

    with in_a(), connection.cursor() as cursor:
        cursor.execute("SELECT url_encrypted, url_masked FROM sync_etlsource WHERE id = %s", [source.pk])
        stored, masked = cursor.fetchone()
        assert PASSWORD not in stored and "db.example" not in stored and "etl_user" not in stored
        assert masked == "postgresql://etl_user:•••@db.example:5432/fielddata"
        assert decrypt(stored) == URL
        assert etl_source_url(source).password == PASSWORD
    assert PASSWORD not in str(source) and PASSWORD not in repr(source)
    assert str(source) == "Corporate DB (postgresql://etl_user:•••@db.example:5432/fielddata)"


@pytest.mark.parametrize("url, masked", [
    ("postgres://u:p%40ss@h/db?sslmode=require", "postgresql://u:•••@h/db?sslmode=require"),
    ("mysql://etl:pw@10.0.0.5:3307/field", "mysql://etl:•••@10.0.0.5:3307/field"),
    ("mariadb://etl:pw@[fd00::5]/field", "mysql://etl:•••@[fd00::5]/field"),
    ("mssql://sa:P@ss;word@sql.example:1433/FieldData", "mssql://sa:•••@sql.example:1433/FieldData"),
    ("postgresql://u@h/db?password=hunter22", "postgresql://u@h/db?password=•••"),
    ("postgresql://u:pw@/db?host=/var/run/postgresql", "postgresql://u:•••@%2Fvar%2Frun%2Fpostgresql/db"),
    ("sqlite:////srv/field.db", "sqlite:////srv/field.db"),
])
def test_urls_of_every_engine_are_masked(url, masked):
    parsed = parse_source_url(url)
    assert parsed.masked() == masked
    assert repr(parsed) == f"SourceUrl({masked})"


@pytest.mark.parametrize("url, message", [
    ("db.example/fielddata", "A source URL looks like postgresql://"),
    ("oracle://u:pw@h/db", "Unknown database type 'oracle'"),
    ("postgresql://u:pw@h:99999/db", "The port must be a number from 1 to 65535."),
    ("postgresql://u:pw@h", "names no database"),
    ("mysql://u:pw@h/db?ssl_mode=on", "Unsupported option(s) for a MySQL/MariaDB source: ssl_mode"),
])
def test_bad_urls_are_explained_without_repeating_them(url, message):
    with pytest.raises(InvalidSourceUrl) as caught:
        parse_source_url(url)
    assert message in str(caught.value)
    assert "pw" not in str(caught.value)


def test_the_key_comes_from_settings_and_can_be_rotated(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PUMPJACK_ENCRYPTION_KEY=old_key):
        token = encrypt(URL)
    with override_settings(PUMPJACK_ENCRYPTION_KEY=new_key), pytest.raises(DecryptionFailed):
        decrypt(token)
    with override_settings(PUMPJACK_ENCRYPTION_KEY=f"{new_key},{old_key}"):
        assert decrypt(token) == URL  # the old key still reads what it wrote
        assert Fernet(new_key.encode()).decrypt(encrypt(URL).encode()).decode() == URL  # the first key writes
    # Unset (development, tests): a key derived from SECRET_KEY.
    assert settings.PUMPJACK_ENCRYPTION_KEY == "" and decrypt(encrypt("x")) == "x"


def test_an_unreachable_source_fails_its_run_without_the_password_and_is_retried(make_source, in_a, caplog):
    source = make_source(f"postgresql://etl_user:{PASSWORD}@127.0.0.1:1/fielddata")

    with caplog.at_level(logging.DEBUG), in_a():
        first = etl_source_run(source_id=source.pk)
        second = etl_source_run(source_id=source.pk)  # the next run tries again

    for run in (first, second):
        assert run.status == EtlRun.Status.FAILED and run.finished_at is not None
        assert "cannot be reached" in run.error and "127.0.0.1:1" in run.error
        assert PASSWORD not in run.error
    assert PASSWORD not in caplog.text
    with in_a():
        assert EtlRun.objects.filter(source=source).count() == 2


def test_connection_test_messages_say_what_is_wrong(pg_db, sqlite_db, tmp_path, db):
    from tests.etl.conftest import pg_url

    missing_db = etl_source_test_connection(url=pg_url("no_such_database_here"))
    assert missing_db.kind == "database_missing" and "'no_such_database_here' does not exist" in missing_db.summary
    assert "Pg-Source-Secret" not in missing_db.summary

    unreachable = etl_source_test_connection(url=f"mysql://etl:{PASSWORD}@127.0.0.1:1/field")
    assert unreachable.kind == "unreachable" and PASSWORD not in unreachable.summary

    unknown_host = etl_source_test_connection(url=f"postgresql://etl:{PASSWORD}@no-such-host.invalid/field")
    assert unknown_host.kind == "unreachable" and "no-such-host.invalid" in unknown_host.summary

    no_file = etl_source_test_connection(url=f"sqlite:///{tmp_path}/missing.db")
    assert no_file.kind == "database_missing" and "does not exist" in no_file.summary

    assert etl_source_test_connection(url=pg_db.url).ok
    assert etl_source_test_connection(url=sqlite_db.url).ok


def test_bad_credentials_are_reported_as_such(request, db):
    from tests.etl.conftest import SOURCE_DATABASE
    from tests.servers import mariadb_server as _mariadb_server

    # The embedded PostgreSQL trusts local users: only MariaDB checks passwords here. The fixture
    # skips without a server, and fails under CI (which starts one).
    request.getfixturevalue("mariadb_source_database")
    url, _ = _mariadb_server()
    parsed = parse_source_url(url.rstrip("/") + "/x")
    wrong = f"mysql://{parsed.username}:Wrong-{PASSWORD}@{parsed.host}:{parsed.port or 3306}/{SOURCE_DATABASE}"

    result = etl_source_test_connection(url=wrong)

    assert result.kind == "bad_credentials" and "Bad credentials" in result.summary
    assert PASSWORD not in result.summary
    missing = etl_source_test_connection(url=url.rstrip("/") + "/no_such_database_here")
    assert missing.kind == "database_missing"


def test_sql_server_without_its_driver_says_so(db):
    """pymssql is optional: without it, a SQL Server source explains what to install."""
    try:
        import pymssql  # noqa: F401
    except ImportError:
        result = etl_source_test_connection(url=f"mssql://sa:{PASSWORD}@sql.example:1433/FieldData")
        assert result.kind == "driver_missing" and "pymssql" in result.summary
    else:
        pytest.skip("pymssql is installed here")


def test_saving_keeps_the_stored_url_when_none_is_given(make_source, in_a):
    source = make_source(URL)
    with in_a():
        saved = etl_source_save(source=source, name="Renamed", url="", interval_minutes=30, enabled=False,
                                mapping=MAPPING)
        assert decrypt(saved.url_encrypted) == URL and saved.url_masked == source.url_masked
        assert (saved.name, saved.interval_minutes, saved.enabled) == ("Renamed", 30, False)
