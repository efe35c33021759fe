"""Copying every table of a tenant from one place to another, chunked and checked."""

from __future__ import annotations

import logging

from django.core.management.color import no_style
from django.db import connections, transaction

from .base import (
    CHUNK_ROWS,
    TenantMoveFailed,
    copy_order,
    tenant_models,
)

log = logging.getLogger(__name__)


def tables_copy(source: str, target: str, *, progress=None) -> dict[str, int]:
    """Copy every tenant table from ``source`` to ``target`` in one transaction on the target."""
    models = copy_order(tenant_models())
    wrapper = connections[target]
    copied: dict[str, int] = {}
    with transaction.atomic(using=target):
        with wrapper.constraint_checks_disabled():
            for model in reversed(models):  # what migrate/clone put there: the source's rows replace it
                with wrapper.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {wrapper.ops.quote_name(model._meta.db_table)}")
            for model in models:
                copied[model._meta.db_table] = table_copy(model, source, target)
                if progress is not None:
                    progress(model._meta.db_table, copied[model._meta.db_table])
        wrapper.check_constraints(table_names=[m._meta.db_table for m in models])
        with wrapper.cursor() as cursor:
            for statement in wrapper.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
    return copied


def table_copy(model, source: str, target: str) -> int:
    """Keyset-paged (by primary key) reads through the ORM, so each value comes out as Python
    (JSON, UUID, aware datetimes, booleans) whatever the source engine, and goes in prepared for
    the target's; raw inserts keep every column as it was (no auto_now, no defaults)."""
    fields = list(model._meta.concrete_fields)
    attnames = [f.attname for f in fields]
    pk_index = attnames.index(model._meta.pk.attname)
    wrapper = connections[target]
    quote = wrapper.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    rows_read = model._base_manager.using(source).order_by("pk").values_list(*attnames)
    total, last = 0, None
    while True:
        page = list((rows_read if last is None else rows_read.filter(pk__gt=last))[:CHUNK_ROWS])
        if not page:
            return total
        prepared = [[f.get_db_prep_save(value, connection=wrapper) for f, value in zip(fields, row)] for row in page]
        with wrapper.cursor() as cursor:
            cursor.executemany(sql, prepared)
        total += len(page)
        last = page[-1][pk_index]


def copy_verify(source: str, target: str, copied: dict[str, int]) -> None:
    for model in tenant_models():
        table = model._meta.db_table
        in_source = model._base_manager.using(source).count()
        in_target = model._base_manager.using(target).count()
        if in_source != in_target or in_target != copied.get(table):
            raise TenantMoveFailed(
                f"Row counts differ in table {table}: {in_source} in the source, {in_target} in the target "
                f"(copied {copied.get(table, 0)}). Nothing was switched; the tenant stays where it was. A write "
                "may have reached the source during the copy: try again.", table=table)
