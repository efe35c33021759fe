"""The sync write path's bulk statements: many rows in one round trip, with little Python per row.

On PostgreSQL rows go in with COPY (psycopg 3 ``cursor.copy()``: no SQL to build, no literal to
quote, values sent as the server reads them) and outcomes are set by one UPDATE joined to arrays
(server-side ``unnest``), whatever the number of distinct values. Elsewhere (MySQL/MariaDB
DATABASE-level tenants) the portable path is Django's own: ``bulk_create`` (a multi-row INSERT)
and one UPDATE per distinct value.

Every function writes to the active tenant's database (``tenants.databases.current_db``) inside
the caller's transaction.
"""

from __future__ import annotations

import functools
import json
import operator
import uuid
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Sequence

from django.db import connections
from django.db.models import NOT_PROVIDED, AutoField, BigAutoField, JSONField, SmallAutoField
from django.utils import timezone

from tenants import databases as tenant_db

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def _written(field) -> bool:
    """Whether COPY sends a value: not for an auto-increment key or a field with a database
    default (``db_default``, e.g. a transaction id the server fills in), which the server fills."""
    return not isinstance(field, _AUTO) and field.db_default is NOT_PROVIDED


def _connection():
    return connections[tenant_db.current_db()]


def copy_available(connection=None) -> bool:
    return (connection or _connection()).vendor == "postgresql"


