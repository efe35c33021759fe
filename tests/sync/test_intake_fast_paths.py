"""Intake's shortcuts give what the plain code gives: the scan for text that cannot be stored, the
cached UUID parse, the event's wire id, the cleaned payload's dump, the empty errors' JSON, and an
event's device and user, which the database checks through its batch."""

from __future__ import annotations

import enum
import json
import random
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import connections
from django_tenants.utils import schema_context

from config.text import find_bad_text
from sync.models import Device, SyncBatch, SyncEvent
from sync.rules.base import _tag, cleaned_json, cleaned_load
from sync.schemas import Invalid, _parse_cached, parse_new_uuid, parse_uuid
from sync.services import bulk
from sync.services.intake import _bad_text, _canonical_hash, _check_shape
from tenants import databases as tenant_db
from tests.sync.conftest import production

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
TEXTS = ["pump ok", "pümp ok", "a\x00b", "pümp \x00", "x\ud800", "pümp \udfff ok", "日本 \ud83d",
         "emoji 🛢 ok", "\\u0000 typed as text", "pümp \\u0000", "\udc00", "\x00"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("where", ["value", "key"])
def test_the_scan_of_the_canonical_text_misses_nothing_the_walk_finds(text, where):
    raw = {"id": str(uuid.uuid4()), "type": "NOTES_ADDED",
           "payload": {"notes": text} if where == "value" else {text: 1}}
    canonical, _ = _canonical_hash(raw)
    assert _bad_text(raw, canonical) == find_bad_text(raw)
    expected_bad = "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)
    assert (find_bad_text(raw) is not None) == expected_bad


def test_a_uuid_is_parsed_once_and_shared_and_a_bad_one_is_refused_every_time():
    text = str(uuid.uuid4())
    first = parse_uuid(text)
    assert first == uuid.UUID(text) and parse_uuid(text) is first
    assert parse_uuid(text.upper()) == first
    for bad in ["{" + text + "}", "urn:uuid:" + text, text.replace("-", ""), text[:-1] + "g", ""]:
        for _ in range(2):  # an Invalid is not cached: the second parse refuses it too
            with pytest.raises(Invalid, match="must be a UUID"):
                parse_uuid(bad)
    for not_text in [5, None, ["x"], {"a": 1}]:
        with pytest.raises(Invalid, match="must be a UUID string"):
            parse_uuid(not_text)


def test_an_events_own_id_is_parsed_without_filling_the_cache():
    _parse_cached.cache_clear()  # emptied: a full cache (earlier tests' ids) would not grow either way
    ids = [str(uuid.uuid4()) for _ in range(50)]
    assert [parse_new_uuid(i) for i in ids] == [uuid.UUID(i) for i in ids]
    assert _parse_cached.cache_info().currsize == 0
    parse_uuid(ids[0])  # the measure sees an id that is cached
    assert _parse_cached.cache_info().currsize == 1
    with pytest.raises(Invalid, match="must be a UUID"):
        parse_new_uuid("{" + ids[0] + "}")
    with pytest.raises(Invalid, match="must be a UUID string"):
        parse_new_uuid(7)


@pytest.mark.parametrize("sent", [str(uuid.uuid4()), str(uuid.uuid4()).upper(), "AbCdEf01-2345-6789-aBcD-eF0123456789"])
def test_the_wire_id_is_the_ids_canonical_text(sent):
    checked = _check_shape({"id": sent, "type": "NOTES_ADDED", "occurredAt": "2026-12-07T11:00:00Z", "payload": {}},
                           user_text=str(uuid.uuid4()), now=NOW, today=None)
    assert checked.event_id == uuid.UUID(sent)
    assert checked.wire_id == str(uuid.UUID(sent))


def test_a_cleaned_payload_is_stored_as_the_json_of_its_tagged_values_and_loads_back():
    well = uuid.uuid4()
    cleaned = {"well_id": well, "again": uuid.UUID(str(well)), "oil": Decimal("12.500"), "negative": Decimal("-0.001"),
               "notes": "pümp ok", "empty": "", "choice": SyncEvent.Outcome.APPLIED, "day": date(2026, 12, 1),
               "at": datetime(2026, 12, 7, 6, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-6))),
               "count": 3, "flag": True, "off": False, "none": None}
    dumped = json.loads(cleaned_json(cleaned))
    assert dumped == {name: _tag(value) for name, value in cleaned.items()}  # the table of common types: the rules
    assert list(dumped) == list(cleaned)
    assert dumped["choice"] == "s:APPLIED" and dumped["again"] == dumped["well_id"] == f"u:{well}"
    assert (dumped["oil"], dumped["negative"], dumped["notes"], dumped["empty"]) == ("n:12.500", "n:-0.001", "s:pümp ok", "s:")
    assert (dumped["day"], dumped["at"]) == ("d:2026-12-01", "t:2026-12-07T06:30:15.123456-06:00")
    assert (dumped["count"], dumped["flag"], dumped["off"], dumped["none"]) == (3, True, False, None)
    loaded = cleaned_load(dumped)
    assert loaded == {**cleaned, "choice": "APPLIED"}
    with pytest.raises(TypeError, match="cannot store a cleaned float"):
        cleaned_json({"x": 1.5})


