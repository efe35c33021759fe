"""PostgreSQL timestamps are parsed by psycopg's C loader (tenants.backends.postgresql) and come
back as Django's own loader gives them: aware, with the connection's time zone as their tzinfo."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.pq import Format

from tenants.backends.postgresql.base import _TIMESTAMPTZ, _TzLoader

pytestmark = pytest.mark.django_db


def test_timestamps_load_through_the_c_parser_as_django_loads_them():
    with connection.cursor() as cursor:
        loader = connection.connection.adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)
        assert issubclass(loader, _TzLoader) and not issubclass(loader, BaseTzLoader)
        assert loader.timezone == connection.timezone == timezone.utc
        cursor.execute("SELECT '2026-01-01 10:00:00.123456-05'::timestamptz, '0001-01-01 00:00:00+00'::timestamptz, "
                       "NULL::timestamptz")
        moment, earliest, missing = cursor.fetchone()
    assert moment == datetime(2026, 1, 1, 15, 0, 0, 123456, tzinfo=timezone.utc) and moment.tzinfo is timezone.utc
    assert earliest == datetime(1, 1, 1, tzinfo=timezone.utc) and missing is None


def _loaded(cursor, sql):
    cursor.execute(sql)
    return cursor.fetchall()


SAMPLE = ("SELECT '2026-01-01 10:00:00.123456-05'::timestamptz, '2026-07-01 23:59:59+02'::timestamptz, "
          "'1900-03-01 00:00:00+00'::timestamptz, NULL::timestamptz")


@pytest.mark.parametrize("session_zone", [None, "America/Chicago"])
def test_a_session_in_its_own_time_zone_loads_what_djangos_loader_loads(session_zone):
    """UTC (as Django sets up every connection): psycopg's C loader itself, no Python per value.
    Another session time zone (set by hand): the values Django's own loader gives."""
    with connection.cursor() as cursor:
        if session_zone:
            cursor.execute("SET TIME ZONE %s", [session_zone])
        try:
            ours = _loaded(cursor, SAMPLE)
            raw = cursor.cursor
            instance = raw._tx.get_loader(_TIMESTAMPTZ, Format.TEXT)
            assert isinstance(instance, _TzLoader) == bool(session_zone)
            assert type(instance).__module__.startswith("psycopg") == (not session_zone)
            django_loader = type("DjangoTz", (BaseTzLoader,), {"timezone": connection.timezone})
            raw.adapters.register_loader("timestamptz", django_loader)
            assert _loaded(cursor, SAMPLE) == ours
            assert [value.tzinfo for value in ours[0][:3]] == [timezone.utc] * 3
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
