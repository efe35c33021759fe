"""CSV exports of field records (API.md section 14): production, readings, run tickets and tank
gauges, streamed in chunks with a header row. The API (wells.export_apis) and the portal
(wells.export_views) both serve ``export_stream``.

- Rows: the current record of each conflict key; ``include_superseded`` adds the others, and a
  ``supersededBy`` column (the id of the record that replaced each one, empty for a current one).
- Values: as stored, never rounded again (a volume kept to 3 decimals prints its 3 decimals);
  times in the tenant's time zone with their offset (``2026-11-03T08:15:00-06:00``), days as
  ``YYYY-MM-DD``; who recorded each record (the user's e-mail) and the sync event it came from.
- Memory: one query read through a server-side cursor (Django's chunked cursor) in chunks of
  ``CHUNK_ROWS`` rows, each written out as it is read. On PostgreSQL the database writes every
  cell as text (the ``_Pg*`` expressions: the same bytes as the Python converters, which the
  tests hold them to), in a transaction of the export's own with the session's time zone set to
  the tenant's (``_Release``). Where server-side cursors are off (behind PgBouncer) or the
  driver buffers results (MySQL/MariaDB, SQL Server), the rows are held by the driver instead:
  the CSV is still streamed, but memory grows with the export.
- A client that goes away mid-download: the WSGI server closes the response, which closes the
  chunks and ``_Release``: the cursor is closed and the transaction ends; the connection is left
  clean for the next request (tests/portal/test_export_server.py, on a running server).
- CSV injection: a text cell (names, notes, e-mails, ticket numbers...) whose first character is
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a
  spreadsheet shows it as text and never evaluates it (OWASP's advice). Numbers, ids and dates are
  written by the server and never start so, except a negative number, which stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import DatabaseError, connections, transaction
from django.db.models import F, Func, QuerySet, TextField, Value
from django.db.models.functions import Cast

from .lease_selectors import leases_for_user
from .leases import RunTicket, StrappingRow as StrappingRowModel, TankGauge
from .models import ProductionRecord, WellReading
from .selectors import wells_for_user
from .strapping import LevelOutOfRange, StrappingRow, barrels_at

CHUNK_ROWS = 2000
KINDS = ("production", "readings", "run-tickets", "tank-gauges")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value) -> str:
    """A text cell a spreadsheet will not evaluate (see the module's docstring)."""
    text = "" if value is None else str(value)
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def _plain(value) -> str:
    return "" if value is None else str(value)


def _listed(value) -> str:
    """A JSON list (seal numbers) as one cell: its items separated by "; "."""
    if not value:
        return ""
    if isinstance(value, list):
        return safe_text("; ".join(str(item) for item in value))
    return safe_text(value)


@dataclass(frozen=True)
class Column:
    header: str
    source: str  # the field path read (values_list)
    kind: str = "plain"  # plain (ids, numbers, choices) | text | date | datetime | list


@dataclass(frozen=True)
class Export:
    kind: str
    columns: tuple[Column, ...]
    rows: Callable  # (user, filters, time_zone) -> QuerySet of the model
    order: tuple[str, ...]


PRODUCTION = (
    Column("id", "id"), Column("wellId", "well_id"), Column("apiNumber", "well__api_number"),
    Column("wellName", "well__name", "text"), Column("leaseId", "well__lease_ref_id"),
    Column("lease", "well__lease", "text"), Column("productionDate", "production_date", "date"),
    Column("product", "product"), Column("volume", "volume"), Column("unit", "unit"),
    Column("volumeNormalized", "volume_normalized"), Column("downtimeHours", "downtime_hours"),
    Column("downtimeReason", "downtime_reason", "text"), Column("recordedAt", "recorded_at", "datetime"),
    Column("recordedBy", "recorded_by__email", "text"), Column("sourceEventId", "source_event_id"),
    Column("createdAt", "created_at", "datetime"),
)
READINGS = (
    Column("id", "id"), Column("wellId", "well_id"), Column("apiNumber", "well__api_number"),
    Column("wellName", "well__name", "text"), Column("leaseId", "well__lease_ref_id"),
    Column("lease", "well__lease", "text"), Column("equipmentId", "equipment_id"),
    Column("readingType", "reading_type"), Column("value", "value"), Column("unit", "unit"),
    Column("valueNormalized", "value_normalized"), Column("recordedAt", "recorded_at", "datetime"),
    Column("recordedBy", "recorded_by__email", "text"), Column("sourceEventId", "source_event_id"),
    Column("createdAt", "created_at", "datetime"),
)
RUN_TICKETS = (
    Column("id", "id"), Column("leaseId", "lease_id"), Column("lease", "lease__name", "text"),
    Column("tankId", "tank_id"), Column("tank", "tank__name", "text"),
    Column("ticketNumber", "ticket_number", "text"), Column("kind", "kind"),
    Column("closedAt", "closed_at", "datetime"), Column("observedGravityApi", "observed_gravity_api"),
    Column("observedTemperatureF", "observed_temperature_f"), Column("bswPercent", "bsw_percent"),
    Column("disposition", "disposition"), Column("openingLevel", "opening_level"),
    Column("closingLevel", "closing_level"), Column("unit", "unit"),
    Column("openingTotalizerBbl", "opening_totalizer_bbl"), Column("closingTotalizerBbl", "closing_totalizer_bbl"),
    Column("meterFactor", "meter_factor"), Column("purchaser", "purchaser", "text"),
    Column("sealsRemoved", "seals_removed", "list"), Column("sealsInstalled", "seals_installed", "list"),
    Column("notes", "notes", "text"), Column("gravity60F", "gravity_60f"), Column("ctl", "ctl"),
    Column("grossObservedBbl", "gross_observed_bbl"), Column("grossStandardBbl", "gross_standard_bbl"),
    Column("netBbl", "net_bbl"), Column("recordedBy", "recorded_by__email", "text"),
    Column("sourceEventId", "source_event_id"), Column("createdAt", "created_at", "datetime"),
)
TANK_GAUGES = (
    Column("id", "id"), Column("leaseId", "tank__lease_id"), Column("lease", "tank__lease__name", "text"),
    Column("tankId", "tank_id"), Column("tank", "tank__name", "text"), Column("product", "tank__product"),
    Column("gaugedAt", "gauged_at", "datetime"), Column("level", "level"), Column("unit", "unit"),
    Column("levelInches", "level_inches"),
    # Not stored: by the tank's strapping table as it is now (empty where the table does not reach).
    Column("barrels", "level_inches", "barrels"),
    Column("temperatureF", "temperature_f"), Column("bswPercent", "bsw_percent"), Column("notes", "notes", "text"),
    Column("recordedBy", "recorded_by__email", "text"), Column("sourceEventId", "source_event_id"),
    Column("createdAt", "created_at", "datetime"),
)
SUPERSEDED = Column("supersededBy", "superseded_by_id")


def _day_start(day: date, zone) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _time_range(rows: QuerySet, field: str, filters: dict, zone) -> QuerySet:
    if filters.get("date_from"):
        rows = rows.filter(**{f"{field}__gte": _day_start(filters["date_from"], zone)})
    date_to = filters.get("date_to")
    if date_to and date_to < date.max:
        rows = rows.filter(**{f"{field}__lt": _day_start(date_to + timedelta(days=1), zone)})
    return rows


def _well_rows(model, date_field: str | None):
    def rows(user, filters: dict, zone) -> QuerySet:
        records = model.objects.filter(well__in=wells_for_user(user=user))
        if filters.get("well_id"):
            records = records.filter(well_id=filters["well_id"])
        if filters.get("lease_id"):
            records = records.filter(well__lease_ref_id=filters["lease_id"])
        if date_field is None:  # production: a day, no time of day
            if filters.get("date_from"):
                records = records.filter(production_date__gte=filters["date_from"])
            if filters.get("date_to"):
                records = records.filter(production_date__lte=filters["date_to"])
            return records
        return _time_range(records, date_field, filters, zone)

    return rows


def _lease_rows(model, lease_path: str, date_field: str):
    """Run tickets and gauges belong to a lease's tanks; ``wellId`` means the lease that well names
    (a well with no lease: no rows)."""

    def rows(user, filters: dict, zone) -> QuerySet:
        records = model.objects.filter(**{f"{lease_path}__in": leases_for_user(user=user)})
        if filters.get("lease_id"):
            records = records.filter(**{lease_path: filters["lease_id"]})
        if filters.get("well_id"):
            wells = wells_for_user(user=user).filter(pk=filters["well_id"], lease_ref__isnull=False)
            records = records.filter(**{f"{lease_path}__in": wells.values("lease_ref")})
        return _time_range(records, date_field, filters, zone)

    return rows


EXPORTS = {
    "production": Export("production", PRODUCTION, _well_rows(ProductionRecord, None),
                         ("production_date", "well__api_number", "product", "created_at", "id")),
    "readings": Export("readings", READINGS, _well_rows(WellReading, "recorded_at"),
                       ("recorded_at", "well__api_number", "created_at", "id")),
    "run-tickets": Export("run-tickets", RUN_TICKETS, _lease_rows(RunTicket, "lease", "closed_at"),
                          ("closed_at", "ticket_number", "created_at", "id")),
    # Tank by tank (one strapping table in hand at a time), each tank's gauges in time order.
    "tank-gauges": Export("tank-gauges", TANK_GAUGES, _lease_rows(TankGauge, "tank__lease", "gauged_at"),
                          ("tank__lease__name", "tank__name", "tank_id", "gauged_at", "created_at", "id")),
}


def export_rows(kind: str, *, user, filters: dict, time_zone) -> QuerySet:
    """The records of one export, in the order they are written (for tests and the stream)."""
    spec = EXPORTS[kind]
    rows = spec.rows(user, filters, time_zone)
    if not filters.get("include_superseded"):
        rows = rows.filter(superseded_by__isnull=True)
    return rows.order_by(*spec.order)


def columns_of(kind: str, *, include_superseded: bool) -> tuple[Column, ...]:
    columns = EXPORTS[kind].columns
    return (*columns, SUPERSEDED) if include_superseded else columns


class _Barrels:
    """The ``barrels`` cell of tank gauges: (tank id, level) -> text. The rows come tank by tank,
    so one strapping table is held at a time (a tenant's tables together can be large)."""

    def __init__(self, db: str):
        self.db, self.tank_id, self.rows, self.heights, self.cache = db, None, [], [], {}

    def __call__(self, tank_id, level) -> str:
        if level is None:
            return ""
        if tank_id != self.tank_id:
            self.tank_id, self.cache = tank_id, {}
            self.rows = [StrappingRow(h, b) for h, b in StrappingRowModel.objects.using(self.db)
                         .filter(tank_id=tank_id).order_by("height_inches").values_list("height_inches", "barrels")]
            self.heights = [row.height_inches for row in self.rows]
        text = self.cache.get(level)
        if text is None:
            try:
                text = str(barrels_at(self.rows, level, self.heights))
            except LevelOutOfRange:
                text = ""
            self.cache[level] = text
        return text


# ------------------------------------------------------------------ PostgreSQL: the cells written by the database


class _PgLocalTime(Func):
    """A timestamp as Python's ``astimezone(zone).isoformat()`` writes it, computed by PostgreSQL
    in the session's time zone, which the export sets to the tenant's (``_Release``)."""

    output_field = TextField()

    def __init__(self, field: str):
        super().__init__(F(field))

    def as_sql(self, compiler, connection, **extra):
        ts, tp = compiler.compile(self.source_expressions[0])
        offset = f"extract(timezone from {ts})::int"
        parts = [
            (f"CASE WHEN {ts} IS NULL THEN NULL ELSE to_char({ts}, 'YYYY-MM-DD\"T\"HH24:MI:SS')", [*tp, *tp]),
            (f" || CASE WHEN mod(date_part('microseconds', {ts})::bigint, 1000000) <> 0", tp),
            (f" THEN to_char({ts}, '.US') ELSE '' END || to_char({ts}, 'TZH:TZM')", [*tp, *tp]),
            (f" || CASE WHEN mod({offset}, 60) <> 0", tp),  # an offset in seconds (old local mean times)
            (f" THEN ':' || lpad(abs(mod({offset}, 60))::text, 2, '0') ELSE '' END END", tp),
        ]
        return "".join(sql for sql, _ in parts), [p for _, params in parts for p in params]


class _PgSafeText(Func):
    """safe_text in SQL: a leading apostrophe before a formula's first character."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        text, params = compiler.compile(self.source_expressions[0])
        starts = "'=', '+', '-', '@', chr(9), chr(13)"
        quote = "''''"  # one apostrophe, as an SQL literal
        return (f"CASE WHEN left({text}, 1) IN ({starts}) THEN {quote} || {text} ELSE {text} END",
                [*params, *params, *params])


class _PgListText(Func):
    """_listed in SQL: a JSON list's items joined by "; "."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        value, params = compiler.compile(self.source_expressions[0])
        return (f"CASE WHEN jsonb_typeof({value}) = 'array' THEN array_to_string(ARRAY(SELECT "
                f"jsonb_array_elements_text({value})), '; ') ELSE {value} #>> '{{}}' END", [*params, *params, *params])


def _pg_cell(column: Column, zone: str):
    if column.kind == "datetime":
        return _PgLocalTime(column.source)
    if column.kind == "date":
        return Func(F(column.source), Value("YYYY-MM-DD"), function="to_char", output_field=TextField())
    if column.kind == "text":
        return _PgSafeText(Cast(F(column.source), TextField()))
    if column.kind == "list":
        return _PgSafeText(_PgListText(F(column.source)))
    return Cast(F(column.source), TextField())


def _pg_batches(queryset: QuerySet, columns, zone: str, barrels: _Barrels | None):
    """(cursor, batches): the rows as the database wrote them, CHUNK_ROWS at a time, through a
    server-side cursor (Django's chunked cursor, as ``iterator`` uses)."""
    cells = [c for c in columns if c.kind != "barrels"]
    names = {f"c{n}": _pg_cell(c, zone) for n, c in enumerate(cells)}
    extra = ("tank_id", "level_inches") if barrels is not None else ()
    sql, params = queryset.annotate(**names).values_list(*names, *extra).query.sql_with_params()
    cursor = connections[queryset.db].chunked_cursor()
    cursor.execute(sql, params)
    width = len(cells)
    position = next((n for n, c in enumerate(columns) if c.kind == "barrels"), None)

    def shaped(rows):
        if barrels is None:
            return rows
        out = []
        for row in rows:
            cells_of_row = list(row[:width])
            cells_of_row.insert(position, barrels(row[width], row[width + 1]))
            out.append(cells_of_row)
        return out

    def batches():
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield shaped(rows)

    return cursor, batches()


def export_stream(kind: str, *, user, filters: dict, time_zone, in_database: bool | None = None) -> Iterator[bytes]:
    """The CSV as chunks of UTF-8 bytes. The query runs here, before the first chunk is asked
    for: a database error surfaces while the view can still answer with an error.

    On PostgreSQL the database writes every cell (``in_database``; the same text as the Python
    converters below, which serve the other engines and are what the tests compare it with)."""
    include_superseded = bool(filters.get("include_superseded"))
    columns = columns_of(kind, include_superseded=include_superseded)
    queryset = export_rows(kind, user=user, filters=filters, time_zone=time_zone)
    barrels = _Barrels(queryset.db) if any(c.kind == "barrels" for c in columns) else None
    if in_database is None:
        in_database = connections[queryset.db].vendor == "postgresql"
    headers = [c.header for c in columns]
    release = _Release(queryset.db, str(time_zone)) if in_database else None
    if release is not None and not release.zoned:
        release()
        in_database = False
    if in_database:
        try:
            cursor, batches = _pg_batches(queryset, columns, str(time_zone), barrels)
            release.cursor = cursor
            first = next(batches, None)  # runs the query now
        except BaseException:
            release(failed=True)
            raise
        return CsvStream(_chunks(headers, first, batches, release), release)
    records = _python_rows(queryset, columns, time_zone, barrels)
    batches = _python_batches(records)
    first = next(batches, None)  # runs the query now
    return CsvStream(_chunks(headers, first, batches, records.close), records.close)


class _Release:
    """The transaction an export reads in, and its cursor. Outside a transaction Django declares
    a server-side cursor WITH HOLD, which PostgreSQL computes whole before the first row; inside
    one the rows stream as they are fetched. Called when the response closes (finished or not):
    the cursor is closed and the read-only transaction ends, leaving the connection clean."""

    def __init__(self, db: str, zone: str):
        self.cursor, self.atomic, self.db, self.zoned = None, None, db, False
        if connections[db].get_autocommit():
            self.atomic = transaction.atomic(using=db)
            self.atomic.__enter__()
        try:  # the cells' times are written in the tenant's zone (a zone PostgreSQL does not know: Python writes them)
            with transaction.atomic(using=db), connections[db].cursor() as cursor:
                cursor.execute("SET LOCAL TIME ZONE %s", [zone])
            self.zoned = True
        except DatabaseError:
            self.zoned = False

    def __call__(self, failed: bool = False) -> None:
        cursor, atomic, self.cursor, self.atomic = self.cursor, self.atomic, None, None
        try:
            if cursor is not None:
                cursor.close()
            if self.zoned and not failed:  # back to Django's zone for the rest of an outer transaction
                self.zoned = False
                with connections[self.db].cursor() as restore:
                    restore.execute("SET LOCAL TIME ZONE %s", [connections[self.db].timezone_name])
        except Exception as exc:
            if atomic is not None:
                atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if atomic is not None:
            if failed:
                error = DatabaseError("the export stopped")
                atomic.__exit__(DatabaseError, error, None)
            else:
                atomic.__exit__(None, None, None)


def _python_rows(queryset: QuerySet, columns, time_zone, barrels: _Barrels | None):
    sources = [c.source for c in columns if c.kind != "barrels"]
    if barrels is not None:
        sources.append("tank_id")
    index = {source: n for n, source in enumerate(sources)}
    dates: dict = {}

    def as_date(value) -> str:
        text = dates.get(value)
        if text is None:
            text = dates[value] = value.isoformat()
        return text

    converters = {"plain": _plain, "text": safe_text, "list": _listed}
    cells: list[Callable] = []
    for column in columns:
        p = index[column.source]
        if column.kind == "barrels":
            cells.append(lambda row, p=p, t=index["tank_id"]: barrels(row[t], row[p]))
        elif column.kind == "date":
            cells.append(lambda row, p=p: as_date(row[p]) if row[p] is not None else "")
        elif column.kind == "datetime":
            cells.append(lambda row, p=p: row[p].astimezone(time_zone).isoformat() if row[p] is not None else "")
        else:
            cells.append(lambda row, p=p, f=converters[column.kind]: f(row[p]))
    records = queryset.values_list(*sources).iterator(chunk_size=CHUNK_ROWS)

    def rows():
        try:
            for record in records:
                yield [cell(record) for cell in cells]
        finally:
            records.close()

    return rows()


def _python_batches(rows) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


class CsvStream:
    """The chunks, and ``close`` (called by the WSGI server through the response, whether the
    download finished or not): it closes the cursor even when no chunk was asked for yet."""

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]):
        self._chunks, self._release = chunks, release

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        self._chunks.close()
        self._release()


def _chunks(headers: list[str], first, batches, release: Callable[[], None]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    try:
        writer.writerow(headers)
        if first is not None:
            writer.writerows(first)
            for batch in batches:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
                writer.writerows(batch)
        yield buffer.getvalue().encode()
    finally:
        release()  # the server-side cursor, also when the client went away mid-stream


def filename(kind: str, filters: dict) -> str:
    parts = [kind]
    if filters.get("date_from"):
        parts.append(f"from-{filters['date_from'].isoformat()}")
    if filters.get("date_to"):
        parts.append(f"to-{filters['date_to'].isoformat()}")
    return "_".join(parts) + ".csv"