@functools.cache
def _plan(model) -> tuple[str, tuple[str, ...], tuple[tuple[str, Any], ...], tuple[str, ...]]:
    """(table, columns, (attname, JSON encoder or None) per column, attnames of auto_now(_add)
    fields) of the concrete fields a COPY writes (``_written``)."""
    fields = [f for f in model._meta.concrete_fields if _written(f)]
    converters = tuple((f.attname, (f.encoder or json.JSONEncoder) if isinstance(f, JSONField) else None)
                       for f in fields)
    stamped = tuple(f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
    return model._meta.db_table, tuple(f.column for f in fields), converters, stamped


def _copy(connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        if getattr(cursor.cursor, "pending_search_path", None) is not None:
            # A tenant schema's search_path travels with the next statement (tenants.backends.
            # postgresql), and COPY is not one that carries it: a statement of its own first.
            cursor.execute("SELECT 1")
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def insert_objects(model, objs: list) -> None:
    """Store unsaved model instances whose primary keys are set (or auto-increment), as
    ``bulk_create`` would: auto_now(_add) fields stamped with one moment, instances marked saved."""
    if not objs:
        return
    connection = _connection()
    if not copy_available(connection):
        model.objects.bulk_create(objs)
        return
    table, columns, converters, stamped = _plan(model)
    now = timezone.now()
    for obj in objs:
        for name in stamped:
            setattr(obj, name, now)
    dumps = json.dumps
    names = tuple(name for name, _ in converters)
    # Read from the instance's __dict__ in one C call: getattr goes through a descriptor for every
    # foreign key and the pk (a sync chunk writes ~10,000 rows of a dozen fields).
    values_of = operator.itemgetter(*names) if len(names) > 1 else (lambda data: (data[names[0]],))
    encoded = [(n, encoder) for n, (_, encoder) in enumerate(converters) if encoder is not None]

    def row(obj):
        try:
            values = list(values_of(obj.__dict__))
        except KeyError:  # a deferred field: loaded through its descriptor (a query)
            values = [getattr(obj, name) for name in names]
        for n, encoder in encoded:
            values[n] = _json(dumps, values[n], encoder)
        return values

    # Rows made before the COPY starts: a deferred field's query cannot run on a connection in COPY.
    _copy(connection, table, columns, [row(obj) for obj in objs])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model, names: Sequence[str], rows: list[Sequence], *, encoded: Sequence[str] = ()) -> None:
    """Store plain rows (values in the order of ``names``, model attribute names; every other
    field takes its default), without making a model instance per row on PostgreSQL. JSON values
    are Python objects, except in the JSON fields named in ``encoded``, whose values are already
    their JSON text (or None); auto_now(_add) fields not named are stamped with one moment."""
    if not rows:
        return
    connection = _connection()
    if not copy_available(connection):
        decoded = [name in encoded for name in names]
        model.objects.bulk_create([model(**{name: json.loads(value) if text and value is not None else value
                                            for name, text, value in zip(names, decoded, row)}) for row in rows])
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    missing = [f for f in model._meta.concrete_fields if f.attname not in names and _written(f)]
    now = timezone.now()
    extra = tuple(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
                  for f in missing)
    jsons = [n for n, name in enumerate(names) if isinstance(fields[name], JSONField) and name not in encoded]
    extra = tuple(_json(json.dumps, value, fields[f.attname].encoder or json.JSONEncoder)
                  if isinstance(f, JSONField) else value for f, value in zip(missing, extra))
    dumps = json.dumps

    def row(values):
        values = list(values)
        for n in jsons:
            values[n] = _json(dumps, values[n], fields[names[n]].encoder or json.JSONEncoder)
        return (*values, *extra)

    columns = [fields[name].column for name in names] + [f.column for f in missing]
    _copy(connection, model._meta.db_table, columns, map(row, rows))


def _json(dumps, value, encoder) -> str | None:
    if value is None:
        return None
    if type(value) is list and not value:  # every accepted event's errors
        return "[]"
    # json.dumps without cls= reuses its one default encoder (a new one per call is slow).
    return dumps(value) if encoder is json.JSONEncoder else dumps(value, cls=encoder)


def _element(value) -> str:
    if value is None:
        return "NULL"
    kind = type(value)
    if kind is int or kind is Decimal or kind is uuid.UUID:
        return str(value)
    if kind is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime or kind is date:
        return f'"{value.isoformat()}"'
    if isinstance(value, str):  # a str subclass, e.g. a TextChoices member such as SyncEvent.Outcome.APPLIED
        return _element(str.__str__(value))
    raise TypeError(kind)


def array_text(values: Iterable) -> str | list:
    """An array parameter as PostgreSQL's text form of it ('{1,2,"a b",NULL}'), for a statement
    that casts it (``%s::bigint[]``): Django's cursors bind on the client, where psycopg dumps a
    list item by item in Python (a 10,000-item array: several milliseconds a parameter), and a
    string is one value. Elements of another type than int, str, bool, Decimal, UUID, date or
    datetime: the list itself, dumped by psycopg."""
    values = list(values)
    try:
        return "{" + ",".join(map(_element, values)) + "}"
    except TypeError:
        return values


def set_values(model, column: str, values: dict[Any, Any], **same) -> None:
    """``UPDATE`` rows by primary key: ``column`` to each row's own value (``values``: pk ->
    value), and the fields in ``same`` to one value for all. PostgreSQL: one statement."""
    if not values:
        return
    connection = _connection()
    if not copy_available(connection):
        by_value = defaultdict(list)
        for pk, value in values.items():
            by_value[value].append(pk)
        for value, pks in by_value.items():
            model.objects.filter(pk__in=pks).update(**{column: value}, **same)
        return
    meta = model._meta
    field = meta.get_field(column)
    quote = connection.ops.quote_name
    assignments, params = [f"{quote(field.column)} = v.value"], []
    for name, value in same.items():
        same_field = meta.get_field(name)
        assignments.append(f"{quote(same_field.column)} = %s")
        params.append(same_field.get_db_prep_save(value, connection))
    pk_type = meta.pk.db_type(connection)
    value_type = field.db_type(connection)
    sql = (f"UPDATE {quote(meta.db_table)} AS t SET {', '.join(assignments)} "
           f"FROM (SELECT unnest(%s::{pk_type}[]) AS pk, unnest(%s::{value_type}[]) AS value) AS v "
           f"WHERE t.{quote(meta.pk.column)} = v.pk")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, array_text(values), array_text(values.values())])


