"""The sync rules make and load thousands of record instances a chunk without Model.__init__'s
per-field work (sync.rules.base.new_record, and the set-based SELECTs): the instances must be what
Django itself makes."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.db.models.signals import post_init
from django_tenants.utils import schema_context

from sync.rules.base import _field_defaults, new_record, records_in_spans, records_with_values
from wells.models import EquipmentInspection, EquipmentRepair, FieldNote, ProductionRecord, TankGauge, WellReading

RECORD_MODELS = (ProductionRecord, WellReading, FieldNote, EquipmentInspection, EquipmentRepair, TankGauge)


def _fields(record) -> dict:
    return {name: value for name, value in vars(record).items() if name != "_state"}


@pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.__name__)
def test_a_new_record_is_what_the_model_makes_of_the_same_values(model):
    _, callables, _ = _field_defaults(model)
    # The callable defaults (a new UUID per record, ...) given, so that both sides hold the same.
    given = {name: default() for name, default in callables} | {"recorded_by_id": None}
    fast, django = new_record(model, **given), model(**given)
    assert _fields(fast) == _fields(django)
    assert set(_fields(fast)) == {f.attname for f in model._meta.concrete_fields}
    assert (fast._state.adding, fast._state.db) == (django._state.adding, django._state.db) == (True, None)


def test_a_new_records_callable_defaults_are_called_for_each_record():
    first, second = new_record(FieldNote, notes="a"), new_record(FieldNote, notes="b")
    assert isinstance(first.pk, uuid.UUID) and first.pk != second.pk


def test_a_name_that_is_no_field_is_refused_as_the_model_refuses_it():
    with pytest.raises(TypeError):
        new_record(FieldNote, notes="a", no_such_field=1)


def test_with_an_init_receiver_the_model_makes_the_record():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=FieldNote)
    try:
        record = new_record(FieldNote, notes="seen")
    finally:
        post_init.disconnect(receiver, sender=FieldNote)
    assert seen == [record]


@pytest.mark.django_db
def test_records_loaded_set_based_are_what_the_orm_loads(tenant_a, route):
    with schema_context(tenant_a.tenant.schema_name):
        day = date(2026, 11, 20)
        production = ProductionRecord.objects.create(
            well=route.well, production_date=day, product="OIL", volume=Decimal("12.500"), unit="BBL",
            volume_normalized=Decimal("12.500"), recorded_by=route.operator, source_event_id=uuid.uuid4())
        moment = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
        note = FieldNote.objects.create(well=route.well, notes="Checked", recorded_at=moment)

        loaded = records_with_values(ProductionRecord, "well", "production_date", {route.well.pk: {day}})
        assert [_fields(record) for record in loaded] == [_fields(ProductionRecord.objects.get(pk=production.pk))]
        notes = records_in_spans(FieldNote, "well", "recorded_at", {route.well.pk: (moment, moment)},
                                 high_inclusive=True)
        assert [_fields(record) for record in notes] == [_fields(FieldNote.objects.get(pk=note.pk))]
        for record in (*loaded, *notes):
            assert record._state.adding is False and record._state.db == ProductionRecord.objects.get(
                pk=production.pk)._state.db
        assert notes[0].recorded_at.tzinfo is timezone.utc  # as Django's own timestamptz loader gives it


ARRAYS = [
    ("bigint", [1, None, -9_223_372_036_854_775_808, 42]),
    ("text", ['a"b\\c', None, "NULL", "", " x ", "{}", ",", "it's", "é"]),
    ("uuid", [uuid.UUID(int=5), None, uuid.uuid4()]),
    ("numeric", [Decimal("1.50"), Decimal("-0.001"), Decimal("1E+3"), None]),
    ("date", [date(2026, 1, 2), None, date(1, 1, 1)]),
    ("timestamptz", [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc), None,
                     datetime(2026, 7, 1, 12, tzinfo=timezone.utc)]),
    ("boolean", [True, False, None]),
]


@pytest.mark.django_db
@pytest.mark.parametrize("db_type, values", ARRAYS, ids=[db_type for db_type, _ in ARRAYS])
def test_an_array_parameter_as_text_reads_back_as_the_values(db_type, values):
    """bulk.array_text: arrays go to PostgreSQL as one string (client-side binding dumps a list
    item by item in Python); the server must read the very values back."""
    from django.db import connection

    from sync.services.bulk import array_text

    sent = array_text(values)
    assert isinstance(sent, str)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{db_type}[]", [sent])
        assert cursor.fetchone()[0] == values


def test_an_array_of_choices_members_goes_as_text_with_their_values():
    from sync.models import SyncEvent
    from sync.services.bulk import array_text

    assert array_text([SyncEvent.Outcome.APPLIED, "REJECTED"]) == '{"APPLIED","REJECTED"}'


def test_an_array_of_another_type_is_left_to_psycopg():
    from sync.services.bulk import array_text

    assert array_text([1.5, 2.5]) == [1.5, 2.5]


@pytest.mark.django_db
def test_a_batchs_pending_events_with_their_well_are_what_the_orm_reads(tenant_a, route):
    """bulk.pending_of_batch: on PostgreSQL the well's tag is read by the server (->>); it must
    be what the ORM's JSON lookup gives, in processing order, for every shape of cleaned payload."""
    from sync.models import SyncBatch, SyncEvent
    from sync.services.bulk import pending_of_batch
    from sync.services.processing import PROCESSING_ORDER

    with schema_context(tenant_a.tenant.schema_name):
        batch, other = SyncBatch.objects.create(), SyncBatch.objects.create()
        moment = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
        cleaned = [{"well_id": f"u:{route.well.pk}", "volume": "d:1.5"}, None, {"volume": "d:2"},
                   {"well_id": None}, {"well_id": "it's \"quoted\" é"}, {"well_id": f"u:{route.well.pk}"}]
        for n, payload in enumerate(cleaned):
            SyncEvent.objects.create(event_id=uuid.uuid4(), batch=batch, type="PRODUCTION_LOGGED", payload={},
                                     cleaned=payload, content_hash="x", occurred_at=moment.replace(minute=59 - n))
        SyncEvent.objects.create(event_id=uuid.uuid4(), batch=batch, type="NOTE_ADDED", payload={}, cleaned={},
                                 content_hash="x", occurred_at=moment, outcome=SyncEvent.Outcome.APPLIED)
        SyncEvent.objects.create(event_id=uuid.uuid4(), batch=other, type="NOTE_ADDED", payload={}, cleaned={},
                                 content_hash="x", occurred_at=moment)
        orm = SyncEvent.objects.filter(batch_id=batch.pk, outcome="PENDING").order_by(*PROCESSING_ORDER)

        with_well = pending_of_batch(batch.pk, PROCESSING_ORDER, with_well=True)
        assert [tuple(row) for row in with_well] == list(orm.values_list("pk", "cleaned__well_id"))
        assert [well for _, well in with_well] == [f"u:{route.well.pk}", "it's \"quoted\" é", None, None, None,
                                                   f"u:{route.well.pk}"]
        assert [tuple(row) for row in pending_of_batch(str(batch.pk), PROCESSING_ORDER, with_well=False)] == list(
            orm.values_list("pk"))


