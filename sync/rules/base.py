"""What every conflict rule shares: strategies, the context an event is applied in, outcomes."""

from __future__ import annotations

import decimal
import functools
import json
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _quoted
from typing import Any, Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router
from django.db.models import NOT_PROVIDED, Q
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from ..services.bulk import array_text


class Strategy:
    NEWEST_WINS = "NEWEST_WINS"
    HIGHEST_VALUE = "HIGHEST_VALUE"
    MANUAL_REVIEW = "MANUAL_REVIEW"
    MERGE = "MERGE"
    KEEP_BOTH = "KEEP_BOTH"
    ALL = (NEWEST_WINS, HIGHEST_VALUE, MANUAL_REVIEW, MERGE, KEEP_BOTH)


class Outcome:
    APPLIED = "APPLIED"
    AUTO_RESOLVED = "AUTO_RESOLVED"
    PENDING_REVIEW = "PENDING_REVIEW"
    REJECTED = "REJECTED"


class EventRejected(Exception):
    """The event cannot be applied against the current state (e.g. its well was deleted)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ApplyContext:
    event: Any  # sync.models.SyncEvent
    payload: dict  # cleaned (typed, snake_case) payload
    well: Any  # wells.models.Well, locked for update
    user: Any  # the user who sent the event
    time_zone: str
    strategy: str

    @property
    def order_key(self) -> tuple:
        return order_key(self.event)


def order_key(event) -> tuple:
    """How events compare for NEWEST_WINS: later occurredAt, then later receipt, then id."""
    return (event.occurred_at, event.received_at, str(event.event_id))


def record_order_keys(records, *, decided: bool = False) -> dict:
    """The order key of each record (by pk): its source event's, in two queries; a record made by
    a correction keeps the place of the event its chain corrects (API.md section 6: as if that
    event had carried the corrected values). A record entered on the server, not by sync, counts
    as received when it was created. ``decided``: (when the chain's first event was decided, its
    order key) instead, the order a correction replays a key in (sync.rules.corrections)."""
    from sync.models import Correction, SyncEvent

    records = list(records)
    sources = {r.source_event_id for r in records if r.source_event_id}
    roots = dict(Correction.objects.filter(event__event_id__in=sources).values_list(
        "event__event_id", "root_event_id")) if sources else {}
    events = {
        event_id: (processed_at, (occurred_at, received_at, str(event_id)))
        for event_id, occurred_at, received_at, processed_at in SyncEvent.objects.filter(
            event_id__in=sources | set(roots.values())
        ).values_list("event_id", "occurred_at", "received_at", "processed_at")
    } if sources else {}
    out = {}
    for r in records:
        known = events.get(roots.get(r.source_event_id, r.source_event_id))
        if known is None or (decided and known[0] is None):
            moment = getattr(r, "recorded_at", None) or r.created_at
            known = (r.created_at, (moment, r.created_at, str(r.source_event_id or "")))
        out[r.pk] = known if decided else known[1]
    return out


def day_bounds(time_zone: str, moment: datetime) -> tuple[datetime, datetime]:
    """The tenant day (its time zone) ``moment`` falls on, as [start, end)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    day = moment.astimezone(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def records_in_spans(model, subject: str, column: str, spans: dict, *, high_inclusive: bool = False,
                     current_only: bool = True) -> list:
    """The records of ``model`` whose ``subject`` (a foreign key) is a key of ``spans`` and whose
    ``column`` lies in that subject's ``(low, high)``: from low to before high, or to high itself
    with ``high_inclusive``; only the current ones (not superseded) unless ``current_only`` is off.

    How a rule loads the current records of a chunk's keys (``Keyed.load_current``). On PostgreSQL
    one statement joins the table with the spans passed as arrays (``unnest``), which the planner
    runs as one index range scan per subject: it costs the same to write for 10 subjects as for
    1,000, where an OR of one condition per subject costs Django milliseconds to build and the
    server to plan. Elsewhere (MariaDB, SQL Server), that OR."""
    if not spans:
        return []
    subjects = list(spans)
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        upper = f"{column}__lte" if high_inclusive else f"{column}__lt"
        match = Q()
        for one, (low, high) in spans.items():
            match |= Q(**{subject: one, f"{column}__gte": low, upper: high})
        found = model.objects.filter(match)
        return list(found.filter(superseded_by__isnull=True) if current_only else found)
    meta = model._meta
    subject_field, column_field = meta.get_field(subject), meta.get_field(column)
    sql = (f'SELECT t.* FROM {connection.ops.quote_name(meta.db_table)} t '
           f'JOIN unnest(%s::{subject_field.db_type(connection)}[], %s::{column_field.db_type(connection)}[], '
           f'%s::{column_field.db_type(connection)}[]) AS k(subject, low, high) '
           f'ON t.{connection.ops.quote_name(subject_field.column)} = k.subject '
           f'AND t.{connection.ops.quote_name(column_field.column)} >= k.low '
           f'AND t.{connection.ops.quote_name(column_field.column)} {"<=" if high_inclusive else "<"} k.high'
           + (f" WHERE t.{_superseded_column(model, connection)} IS NULL" if current_only else ""))
    return _records_of(model, connection, sql, [array_text(subjects), array_text(spans[one][0] for one in subjects),
                                                array_text(spans[one][1] for one in subjects)])


def _records_of(model, connection, sql: str, params: list) -> list:
    """The instances of ``model`` a ``SELECT t.*`` returns, as ``model.objects.raw`` would make
    them (converters applied, marked as loaded from this database) at a fraction of its cost."""
    fields = model._meta.concrete_fields
    if any(hasattr(f, "from_db_value") for f in fields) or _init_signalled(model):
        return list(model.objects.raw(sql, params))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    attname = {f.column: f.attname for f in fields}
    names = [attname[column] for column in columns]
    new, alias = object.__new__, connection.alias
    records = []
    for row in rows:
        record = new(model)
        state = record._state = ModelState()
        state.adding, state.db = False, alias
        record.__dict__.update(zip(names, row))
        records.append(record)
    return records


def new_record(model, **values):
    """An unsaved ``model(**values)`` (``values`` by attribute name: ``well_id``, not ``well``),
    every other field at its default, made without Model.__init__'s per-field work (a chunk
    builds thousands: a third of the cost). Model.__init__ itself when a pre_init or post_init
    receiver is connected, or a value names no field."""
    constants, callables, names = _field_defaults(model)
    if not names.issuperset(values) or _init_signalled(model):
        return model(**values)
    record = object.__new__(model)
    record._state = ModelState()
    data = record.__dict__
    data.update(constants)
    for name, default in callables:
        if name not in values:
            data[name] = default()
    data.update(values)
    return record


def _init_signalled(model) -> bool:
    """Whether a pre_init or post_init receiver listens to ``model`` (the instance must then be
    made by Model.__init__); with no receiver at all, as usual, a look at two lists."""
    return bool(pre_init.receivers or post_init.receivers) and (
        pre_init.has_listeners(model) or post_init.has_listeners(model))


@functools.cache
def _field_defaults(model) -> tuple[dict, tuple, frozenset]:
    """({attname: default} of the fields whose default is one value, ((attname, callable), ...) of
    the others (a callable default, a database default), every attname), as Model.__init__ takes them."""
    constants, callables = {}, []
    for f in model._meta.concrete_fields:
        if (f.has_default() and callable(f.default)) or f.db_default is not NOT_PROVIDED:
            callables.append((f.attname, f.get_default))
        else:
            constants[f.attname] = f.get_default()
    return constants, tuple(callables), frozenset(f.attname for f in model._meta.concrete_fields)


def _superseded_column(model, connection) -> str:
    return connection.ops.quote_name(model._meta.get_field("superseded_by").column)


def records_with_values(model, subject: str, column: str, values: dict) -> list:
    """The current records of ``model`` whose (``subject``, ``column``) is one of the pairs of
    ``values`` ({subject: a set of column values}); PostgreSQL joins the pairs as arrays, as
    ``records_in_spans`` does."""
    pairs = [(one, value) for one, wanted in values.items() for value in wanted]
    if not pairs:
        return []
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        match = Q()
        for one, wanted in values.items():
            match |= Q(**{subject: one, f"{column}__in": list(wanted)})
        return list(model.objects.filter(match, superseded_by__isnull=True))
    meta = model._meta
    subject_field, column_field = meta.get_field(subject), meta.get_field(column)
    sql = (f'SELECT t.* FROM {connection.ops.quote_name(meta.db_table)} t '
           f'JOIN unnest(%s::{subject_field.db_type(connection)}[], %s::{column_field.db_type(connection)}[]) '
           f'AS k(subject, value) ON t.{connection.ops.quote_name(subject_field.column)} = k.subject '
           f'AND t.{connection.ops.quote_name(column_field.column)} = k.value '
           f'WHERE t.{_superseded_column(model, connection)} IS NULL')
    return _records_of(model, connection, sql, [array_text(one for one, _ in pairs),
                                                array_text(value for _, value in pairs)])


@dataclass
class ConflictDraft:
    reason: str
    status: str  # PENDING_REVIEW or AUTO_RESOLVED
    local_data: dict
    server_data: dict


@dataclass
class RuleResult:
    outcome: str
    conflict: ConflictDraft | None = None


@dataclass(frozen=True)
class Keyed:
    """A rule decided set-based (sync.services.processing): its events are grouped by conflict
    key, the current records of all keys are loaded at once, and each key's events are decided in
    memory in order by a pure function of (current records, incoming record, strategy)."""

    # The conflict key of a cleaned payload: key(payload, time_zone).
    key: Callable[[dict, str], tuple]
    # {key: [current records]} for many keys, in a few queries: load_current(keys, time_zone).
    load_current: Callable[[list[tuple], str], dict]
    # The unsaved record an event makes: build(event, payload, equipment by pk), its decimals rounded as
    # stored (``stored_decimals``), so that it compares in memory as it would read back.
    build: Callable[[Any, dict, dict], Any]
    # decide(current records, incoming, strategy=, incoming_order=, order_of=) -> Decision.
    decide: Callable[..., "Decision"]
    # Decided in memory only for a key without records and with one event in the chunk; any other
    # key's events go to the per-event ``Rule.apply`` (rules whose decision reads more than the
    # current records, e.g. MERGE of a day's notes).
    alone_only: bool = False
    # One current record per key, decided by the strategy: a correction re-decides such a key by
    # replaying its records (sync.rules.corrections). key_records(key) -> every record of the key,
    # current or superseded; record_key(record) -> its key.
    key_records: Callable[[tuple], Any] | None = None
    record_key: Callable[[Any], tuple] | None = None
    # With ``alone_only``: the strategies whose events alone_only leaves over are still decided
    # set-based, by crowded[strategy](items, loaded, time_zone=, users=), which writes the records
    # and returns [(event, outcome, ConflictDraft or None)] (e.g. MERGE of a day's notes).
    crowded: dict[str, Callable[..., list]] | None = None


@dataclass(frozen=True)
class Decision:
    outcome: str
    # The current record the incoming one was compared with (None: none, it becomes current
    # beside the others). Shown as the server's side of a conflict.
    current: Any = None
    # False: only kept in the conflict record (review).
    stored: bool = True
    # Stored and current.is not None: whether it replaces ``current`` or is superseded by it.
    incoming_wins: bool = False
    reason: str = ""
    conflict_status: str = ""  # "" when no conflict is recorded


DEFAULT_ACTIONS = ("USE_LOCAL", "USE_SERVER", "KEEP_BOTH", "IGNORE")


@dataclass(frozen=True)
class Rule:
    """Everything about one event type (STYLE.md, "Conflict rules are data")."""

    event_type: str
    default_strategy: str
    strategies: tuple[str, ...]
    # One event at a time (None for a set-based rule: ``keyed``).
    apply: Callable[[ApplyContext], RuleResult] | None
    # Safety-critical types stay MANUAL_REVIEW whatever a tenant configures.
    configurable: bool = True
    # The payload schema (sync.schemas.SCHEMAS), importable without Django for the field client.
    schema: Any = None
    # The record model events of this type make (None: the type changes the well itself).
    model: Any = None
    # The record fields a conflict shows of either side.
    fields: tuple[str, ...] = ()
    # Resolutions a manager may choose for a conflict of this type (API.md section 8).
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    # The database holds one current record per key: two can never both stay current.
    single_current: bool = False
    # Set-based decision (None: events are applied one at a time by ``apply``).
    keyed: Keyed | None = None
    extra: dict = field(default_factory=dict)


def stored_decimals(record) -> None:
    """Round a record's decimals as the database stores them, so that values decided in memory
    compare (and show in conflicts) exactly as values read back would: what Django's
    ``format_number`` does on save (quantize to the field's places in a context of its digits),
    without the round trip through text (a chunk rounds thousands)."""
    for name, places, context in _decimal_fields(type(record)):
        value = getattr(record, name)
        if value is not None:
            setattr(record, name, Decimal(value).quantize(places, context=context))


@functools.cache
def _decimal_fields(model) -> tuple:
    from django.db.models import DecimalField

    return tuple((f.attname, Decimal(1).scaleb(-f.decimal_places), decimal.Context(prec=f.max_digits))
                 for f in model._meta.concrete_fields if isinstance(f, DecimalField))


# Cleaned payloads are stored at intake (SyncEvent.cleaned) as JSON with a type tag per value.
# A chunk's events name the same few wells and pieces of equipment again and again: their UUIDs
# are parsed once (UUIDs are immutable, so sharing one is safe).
_TAGS = {"n": Decimal, "u": functools.lru_cache(maxsize=4_096)(uuid.UUID), "d": date.fromisoformat, "t": datetime.fromisoformat, "s": str}


def _tag(value):
    if isinstance(value, bool) or isinstance(value, int) or value is None:
        return value
    if isinstance(value, Decimal):
        return f"n:{value}"
    if isinstance(value, uuid.UUID):
        return f"u:{value}"
    if isinstance(value, datetime):
        return f"t:{value.isoformat()}"
    if isinstance(value, date):
        return f"d:{value.isoformat()}"
    if isinstance(value, str):
        return f"s:{value}"
    raise TypeError(f"cannot store a cleaned {type(value).__name__}")


# The JSON text of a tagged value, for the common exact types (intake writes every value of every
# event; a Decimal's, a UUID's and an ISO time's text need no escaping). Any other type is tagged
# by ``_tag`` and encoded by json.
_JSON_BY_TYPE = {
    str: lambda value: _quoted("s:" + value),
    Decimal: lambda value: '"n:' + str(value) + '"',  # str(): f"{}" formats a Decimal ~2.5 times slower
    # the same few wells and pieces of equipment again and again: each id's text made once
    uuid.UUID: functools.lru_cache(maxsize=2_048)(lambda value: '"u:' + str(value) + '"'),
    datetime: lambda value: '"t:' + value.isoformat() + '"', date: lambda value: '"d:' + value.isoformat() + '"',
    bool: lambda value: "true" if value else "false", int: int.__repr__, type(None): lambda value: "null",
}


def cleaned_json(cleaned: dict) -> str:
    """A cleaned payload as stored (SyncEvent.cleaned): the JSON text of each value tagged by
    ``_tag`` (``cleaned_load`` reads it back), made without building the tagged dict first."""
    json_of = _JSON_BY_TYPE.get
    parts = []
    for name, value in cleaned.items():
        encode = json_of(type(value))
        parts.append(_quoted(name) + ":" + (encode(value) if encode is not None else json.dumps(_tag(value))))
    return "{" + ",".join(parts) + "}"


def cleaned_load(stored: dict) -> dict:
    return {name: _TAGS[value[0]](value[2:]) if isinstance(value, str) else value for name, value in stored.items()}


def as_json(data: dict) -> dict:
    """Model values (Decimal, dates, UUIDs) as JSON-safe values for conflict records."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def record_data(record, names: tuple[str, ...]) -> dict:
    data = {name: getattr(record, name) for name in names}
    data["id"] = record.pk
    data["recordedBy"] = str(record.recorded_by_id) if record.recorded_by_id else None
    data["createdAt"] = record.created_at
    data["sourceEventId"] = record.source_event_id
    return as_json(data)


def settle(*, incoming, current, incoming_wins: bool) -> None:
    """Save ``incoming`` and make the winner the one current record of the key, the loser
    superseded by it. The new record is first saved as superseded, so that "one current record
    per key" (a unique constraint for production) holds after every statement."""
    incoming.superseded_by = current
    incoming.save()
    if incoming_wins:
        type(current).objects.filter(pk=current.pk).update(superseded_by=incoming.pk)
        type(incoming).objects.filter(pk=incoming.pk).update(superseded_by=None)
        incoming.superseded_by = None