class _Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize("seed", range(3))
def test_the_json_text_of_a_cleaned_payload_is_what_json_makes_of_its_tagged_values(seed):
    """Written as text by hand (intake's fast path): any value of any type, text that needs
    escaping, numbers of every form, and types outside the table (a str or int subclass)."""
    rng = random.Random(seed)
    texts = ['say "hi"', "back\\slash", "line\nbreak\ttab\r", "pümp", "emoji 🛢", "\u2028", "", "\x7f\x01", "日本"]
    decimals = ["0", "-0", "1E+2", "0.000001", "1E-7", "-12.50", "123456789012345678.123", "NaN", "Infinity"]

    def value():
        kind = rng.randrange(9)
        if kind == 0:
            return rng.choice(texts) + str(rng.randrange(100))
        if kind == 1:
            return Decimal(rng.choice(decimals)) if rng.random() < 0.5 else Decimal(rng.randrange(-10**9, 10**9)).scaleb(
                rng.randrange(-12, 12))
        if kind == 2:
            return uuid.UUID(int=rng.getrandbits(128))
        if kind == 3:
            return datetime(2026, 1, 1, tzinfo=timezone(timedelta(minutes=rng.randrange(-720, 720)))) + timedelta(
                microseconds=rng.randrange(10**12))
        if kind == 4:
            return date(2026, 1, 1) + timedelta(days=rng.randrange(400))
        if kind == 5:
            return rng.choice([True, False, None, _Level.HIGH, SyncEvent.Outcome.REJECTED])
        if kind == 6:
            return rng.randrange(-10**30, 10**30)
        return rng.choice([0, -1, 2**63])

    for _ in range(300):
        cleaned = {rng.choice(["well_id", "notes", "x", 'k"ey', "ключ"]) + str(n): value() for n in range(rng.randrange(8))}
        text = cleaned_json(cleaned)
        assert json.loads(text) == json.loads(json.dumps({name: _tag(v) for name, v in cleaned.items()}))
        assert text.isascii()  # as json.dumps writes it (and PostgreSQL's text COPY takes it)


def test_an_empty_list_is_sent_as_its_json_and_anything_else_as_json_dumps_makes_it():
    for value in [[], [{"code": "x"}], {}, {"a": []}, "", 0, False]:
        assert bulk._json(json.dumps, value, json.JSONEncoder) == json.dumps(value)
    assert bulk._json(json.dumps, None, json.JSONEncoder) is None


def test_an_events_device_and_user_are_its_batchs_and_the_database_checks_them_through_it(push, route, tenant_a):
    sent = [production(route.well, 10 + n, day=f"2026-11-{n + 1:02d}") for n in range(3)]
    sent.append(production(route.off_route_well, 5))  # refused (not on the route), stored all the same
    body = push(sent, device="tablet-fk").json()
    assert len(body["accepted"]) == 3 and len(body["rejected"]) == 1
    with schema_context(tenant_a.tenant.schema_name):
        batch = SyncBatch.objects.get(pk=body["batchId"])
        assert batch.user_id == route.operator.pk and batch.device.device_id == "tablet-fk"
        events = SyncEvent.objects.filter(batch=batch)
        assert events.count() == 4
        assert set(events.values_list("device_id", "user_id")) == {(batch.device_id, batch.user_id)}
        connection = connections[tenant_db.current_db()]  # the tenant's own database, or the shared one
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, SyncEvent._meta.db_table)
        references = {c["columns"][0]: c["foreign_key"] for c in constraints.values() if c["foreign_key"]}
        assert references == {"batch_id": (SyncBatch._meta.db_table, "id")}
        indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"]}
        assert {("device_id",), ("user_id",)} <= indexed  # still found by device and by user
        Device.objects.filter(pk=batch.device_id).delete()  # as the batch's, the events' device goes NULL
        assert set(events.values_list("device_id", flat=True)) == {None}
        batch.refresh_from_db()
        assert batch.device_id is None
