"""django-tenants' PostgreSQL backend, sending a tenant switch's `SET search_path` together with
the first query after it (one round trip instead of two).

django-tenants runs `SET search_path = <tenant>, public` as a statement of its own before the
first query in another tenant's schema: a request to a tenant other than the previous one pays
one more round trip than a request to the same tenant. Here, for ordinary (client-side binding)
cursors, the SET travels in the same simple-protocol message as the query; psycopg then moves
past the SET's result to the query's. The connection is only marked as switched once that
message succeeded: if it fails, the next query sends the SET again, so a failed statement can
never leave queries running in the previous tenant's schema.
"""

from __future__ import annotations

import functools
import re

from django.db.backends.postgresql.base import Cursor
from psycopg import adapt, adapters
from psycopg._tz import get_tzinfo
from psycopg.pq import Format
from django_tenants.postgresql_backend import base
from django_tenants.utils import get_limit_set_calls, quote_schema_name


# Only these travel with the SET: a multi-statement message runs as one transaction block, which
# statements such as CREATE DATABASE or VACUUM refuse; they get the SET on its own, as before.
_DML = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
# Transaction control reads no table, so it needs no search_path, and it must not wait behind one:
# after a failed statement the transaction accepts nothing but ROLLBACK (TO SAVEPOINT), so a SET
# sent first would fail, the savepoint would never be rolled back, and Django would mark the whole
# outer transaction broken. The SET stays pending for the next statement instead. (Behind
# PgBouncer, DATABASE_POOLER=pgbouncer, a SET precedes every cursor's first statement: without this
# any caught database error inside atomic() broke the transaction around it.)
_TRANSACTION_CONTROL = re.compile(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|COMMIT|BEGIN|START\s+TRANSACTION)\b",
                                  re.IGNORECASE)


class SearchPathCursor(Cursor):
    pending_search_path: tuple[str, list[str], object] | None = None  # (SQL, schemas, wrapper)

    def execute(self, query, params=None, **kwargs):
        pending = self.pending_search_path
        if pending is not None and isinstance(query, str) and _TRANSACTION_CONTROL.match(query):
            return super().execute(query, params, **kwargs)
        if pending is None or not isinstance(query, str) or not _DML.match(query):
            self._send_pending()
            return super().execute(query, params, **kwargs)
        self.pending_search_path = None
        statement, schemas, wrapper = pending
        try:
            result = super().execute(f"{statement}; {query}", params, **kwargs)
            self.nextset()  # from the SET's result to the query's
        except BaseException:
            wrapper.search_path_set_schemas = None
            raise
        wrapper.search_path_set_schemas = schemas
        return result

    def executemany(self, query, params_seq, **kwargs):
        self._send_pending()
        return super().executemany(query, params_seq, **kwargs)

    def _send_pending(self) -> None:
        pending, self.pending_search_path = self.pending_search_path, None
        if pending is not None:
            statement, schemas, wrapper = pending
            super().execute(statement)
            wrapper.search_path_set_schemas = schemas


_TIMESTAMPTZ = adapters.types["timestamptz"].oid
# psycopg's own timestamptz loader: its C implementation with psycopg[binary], which can't be subclassed.
_FAST_TIMESTAMPTZ = adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)


class _TzLoader(adapt.Loader):
    """Django's timestamptz loader (django.db.backends.postgresql.psycopg_any.BaseTzLoader: the
    value with ``timezone`` as its tzinfo), parsing with psycopg's C loader where Django's
    subclasses the pure-Python one: 4 times faster a value, and processing a 10,000-event sync
    batch loads 29,000 of them.

    When the connection's own time zone (its TimeZone parameter, which the C loader converts to)
    is ``timezone`` itself, as Django sets it up (UTC with USE_TZ), the C loader alone gives
    what Django's gives: it is used as it is, and rows are loaded without a Python call a value."""

    timezone = None

    def __new__(cls, oid, context=None):
        connection = getattr(context, "connection", None)
        if connection is not None and cls.timezone is not None and get_tzinfo(connection.pgconn) is cls.timezone:
            return _FAST_TIMESTAMPTZ(oid, context)  # not a _TzLoader: __init__ is not called
        return super().__new__(cls)

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._parse = _FAST_TIMESTAMPTZ(oid, context).load

    def load(self, data):
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.cache
def _adapters(template, timezone):
    """Django's adapters map for the connection, with the faster loader for the same time zone."""
    loader = type("SpecificTzLoader", (_TzLoader,), {"timezone": timezone, "__module__": __name__})
    context = adapt.AdaptersMap(template)
    context.register_loader("timestamptz", loader)
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is Cursor:
            params["cursor_factory"] = SearchPathCursor
        template = params.get("context")  # Django's, with its loader for self.timezone (None without USE_TZ)
        django_loader = template.get_loader(_TIMESTAMPTZ, Format.TEXT) if template is not None else None
        if getattr(django_loader, "timezone", 0) == self.timezone:
            params["context"] = _adapters(template, self.timezone)
        return params

    def _handle_search_path(self, cursor=None):
        raw = getattr(cursor, "cursor", None)  # Django's CursorWrapper around psycopg's cursor
        if not isinstance(raw, SearchPathCursor) or self._setting_search_path:
            return super()._handle_search_path(cursor)
        if get_limit_set_calls() and self.search_path_set_schemas:
            return
        if not self.schema_name:
            return super()._handle_search_path(cursor)  # raises the usual ImproperlyConfigured
        schemas = self._get_cursor_search_paths()
        statement = "SET search_path = " + ",".join(quote_schema_name(s) for s in schemas)
        raw.pending_search_path = (statement, schemas, self)
