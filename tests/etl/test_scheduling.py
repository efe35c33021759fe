"""The beat job and the run task: intervals, one run of a source at a time, interrupted runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from sync.etl import loader
from sync.etl.loader import etl_source_run, lock_key
from sync.etl.services import etl_sources_schedule
from sync.etl.tasks import SCHEDULE_LOCK, etl_run_source, etl_schedule
from sync.models import EtlRun, EtlSource
from tests.etl.conftest import api, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list:
    """The run tasks the scheduler sends (the broker is not what is tested here)."""
    calls: list = []
    # The tenant travels with a task (tenant-schemas-celery): the schema active when it is sent.
    monkeypatch.setattr(etl_run_source, "apply_async",
                        lambda args, **kwargs: calls.append((connection.schema_name, *args)))
    return calls


@pytest.fixture
def one_well(sqlite_db):
    sqlite_db.add_wells((api(1), "Eddy 1", "", "A", "NM", at(0)), (api(2), "Eddy 2", "", "A", "NM", at(1)))
    return sqlite_db


def test_a_second_run_of_a_source_is_skipped_while_another_holds_its_lock(one_well, make_source, in_a):
    source = make_source(one_well, mapping={"wells": {"table": "well_master", "columns": {"api_number": "api_no",
                                                                                          "name": "well_name"}}})
    other = make_source(one_well, name="Second source", mapping=source.mapping)
    with in_a():
        key = lock_key(source.pk)
        assert cache.add(key, "a run on another worker", timeout=60)

        assert etl_source_run(source_id=source.pk) is None
        assert not EtlRun.objects.filter(source=source).exists()
        assert etl_source_run(source_id=other.pk).status == EtlRun.Status.SUCCEEDED  # other sources go on
        assert cache.get(key) == "a run on another worker"  # the skipped run left the holder's lock alone

        cache.delete(key)
        assert etl_source_run(source_id=source.pk).status == EtlRun.Status.SUCCEEDED
        assert cache.get(key) is None  # released when the run ended


def test_a_run_started_while_one_is_in_progress_is_skipped(one_well, make_source, in_a, monkeypatch):
    source = make_source(one_well, mapping={"wells": {"table": "well_master", "columns": {"api_number": "api_no",
                                                                                          "name": "well_name"}}})
    nested: list = []
    real = loader.HANDLERS["wells"]

    def row_then_second_delivery(values, entity, ctx):
        if not nested:  # mid-run, the same source is started again (a second beat, "run now")
            nested.append(etl_source_run(source_id=source.pk, trigger=EtlRun.Trigger.MANUAL))
        return real(values, entity, ctx)

    monkeypatch.setitem(loader.HANDLERS, "wells", row_then_second_delivery)
    with in_a():
        run = etl_source_run(source_id=source.pk)
        assert nested == [None]
        assert run.status == EtlRun.Status.SUCCEEDED and run.rows_inserted == 2
        assert list(EtlRun.objects.filter(source=source).values_list("pk", flat=True)) == [run.pk]


def test_a_run_left_running_by_a_dead_worker_is_closed_by_the_next(one_well, make_source, in_a):
    source = make_source(one_well)
    with in_a():
        stale = EtlRun.objects.create(source=source, started_at=timezone.now() - timedelta(hours=2))
        etl_source_run(source_id=source.pk)
        stale.refresh_from_db()
    assert stale.status == EtlRun.Status.FAILED and "Interrupted" in stale.error


def test_sources_are_enqueued_when_their_interval_has_elapsed(one_well, make_source, in_a, sent, tenant_a):
    quarter = make_source(one_well, name="Every 15", interval_minutes=15)
    hourly = make_source(one_well, name="Hourly", interval_minutes=60)
    make_source(one_well, name="Switched off", enabled=False)
    now = timezone.now()

    with in_a():
        assert etl_sources_schedule(now=now) == 2  # never run: due at once
        assert EtlSource.objects.get(pk=quarter.pk).next_run_at == now + timedelta(minutes=15)
        assert etl_sources_schedule(now=now + timedelta(minutes=1)) == 0
        assert etl_sources_schedule(now=now + timedelta(minutes=14, seconds=59)) == 0
        assert etl_sources_schedule(now=now + timedelta(minutes=15)) == 1
        assert etl_sources_schedule(now=now + timedelta(minutes=60)) == 2

    schema = tenant_a.tenant.schema_name
    assert sent == [(schema, str(quarter.pk), "SCHEDULE"), (schema, str(hourly.pk), "SCHEDULE"),
                    (schema, str(quarter.pk), "SCHEDULE"),
                    (schema, str(quarter.pk), "SCHEDULE"), (schema, str(hourly.pk), "SCHEDULE")]


def test_the_beat_job_visits_every_tenant_once_at_a_time(one_well, make_source, sent, tenant_a):
    source = make_source(one_well)

    assert etl_schedule() >= 1
    assert (tenant_a.tenant.schema_name, str(source.pk), "SCHEDULE") in sent
    sent.clear()
    assert etl_schedule() == 0  # not due again before its interval
    assert sent == []

    cache.add(SCHEDULE_LOCK, "1", timeout=60)  # another beat still running
    try:
        assert etl_schedule() == 0
    finally:
        cache.delete(SCHEDULE_LOCK)


def test_the_run_task_pulls_in_the_tenant_it_travels_with(one_well, make_source, in_a, tenant_a):
    source = make_source(one_well)

    with in_a():  # what tenant-schemas-celery activates from the task's headers
        assert etl_run_source(str(source.pk), "MANUAL") == "SUCCEEDED"
        assert EtlRun.objects.get(source=source).trigger == "MANUAL"
        assert cache.add(lock_key(source.pk), "busy", timeout=60)
        assert etl_run_source(str(source.pk)) == "SKIPPED"
    assert etl_run_source(str(source.pk)) == "SKIPPED"  # on the public schema: no tenant, nothing run
