"""How a batch is cut and finished (sync.services.processing, orchestration): lanes of whole wells
for parallel worker processes, and a batch marked COMPLETED in the transaction of its last
outcomes. The parallel run itself, with real worker processes, is in tests/e2e/test_sync_worker.py."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from config.celery import app
from sync import tasks
from sync.models import SyncBatch, SyncEvent
from sync.services import processing
from sync.services.intake import batch_intake
from sync.services.processing import batch_lanes, batch_process
from tests.sync.conftest import BASE_TIME, new_api_number
from wells.models import ProductionRecord, Well, WellAssignment


def test_lanes_hold_whole_wells_in_processing_order_and_about_a_share_each():
    # 30 events on 6 wells, interleaved; well "w5" alone has 10 (more than a share of 8).
    pending = [(pk, f"w{pk % 5}") for pk in range(20)] + [(100 + n, "w5") for n in range(10)]
    lanes = batch_lanes(pending, 4)
    well_of = dict(pending)
    assert sorted(pk for lane in lanes for pk in lane) == sorted(pk for pk, _ in pending)  # each event once
    position = {pk: n for n, (pk, _) in enumerate(pending)}
    for lane in lanes:
        assert lane == sorted(lane, key=position.get)  # in processing order
    wells_of_lane = [{well_of[pk] for pk in lane} for lane in lanes]
    for n, wells in enumerate(wells_of_lane):  # no well in two lanes
        assert not wells & set().union(*(w for m, w in enumerate(wells_of_lane) if m != n))
    assert [len(lane) for lane in lanes] == [8, 8, 14]  # two wells of 4 fill a share; w4 and w5 the third


def test_never_more_lanes_than_asked_for():
    # 7 wells of 10 events in 2 lanes: a share is 35, so the lanes are 40 and 30 (not 30, 30 and 10).
    pending = [(pk, f"w{pk % 7}") for pk in range(70)]
    assert [len(lane) for lane in batch_lanes(pending, 2)] == [40, 30]
    assert [len(lane) for lane in batch_lanes(pending, 7)] == [10] * 7
    assert [len(lane) for lane in batch_lanes(pending, 1)] == [70]
    assert len(batch_lanes(pending[:20], 4)) == 4 and len(batch_lanes(pending, 100)) == 7


def test_an_event_of_unknown_well_keeps_the_batch_in_one_lane():
    assert batch_lanes([(1, "a"), (2, None), (3, "b")], 1) == [[1, 2, 3]]


def _production_batch(tenant_a, wells, per_well: int, *, volumes) -> SyncBatch:
    from accounts.models import User

    operator = User.objects.get(email=tenant_a.users["OPERATOR"])
    events = []
    for n in range(per_well):
        for m, well in enumerate(wells):
            events.append({"id": str(uuid.uuid4()), "type": "PRODUCTION_LOGGED",
                           "occurredAt": (BASE_TIME + timedelta(seconds=n * len(wells) + m)).isoformat(),
                           "payload": {"wellId": str(well.pk), "product": "OIL", "unit": "BBL",
                                       "productionDate": (date(2026, 10, 1) + timedelta(days=n % 3)).isoformat(),
                                       "volume": str(volumes(n, m))}})
    stored = batch_intake(user=operator, device={"deviceId": "lanes", "platform": "cli"}, events=events)
    assert not stored.rejected, stored.rejected[:3]
    return stored.batch


def _wells(tenant_a, count: int) -> list[Well]:
    from accounts.models import User

    operator = User.objects.get(email=tenant_a.users["OPERATOR"])
    wells = [Well.objects.create(api_number=new_api_number(), name=f"Lane {n}") for n in range(count)]
    WellAssignment.objects.bulk_create([WellAssignment(user=operator, well=well) for well in wells])
    return wells


def test_the_batch_is_completed_in_the_transaction_of_its_last_outcomes(tenant_a, db, settings, monkeypatch):
    """After every chunk's transaction (a commit, in a worker), a reader must never find every
    event decided while the batch is still PROCESSING."""
    settings.SYNC_CHUNK_EVENTS = 4
    seen = []
    chunk = processing._process_chunk

    def observed(event_pks, *, batch_id, **kwargs):
        chunk(event_pks, batch_id=batch_id, **kwargs)
        pending = SyncEvent.objects.filter(batch_id=batch_id, outcome=SyncEvent.Outcome.PENDING).count()
        seen.append((pending, SyncBatch.objects.get(pk=batch_id).status))

    monkeypatch.setattr(processing, "_process_chunk", observed)
    with schema_context(tenant_a.tenant.schema_name):
        batch = _production_batch(tenant_a, _wells(tenant_a, 2), 5, volumes=lambda n, m: 10 + n)
        batch_process(batch_id=batch.pk)
    assert [pending for pending, _ in seen] == [6, 2, 0]  # 10 events, chunks of 4
    assert seen[-1] == (0, "COMPLETED")
    assert all(status == "PROCESSING" for pending, status in seen if pending)


def test_a_batch_spread_over_lanes_ends_as_one_applied_in_order(tenant_a, db, settings, monkeypatch):
    """Lanes sent as tasks (run in place here: eager) give the records one run in order gives:
    per key the highest volume current, every other value kept, each event applied once."""
    settings.SYNC_CHUNK_EVENTS = settings.SYNC_SPREAD_EVENTS = 10
    with schema_context(tenant_a.tenant.schema_name):
        wells = _wells(tenant_a, 6)
        volumes = lambda n, m: (n * 7 + m * 3) % 23 + 1  # noqa: E731  (several values per key)
        batch = _production_batch(tenant_a, wells, 9, volumes=volumes)  # 54 events, 18 keys
        sent = []
        send = tasks.process_lane.apply_async

        def recorded(*args, **kwargs):
            sent.append(kwargs["args"])
            return send(*args, **kwargs)

        monkeypatch.setattr(tasks.process_lane, "apply_async", recorded)
        monkeypatch.setitem(app.conf, "task_always_eager", True)
        assert batch_process(batch_id=batch.pk, spread=True).status == "COMPLETED"
        assert len(sent) >= 2  # 54 events in lanes of about 10: the first here, the others as tasks
        expected: dict = {}
        for n in range(9):
            for m, well in enumerate(wells):
                key = (well.pk, date(2026, 10, 1) + timedelta(days=n % 3))
                expected[key] = max(expected.get(key, Decimal(0)), Decimal(volumes(n, m)))
        current = ProductionRecord.objects.filter(well__in=wells, superseded_by__isnull=True)
        assert {(r.well_id, r.production_date): r.volume for r in current} == expected
        assert ProductionRecord.objects.filter(well__in=wells).count() == 54
        assert ProductionRecord.objects.filter(well__in=wells).values("source_event_id").distinct().count() == 54
        assert not SyncEvent.objects.filter(batch_id=batch.pk, outcome__in=["PENDING", "REJECTED"]).exists()


@pytest.mark.parametrize("spread", [False, True])
def test_a_second_run_of_a_completed_batch_changes_nothing(tenant_a, db, settings, spread):
    settings.SYNC_CHUNK_EVENTS = settings.SYNC_SPREAD_EVENTS = 3
    with schema_context(tenant_a.tenant.schema_name):
        wells = _wells(tenant_a, 2)
        batch = _production_batch(tenant_a, wells, 2, volumes=lambda n, m: 5 + n)
        batch_process(batch_id=batch.pk)
        finished = SyncBatch.objects.get(pk=batch.pk).finished_at
        assert batch_process(batch_id=batch.pk, spread=spread).status == "COMPLETED"
        assert SyncBatch.objects.get(pk=batch.pk).finished_at == finished
        assert ProductionRecord.objects.filter(well__in=wells).count() == 4


def test_each_lane_carries_the_wells_of_its_events_for_their_alerts(tenant_a, db, settings, monkeypatch):
    """A lane task is sent with its wells (the alerts it evaluates then need no lookup), and the
    lane applied in place gives its own wells to ``lane_done``: together, every well once."""
    settings.SYNC_CHUNK_EVENTS = settings.SYNC_SPREAD_EVENTS = 10
    with schema_context(tenant_a.tenant.schema_name):
        wells = _wells(tenant_a, 6)
        batch = _production_batch(tenant_a, wells, 9, volumes=lambda n, m: 5 + n)
        well_of_event = {pk: str(well) for pk, well in SyncEvent.objects.filter(batch_id=batch.pk)
                         .values_list("pk", "cleaned__well_id")}
        sent, done = [], []
        monkeypatch.setattr(tasks.process_lane, "apply_async", lambda *a, **k: sent.append(k["args"]))
        batch_process(batch_id=batch.pk, spread=True, lane_done=done.append)
        assert len(sent) >= 2 and len(done) == 1
        for _batch_id, lane, lane_wells in sent:
            assert lane_wells == sorted({well_of_event[pk][2:] for pk in lane})
        every = [well for _, _, lane_wells in sent for well in lane_wells] + done[0]
        assert sorted(every) == sorted(str(well.pk) for well in wells)  # lanes share no well


def test_a_lane_evaluates_the_alerts_of_the_wells_it_is_given(tenant_a, db, monkeypatch):
    evaluated = []
    monkeypatch.setattr("wells.alerts.evaluation.alerts_evaluate",
                        lambda *, well_ids: evaluated.append(well_ids) or type("Run", (), {"opened": []})())
    with schema_context(tenant_a.tenant.schema_name):
        assert tasks.alerts_after_batch(str(uuid.uuid4()), [1, 2], well_ids=["w1", "w2"]) == 0
        assert tasks.alerts_after_batch(str(uuid.uuid4()), [3], well_ids=[]) == 0
    assert evaluated == [["w1", "w2"]]  # given wells, no lookup; none given: nothing to evaluate


@pytest.mark.parametrize("broker_up", [True, False])
def test_the_first_lanes_alerts_are_sent_after_the_other_lanes(tenant_a, db, settings, monkeypatch, broker_up):
    """process_batch on a worker (not eager) sends the alerts of the lane it applied itself as a
    task after the other lanes, so that a worker of one process applies those first; with the
    broker gone since, it evaluates them in place."""
    settings.SYNC_CHUNK_EVENTS = settings.SYNC_SPREAD_EVENTS = 10
    with schema_context(tenant_a.tenant.schema_name):
        wells = _wells(tenant_a, 6)
        batch = _production_batch(tenant_a, wells, 9, volumes=lambda n, m: 5 + n)
        sent, inline = [], []

        def alerts_sent(*args, **kwargs):
            if not broker_up:
                raise ConnectionError("broker went away")
            sent.append(("alerts", kwargs["args"]))

        monkeypatch.setattr(tasks.process_lane, "apply_async", lambda *a, **k: sent.append(("lane", k["args"])))
        monkeypatch.setattr(tasks.evaluate_lane_alerts, "apply_async", alerts_sent)
        monkeypatch.setattr(tasks, "alerts_after_batch", lambda batch_id, **k: inline.append(k["well_ids"]) or 0)
        assert tasks.process_batch(str(batch.pk)) == "PROCESSING"  # called as the worker calls it: not eager
        lanes = [args for kind, args in sent if kind == "lane"]
        lane_wells = {well for _, _, wells in lanes for well in wells}
        first_wells = sorted(str(well.pk) for well in wells if str(well.pk) not in lane_wells)
        assert lanes and first_wells
        if broker_up:
            assert sent[-1] == ("alerts", [str(batch.pk), first_wells]) and not inline
        else:
            assert all(kind == "lane" for kind, _ in sent) and inline == [first_wells]


def test_a_lanes_alerts_task_evaluates_its_wells_unless_the_tenant_is_being_moved(tenant_a, db, monkeypatch):
    evaluated = []
    monkeypatch.setattr(tasks, "alerts_after_batch", lambda batch_id, **k: evaluated.append(k["well_ids"]) or 1)
    with schema_context(tenant_a.tenant.schema_name):
        assert tasks.evaluate_lane_alerts("b", ["w1"]) == 1
        monkeypatch.setattr(tasks, "_tenant_migrating", lambda: True)
        assert tasks.evaluate_lane_alerts("b", ["w2"]) == 0
    assert evaluated == [["w1"]]
