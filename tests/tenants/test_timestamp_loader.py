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