@pytest.mark.django_db
def test_an_instance_with_a_deferred_field_is_read_whole_before_the_copy(tenant_a, route):
    """insert_objects reads values from the instance's __dict__; a field not loaded (.only()) is
    read through its descriptor, a query, which must run before the COPY starts (a connection in
    COPY takes no other statement: it used to wait forever). The copy here is of a stored row, so
    the COPY reaches the database and meets the primary key."""
    import psycopg
    from django.db import IntegrityError

    from sync.services.bulk import insert_objects
    from tenants import databases as tenant_db

    with schema_context(tenant_a.tenant.schema_name):
        moment = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
        stored = FieldNote.objects.create(well=route.well, notes="Checked the stuffing box", recorded_at=moment)
        partial = FieldNote.objects.only("id", "well_id", "recorded_at").get(pk=stored.pk)
        assert "notes" not in vars(partial)
        partial._state.adding = True
        with pytest.raises((IntegrityError, psycopg.errors.UniqueViolation)), tenant_db.atomic():  # COPY: psycopg's own
            insert_objects(FieldNote, [partial])
        assert vars(partial)["notes"] == "Checked the stuffing box"


def test_the_collector_is_paused_for_a_chunk_and_back_after_it_even_when_it_fails():
    import gc

    from sync.services.processing import _collector_paused

    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), _collector_paused():
        1 / 0
    assert gc.isenabled()
    gc.disable()  # whoever disabled it keeps it so
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.django_db
def test_a_chunk_is_decided_with_the_collector_paused(tenant_a, monkeypatch):
    import gc

    from sync.models import SyncBatch
    from sync.services import processing

    seen = []
    run = processing._Chunk.run

    def spy(chunk):
        seen.append(gc.isenabled())
        return run(chunk)

    monkeypatch.setattr(processing._Chunk, "run", spy)
    with schema_context(tenant_a.tenant.schema_name):
        batch = SyncBatch.objects.create()
        processing._process_chunk([], batch_id=batch.pk, time_zone="UTC", strategies={})
        assert SyncBatch.objects.get(pk=batch.pk).status == SyncBatch.Status.COMPLETED
    assert seen == [False] and gc.isenabled()