def locked_pending_events(event_pks: list, names: Sequence[str]) -> list[tuple]:
    """The pending sync events among ``event_pks``, locked for this transaction (skipping those
    another worker holds), in processing order (occurredAt, receipt, event id): ``names`` of each, the
    JSON ones decoded. PostgreSQL: one statement without the ORM (a chunk's thousands of ids go
    as one array, not as a list of literals to compile and quote)."""
    from ..models import SyncEvent

    connection = _connection()
    pending = SyncEvent.Outcome.PENDING
    if not copy_available(connection):
        return list(SyncEvent.objects.select_for_update(skip_locked=True, of=tenant_db.lock_of("self"))
                    .filter(pk__in=event_pks, outcome=pending)
                    .order_by("occurred_at", "received_at", "event_id").values_list(*names))
    meta, quote = SyncEvent._meta, connection.ops.quote_name
    fields = [meta.pk if name == "pk" else meta.get_field(name) for name in names]
    jsons = [n for n, f in enumerate(fields) if isinstance(f, JSONField)]
    ids = array_text(int(pk) for pk in event_pks)
    sql = (f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "
           f"WHERE {quote(meta.pk.column)} = ANY(%s::bigint[]) AND {quote(meta.get_field('outcome').column)} = %s "
           f"ORDER BY {quote('occurred_at')}, {quote('received_at')}, {quote('event_id')} "
           f"FOR UPDATE SKIP LOCKED")
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, pending])
        rows = cursor.fetchall()
    if jsons:
        loads = json.loads
        decoded = []
        for row in rows:  # only the JSON columns touched (a chunk has thousands of rows)
            row = list(row)
            for n in jsons:
                if row[n] is not None:
                    row[n] = loads(row[n])
            decoded.append(tuple(row))
        rows = decoded
    return rows


def pending_of_batch(batch_id, order: Sequence[str], *, with_well: bool) -> list[tuple]:
    """(pk,) or, ``with_well``, (pk, the cleaned payload's well_id) of the batch's pending
    events, in ``order``. PostgreSQL: the well's tag is read by the server (``->>``, text) for
    thousands of rows, not decoded from JSON by the ORM row by row; what the ORM gives for a
    string, and None where it gives None."""
    from ..models import SyncEvent

    connection = _connection()
    pending = SyncEvent.objects.filter(batch_id=batch_id, outcome=SyncEvent.Outcome.PENDING).order_by(*order)
    if not with_well:
        return list(pending.values_list("pk"))
    if not copy_available(connection):
        return list(pending.values_list("pk", "cleaned__well_id"))
    meta, quote = SyncEvent._meta, connection.ops.quote_name
    sql = (f"SELECT {quote(meta.pk.column)}, {quote(meta.get_field('cleaned').column)} ->> 'well_id' "
           f"FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('batch').column)} = %s "
           f"AND {quote(meta.get_field('outcome').column)} = %s "
           f"ORDER BY {', '.join(quote(meta.get_field(name).column) for name in order)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch_id, SyncEvent.Outcome.PENDING.value])
        return cursor.fetchall()


def rows_with_values(model, column: str, values: list, names: Sequence[str]) -> list[tuple]:
    """``names`` of the rows whose ``column`` is one of ``values`` (thousands of them: on
    PostgreSQL one array parameter, not a list of literals to compile and quote), JSON decoded."""
    if not values:
        return []
    connection = _connection()
    if not copy_available(connection):
        return list(model.objects.filter(**{f"{column}__in": values}).values_list(*names))
    meta, quote = model._meta, connection.ops.quote_name
    field = meta.get_field(column)
    fields = [meta.pk if name == "pk" else meta.get_field(name) for name in names]
    array = array_text(values)
    sql = (f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "
           f"WHERE {quote(field.column)} = ANY(%s::{field.db_type(connection)}[])")
    with connection.cursor() as cursor:
        cursor.execute(sql, [array])
        rows = cursor.fetchall()
    jsons = [n for n, f in enumerate(fields) if isinstance(f, JSONField)]
    if jsons and rows:
        rows = [tuple(json.loads(v) if n in jsons and v is not None else v for n, v in enumerate(row))
                for row in rows]
    return rows