def _record_updates(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE") and table in q["sql"]]


def test_a_new_key_whose_later_event_wins_is_stored_as_it_ends_without_an_update(push, tenant_a, route):
    """Of a key with no stored record, the record left current is stored first and the loser
    superseded by it: no UPDATE of the records (the stored state is the rules' own)."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from sync.services.processing import batch_process
    from tenants.databases import current_db
    from tests.sync.conftest import later
    from tests.sync.test_rules import current, reading

    older, newer = reading(route, 250, occurred=later(1)), reading(route, 260, occurred=later(2))
    response = push([newer, older])
    assert response.status_code == 202, response.content
    with schema_context(tenant_a.tenant.schema_name):
        with CaptureQueriesContext(connections[current_db()]) as queries:  # the tenant's own database
            batch_process(batch_id=response.json()["batchId"])
    assert any("wells_wellreading" in q["sql"] for q in queries.captured_queries)  # its queries were seen
    assert _record_updates(queries.captured_queries, WellReading._meta.db_table) == []
    [winner] = current(tenant_a, WellReading, well=route.well)
    assert winner.value == Decimal("260") and str(winner.source_event_id) == newer["id"]
    with schema_context(tenant_a.tenant.schema_name):
        loser = WellReading.objects.get(source_event_id=older["id"])
        assert loser.superseded_by_id == winner.pk


def test_a_stored_record_a_new_one_wins_over_is_pointed_at_it(push, tenant_a, route):
    """The other case: the key's stored current record is superseded by the new one (updates)."""
    from sync.services.processing import batch_process
    from tests.sync.conftest import later
    from tests.sync.test_rules import current, reading

    first, second = reading(route, 250, occurred=later(1)), reading(route, 260, occurred=later(2))
    for sent in ([first], [second]):
        response = push(sent)
        with schema_context(tenant_a.tenant.schema_name):
            batch_process(batch_id=response.json()["batchId"])
    [winner] = current(tenant_a, WellReading, well=route.well)
    assert str(winner.source_event_id) == second["id"]
    with schema_context(tenant_a.tenant.schema_name):
        assert WellReading.objects.get(source_event_id=first["id"]).superseded_by_id == winner.pk
