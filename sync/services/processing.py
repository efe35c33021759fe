"""Batch processing (in a Celery worker, in the tenant's database).

A batch is processed in chunks of ``SYNC_CHUNK_EVENTS`` events, in occurredAt order (then
receipt, then event id), one transaction per chunk holding the chunk's decisions and its events'
outcomes together: a chunk is applied and marked, or neither. A retry (a second delivery, a
worker killed mid-chunk) finds the applied events marked and skips them, so nothing is applied
twice. The chunk that decides the batch's last pending events marks it COMPLETED in the same
transaction (``complete_if_done``).

A large batch (more than ``SYNC_SPREAD_EVENTS`` pending) is cut into lanes of whole wells
(``batch_lanes``): the worker that picked the batch up applies the first and sends the others as
tasks (``sync.tasks.process_lane``), so that every worker process works on it at once. Lanes
share no well, hence no conflict key; the well locks below still order them against other
batches.

In a chunk, the pending events are locked (skip locked: another worker holding them is applying
them right now), then the wells they name, in one statement in primary-key order. The well is
the lock of every conflict key on it, and a fixed order means overlapping batches on parallel
workers serialise per well without deadlock, reaching the state one worker would have reached.

Set-based rules (``Rule.keyed``) load the current records of every key the chunk touches in a
few queries, decide each key's events in memory in order, and write records, conflicts,
change-log rows and outcomes in bulk (sync.services.bulk: COPY and one UPDATE on PostgreSQL,
Django's multi-row statements elsewhere). A rule that decides in memory only a key's lone event
(``Keyed.alone_only``) may still decide its other keys set-based for some strategies
(``Keyed.crowded``: MERGE of a day's notes); the rest, and the other rules, apply one event at a
time inside the chunk's transaction. Payloads were validated and cleaned at intake (``SyncEvent.cleaned``).
A chunk that fails for anything but the database going away is applied again event by event,
so that one event a bug cannot apply is rejected (``processing_error``) without stopping the rest.

Corrections (``correctsEventId``) are decided after the chunk's other events, by
``sync.rules.corrections``; one whose target is not decided yet waits (outcome PENDING,
``waiting_since`` set) without holding its batch back, and is decided once its target is, by the
processing of whichever batch decides the target (``_release_waiting``).
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from tenants import databases as tenant_db
from wells.changelog.models import Change
from wells.models import Equipment, Well

from ..models import Conflict, ConflictPolicy, SyncBatch, SyncEvent
from ..rules import RULES
from ..rules.base import (ApplyContext, EventRejected, as_json, cleaned_load, order_key, record_data,
                          record_order_keys)
from ..rules.corrections import CorrectionPass, waiting_ready
from ..schemas import validate_event_payload
from . import bulk

log = logging.getLogger(__name__)
# Chunk size and spreading: settings.SYNC_CHUNK_EVENTS and SYNC_SPREAD_EVENTS (config.settings.tasks);
# a batch of more pending events than the latter is spread over worker processes in lanes, a smaller
# one costs less applied where it is.
# The order events are applied in: occurredAt, then receipt, then the event id, as ``order_key``
# compares them (the events of one request share their receipt time).
PROCESSING_ORDER = ("occurred_at", "received_at", "event_id")


def strategies_chosen() -> dict[str, str]:
    """The strategy of every event type: the tenant ADMIN's choice where one may choose (one query)."""
    chosen = dict(ConflictPolicy.objects.values_list("event_type", "strategy"))
    return {event_type: chosen[event_type] if rule.configurable and chosen.get(event_type) in rule.strategies
            else rule.default_strategy for event_type, rule in RULES.items()}


def _tenant_time_zone() -> str:
    from tenants.context import current_time_zone

    return current_time_zone().key


# ====================================================================== orchestration
# How a batch is cut into chunks, spread over worker processes and marked COMPLETED. The decisions
# are the _Chunk's (below); this part only chooses which events go together and when.


def batch_process(*, batch_id, spread: bool = False, lane_done=None) -> SyncBatch | None:
    """Apply the batch's pending events. Safe to call any number of times, concurrently too.

    ``spread`` (the Celery task): a batch of more than one chunk is cut into lanes of whole
    wells (``batch_lanes``); every lane but the first is sent as a task of its own, with its
    wells, so that other worker processes take them while this one applies the first, after
    which ``lane_done(well ids)`` is called with the wells of that lane (None if one is not
    known); the task evaluates their alerts. Not called for a batch applied whole."""
    updated = SyncBatch.objects.filter(pk=batch_id, status__in=[SyncBatch.Status.QUEUED, SyncBatch.Status.PROCESSING,
                                                                SyncBatch.Status.FAILED])
    if not updated.update(status=SyncBatch.Status.PROCESSING, started_at=timezone.now(),
                          attempts=F("attempts") + 1):
        return SyncBatch.objects.filter(pk=batch_id).first()
    size = chunk_events()
    pending = bulk.pending_of_batch(batch_id, PROCESSING_ORDER, with_well=spread)
    if spread and len(pending) > int(settings.SYNC_SPREAD_EVENTS):
        # An even number of lanes of about equal size (about a chunk each, a lane's last well may
        # take it past one): two worker processes (the usual worker) finish together; more share
        # them as they come.
        count = max(2, -(-len(pending) // size))
        lanes = batch_lanes(pending, count + count % 2)
        well_of = dict(pending)
        lane_wells = [_lane_wells(lane, well_of) for lane in lanes]
        from ..tasks import process_lane

        for lane, wells in zip(lanes[1:], lane_wells[1:]):
            process_lane.apply_async(args=[str(batch_id), lane, wells])
        lanes = lanes[:1]
    else:
        lanes, lane_wells, lane_done = [[row[0] for row in pending]], [], None
    time_zone, strategies = _tenant_time_zone(), strategies_chosen()
    for lane in lanes:
        lane_process(batch_id=batch_id, event_pks=lane, time_zone=time_zone, strategies=strategies)
    if lane_done is not None:
        lane_done(lane_wells[0])
    with tenant_db.atomic():  # nothing was pending (a second delivery), or a lane is still running
        complete_if_done(batch_id)
    return SyncBatch.objects.get(pk=batch_id)


def chunk_events() -> int:
    return max(1, int(settings.SYNC_CHUNK_EVENTS))


def batch_lanes(pending: list[tuple], count: int) -> list[list]:
    """Cut a batch's pending events ((pk, well id) in processing order) into at most ``count``
    lanes of whole wells, of about equal size, every lane in processing order: a lane is closed
    once it holds its share (a ``count``-th of the events), the last takes the rest. (Closed before
    it passed its share instead, a lane left the few events of the last wells to a small lane of
    their own, applied after the others: a task more, at the end of the batch.) Every conflict
    key lies on one well and a chunk locks the wells it touches, so lanes applied at the same
    time, in any order, give what applying the batch in order gives. An event without a known
    well (stored before intake cleaned payloads) makes one lane of all."""
    of_well: dict = {}
    for position, (pk, well) in enumerate(pending):
        if well is None:
            return [[pk for pk, _ in pending]]
        of_well.setdefault(well, []).append((position, pk))
    share = -(-len(pending) // max(1, count))
    lanes, lane = [], []
    for events in of_well.values():  # wells in order of their first event
        lane += events
        if len(lane) >= share and len(lanes) < count - 1:
            lanes.append(lane)
            lane = []
    if lane:
        lanes.append(lane)
    return [[pk for _, pk in sorted(lane)] for lane in lanes]


def _lane_wells(lane: list, well_of: dict) -> list[str] | None:
    """The well ids of a lane's events (stored as "u:<uuid>", rules.base), None if one is unknown."""
    tags = {well_of[pk] for pk in lane}
    if not all(isinstance(tag, str) and tag.startswith("u:") for tag in tags):
        return None
    return sorted(tag[2:] for tag in tags)


def lane_process(*, batch_id, event_pks: list, time_zone: str | None = None, strategies: dict | None = None) -> None:
    """Apply these events of the batch (those still pending), chunk after chunk, in order."""
    time_zone = time_zone or _tenant_time_zone()
    strategies = strategies or strategies_chosen()
    size = chunk_events()
    for start in range(0, len(event_pks), size):
        _process_chunk(event_pks[start:start + size], batch_id=batch_id, time_zone=time_zone, strategies=strategies)
    # After every lane, not only the batch's first: a correction waiting for a target that another
    # lane (or another batch, on another worker) decided meanwhile is released by whoever ends last.
    _release_waiting(batch_id=batch_id, time_zone=time_zone, strategies=strategies)


def _release_waiting(*, batch_id, time_zone: str, strategies: dict) -> None:
    """Decide the waiting corrections whose target is decided now (this batch's or another's), a
    chain one link a round."""
    size = chunk_events()
    seen: set = set()
    for _round in range(1_000):
        ready = [pk for pk in waiting_ready() if pk not in seen]
        if not ready:
            return
        seen.update(ready)
        for start in range(0, len(ready), size):
            _process_chunk(ready[start:start + size], batch_id=batch_id, time_zone=time_zone, strategies=strategies)


def complete_if_done(batch_id) -> bool:
    """Mark the batch COMPLETED if none of its events is pending, in the caller's transaction: the
    one that commits the last outcomes, so no reader ever sees every event decided and the batch
    still PROCESSING. The batch row is locked first: of two chunks committing at once, the second
    waits, then (read committed: a new snapshot per statement) sees the first one's outcomes. A
    correction waiting for its target (``waiting_since``) does not hold its batch back."""
    list(SyncBatch.objects.select_for_update().filter(pk=batch_id).values_list("pk", flat=True))
    if SyncEvent.objects.filter(batch_id=batch_id, outcome=SyncEvent.Outcome.PENDING,
                                waiting_since__isnull=True).exists():
        return False
    return SyncBatch.objects.filter(pk=batch_id).exclude(status=SyncBatch.Status.COMPLETED).update(
        status=SyncBatch.Status.COMPLETED, finished_at=timezone.now()) > 0


@contextmanager
def _collector_paused():
    """No automatic garbage collection while a chunk is decided. A chunk's records, rows and their
    dicts live until it ends, so the collector, run every 700 allocations, walks them again and
    again to find nothing: for a 10,000-event batch 3 full passes and ~270 younger ones, measured
    at 0.1 s of its ~0.8 s. They are freed by reference counting when the chunk ends; the
    collector runs again from there."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _process_chunk(event_pks: list, *, batch_id, time_zone: str, strategies: dict) -> None:
    try:
        with _collector_paused(), tenant_db.atomic():
            _Chunk(event_pks, time_zone=time_zone, strategies=strategies).run()
            complete_if_done(batch_id)
        return
    except OperationalError:
        raise  # the database went away: let the task retry; nothing of this chunk was kept
    except Exception:
        log.exception("sync: a chunk of %s events failed; applying them one at a time", len(event_pks))
    for event_pk in event_pks:
        try:
            with tenant_db.atomic():
                _Chunk([event_pk], time_zone=time_zone, strategies=strategies).run()
                complete_if_done(batch_id)
        except OperationalError:
            raise
        except Exception as exc:  # a bug must not stop the batch: the event is kept, rejected, and logged
            log.exception("sync: event %s could not be applied", event_pk)
            with tenant_db.atomic():
                events = _locked_pending([event_pk])
                if events:
                    _save_rejections(events, "processing_error",
                                     f"The server could not apply this event ({type(exc).__name__}).")
                complete_if_done(batch_id)


# ====================================================================== one chunk


@dataclass(slots=True)
class _Event:
    """What processing reads of a SyncEvent (rows, not model instances: a chunk has thousands)."""

    pk: int
    event_id: Any
    type: str
    occurred_at: Any
    received_at: Any
    user_id: Any
    cleaned: dict | None
    corrects_event_id: Any = None
    payload: dict | None = None


def _locked_pending(event_pks: list) -> list[_Event]:
    events = [_Event(*row) for row in bulk.locked_pending_events(
        event_pks, ("pk", "event_id", "type", "occurred_at", "received_at", "user_id", "cleaned",
                    "corrects_event_id"))]
    uncleaned = {event.pk: event for event in events if event.cleaned is None}
    if uncleaned:  # stored before payloads were cleaned at intake
        for pk, payload in SyncEvent.objects.filter(pk__in=list(uncleaned)).values_list("pk", "payload"):
            uncleaned[pk].payload = payload
    return events


def _save_rejections(events: list[_Event], code: str, message: str) -> None:
    now = timezone.now()
    for event in events:
        _save_rejection(event, code, message, {}, now)


def _save_rejection(event: _Event, code: str, message: str, details: dict, now) -> None:
    SyncEvent.objects.filter(pk=event.pk).update(
        outcome=SyncEvent.Outcome.REJECTED, processed_at=now, waiting_since=None,
        errors=[{"eventId": str(event.event_id), "code": code, "message": message, "details": details}])


class _Chunk:
    """One chunk's events, decided and written in the caller's transaction."""

    def __init__(self, event_pks: list, *, time_zone: str, strategies: dict):
        self.event_pks = event_pks
        self.time_zone = time_zone
        self.strategies = strategies
        self.now = timezone.now()
        self.outcomes: dict[str, list] = defaultdict(list)
        self.rejected: list[tuple] = []
        self.conflicts: list[tuple] = []  # (rule, event, well id, incoming, current, decision, local data, strategy)
        self.drafted: list[Conflict] = []  # conflicts of the per-event rules

    def reject(self, event: _Event, code: str, message: str, details: dict | None = None) -> None:
        self.rejected.append((event, code, message, details or {}))

    def run(self) -> None:
        events = _locked_pending(self.event_pks)
        if not events:
            return
        payloads: dict[int, dict] = {}
        for event in events:
            rule = RULES.get(event.type)
            if event.cleaned is not None and rule is not None:
                payloads[event.pk] = cleaned_load(event.cleaned)
                continue
            # Stored before payloads were cleaned at intake: validated here, as then.
            cleaned, errors = validate_event_payload(event.type, event.payload, now=event.received_at)
            if rule is None or errors:
                self.reject(event, "invalid_payload", "The event does not match its schema.", errors)
            else:
                payloads[event.pk] = cleaned
        # The per-key lock: every well of the chunk, in one statement, in a fixed order.
        wells = {
            well.pk: well
            for well in Well.objects.select_for_update().filter(
                pk__in={payload["well_id"] for payload in payloads.values()}).order_by("pk")
        }
        items, corrections = [], []
        for event in events:
            payload = payloads.get(event.pk)
            if payload is None:
                continue
            well = wells.get(payload["well_id"])
            if well is None or well.deleted_at is not None:
                self.reject(event, "unknown_well", "The well no longer exists.")
            elif event.corrects_event_id is not None:
                corrections.append((event, payload))
            else:
                items.append((event, payload))
        self.decide(items)
        if corrections:  # after the others: a target in this chunk is decided first
            corrections_pass = CorrectionPass(self)
            self.decide(corrections_pass.run(corrections))  # those decided like new events
            corrections_pass.audit_decided()

    def decide(self, items: list) -> None:
        """Decide events by their rules (set-based, else one at a time) and write the outcomes."""
        keyed: dict[str, list] = defaultdict(list)
        one_by_one: list = []
        for event, payload in items:
            if RULES[event.type].keyed is not None:
                keyed[event.type].append((event, payload))
            else:
                one_by_one.append((event, payload))
        for event_type, typed in keyed.items():
            one_by_one += self.decide_keyed(RULES[event_type], typed)
        one_by_one.sort(key=lambda item: order_key(item[0]))
        if one_by_one:
            self.apply_one_by_one(one_by_one)
        self.write_conflicts()
        self.write_outcomes()

    # ------------------------------------------------------------------ set-based rules

    def decide_keyed(self, rule, items: list) -> list:
        """Decide the rule's events in memory; returns those left to the per-event rule."""
        spec, strategy = rule.keyed, self.strategies[rule.event_type]
        equipment_ids = {payload["equipment_id"] for _, payload in items if payload.get("equipment_id")}
        equipment = Equipment.objects.filter(pk__in=equipment_ids, deleted_at__isnull=True).in_bulk() \
            if equipment_ids else {}
        keyed_items = []
        for event, payload in items:
            equipment_id = payload.get("equipment_id")
            if equipment_id is not None and (equipment_id not in equipment
                                             or equipment[equipment_id].well_id != payload["well_id"]):
                self.reject(event, "unknown_equipment", "This equipment does not exist on this well.")
            else:
                keyed_items.append((event, payload, spec.key(payload, self.time_zone)))
        loaded = spec.load_current(list({key for _, _, key in keyed_items}), self.time_zone)
        left = []
        if spec.alone_only:
            events_of_key = defaultdict(int)
            for _, _, key in keyed_items:
                events_of_key[key] += 1
            crowded = [item for item in keyed_items if loaded.get(item[2]) or events_of_key[item[2]] > 1]
            keyed_items = [item for item in keyed_items if not loaded.get(item[2]) and events_of_key[item[2]] == 1]
            if crowded and strategy in (spec.crowded or {}):
                self.decide_crowded(rule, spec.crowded[strategy], crowded, loaded)
            else:
                left = [(event, payload) for event, payload, _ in crowded]
        orders = record_order_keys(record for records in loaded.values() for record in records) \
            if not spec.alone_only else {}
        state = {key: list(records) for key, records in loaded.items()}
        writes = _RecordWrites(rule.model, existing={key: records[0] for key, records in loaded.items() if records})
        for event, payload, key in keyed_items:
            incoming = spec.build(event, payload, equipment)
            currents = state.setdefault(key, [])
            incoming_order = order_key(event)
            decision = spec.decide(currents, incoming, strategy=strategy, incoming_order=incoming_order,
                                   order_of=lambda record: orders[record.pk])
            current = decision.current
            local = as_json({name: getattr(incoming, name) for name in rule.fields}) if decision.conflict_status else None
            if decision.stored:
                if current is None or decision.incoming_wins:
                    if current is not None:
                        currents.remove(current)
                        writes.supersede(current, incoming)
                    currents.append(incoming)
                else:
                    incoming.superseded_by_id = current.pk
                writes.add(key, incoming)
                orders[incoming.pk] = incoming_order
            if decision.conflict_status:
                self.conflicts.append((rule, event, payload["well_id"], incoming if decision.stored else None, current,
                                       decision, local, strategy))
            self.outcomes[decision.outcome].append(event.pk)
        writes.flush()
        return left

    def decide_crowded(self, rule, decide, items: list, loaded: dict) -> None:
        """The events ``alone_only`` leaves over, decided set-based by the rule (``Keyed.crowded``)."""
        well_of = {event.pk: payload["well_id"] for event, payload, _ in items}
        authors = {event.user_id for event, _, _ in items if event.user_id}
        authors |= {record.recorded_by_id for key in {key for _, _, key in items} for record in loaded.get(key, ())
                    if record.recorded_by_id}
        for event, outcome, draft in decide(items, loaded, time_zone=self.time_zone,
                                            users=User.objects.in_bulk(authors)):
            if draft is not None:
                self.drafted.append(Conflict(
                    event_id=event.pk, well_id=well_of[event.pk], event_type=event.type, reason=draft.reason,
                    strategy=self.strategies[event.type], status=draft.status, local_data=draft.local_data,
                    server_data=draft.server_data))
            self.outcomes[outcome].append(event.pk)

    # ------------------------------------------------------------------ one event at a time

    def apply_one_by_one(self, items: list) -> None:
        users = User.objects.in_bulk({event.user_id for event, _ in items if event.user_id})
        wells: dict = {}  # locked above; read fresh for a type that changes the well (it decides on its version)
        for event, payload in items:
            rule = RULES[event.type]
            well = wells.get(payload["well_id"])
            if well is None or rule.model is None:
                well = wells[payload["well_id"]] = Well.objects.filter(pk=payload["well_id"]).first()
            ctx = ApplyContext(event=event, payload=payload, well=well, user=users.get(event.user_id),
                               time_zone=self.time_zone, strategy=self.strategies[event.type])
            try:
                with tenant_db.atomic():  # the rule's writes, undone together if it refuses the event
                    result = rule.apply(ctx)
            except EventRejected as exc:
                self.reject(event, exc.code, exc.message)
                continue
            if result.conflict is not None:
                draft = result.conflict
                self.drafted.append(Conflict(  # written with the chunk's other conflicts (write_conflicts)
                    event_id=event.pk, well_id=well.pk, event_type=event.type, reason=draft.reason,
                    strategy=ctx.strategy, status=draft.status, local_data=draft.local_data,
                    server_data=draft.server_data))
            self.outcomes[result.outcome].append(event.pk)

    def write_conflicts(self) -> None:
        rows = []
        for rule, event, well_id, incoming, current, decision, local, strategy in self.conflicts:
            if incoming is not None:
                local = local | {"id": str(incoming.pk)}
            rows.append(Conflict(
                event_id=event.pk, well_id=well_id, event_type=rule.event_type,
                reason=decision.reason, strategy=strategy, status=decision.conflict_status, local_data=local,
                server_data=record_data(current, rule.fields)))
        rows += self.drafted
        self.conflicts.clear()  # decide() runs again for a chunk's corrections
        self.drafted = []
        if rows:
            bulk.insert_objects(Conflict, rows)
            bulk.insert_rows(Change, ("entity", "entity_id", "op", "well_id", "version"),
                             [(Change.Entity.CONFLICT, row.pk, Change.Op.UPSERT, row.well_id, 1) for row in rows])

    def write_outcomes(self) -> None:
        """Every decided event's outcome, in one statement (PostgreSQL; one per outcome elsewhere),
        and the rejections; both lists are emptied (a correction chain writes one link at a time).
        A decided correction no longer waits (``waiting_since`` cleared). For the other events it
        was and stays NULL: PostgreSQL compares the values, so the update stays HOT."""
        bulk.set_values(SyncEvent, "outcome", {pk: outcome for outcome, pks in self.outcomes.items() for pk in pks},
                        errors=[], processed_at=self.now, waiting_since=None)
        for event, code, message, details in self.rejected:
            _save_rejection(event, code, message, details, self.now)
        self.outcomes.clear()
        self.rejected.clear()


class _RecordWrites:
    """The records a chunk makes for one model, and the current records it supersedes, written so
    that "one current record per key" (a unique constraint for production) holds after every
    statement, and every superseded_by names a row already stored (MariaDB checks at once):
    new records are stored superseded by a record of their key already stored (or, for a key
    without one, stored first as its current record: the one new record that ends current, else
    the first), then pointed at their final winner, then the winners made current. So the usual
    key of a chunk, new with two events of which one wins, is stored as it ends, in no UPDATE."""

    def __init__(self, model, *, existing: dict):
        self.model = model
        self.existing = existing  # key -> a current record already stored
        self.new: list = []
        self.first_new: dict = {}
        self.superseded: list = []

    def add(self, key, record) -> None:
        self.new.append((key, record))
        self.first_new.setdefault(key, record)

    def supersede(self, record, winner) -> None:
        record.superseded_by_id = winner.pk
        if record._state.adding is False:
            self.superseded.append(record)

    def flush(self) -> None:
        if not self.new and not self.superseded:
            return
        final, first, later = {}, [], []
        ends_current: dict = {}  # key without a stored record -> its one new record left current (None: several)
        for key, record in self.new:
            final[record.pk] = record.superseded_by_id
            if record.superseded_by_id is None and key not in self.existing:
                ends_current[key] = None if key in ends_current else record
        for key, record in self.new:
            anchor = self.existing.get(key) or ends_current.get(key) or self.first_new[key]
            record.superseded_by_id = None if anchor is record else anchor.pk
            (first if anchor is record else later).append(record)
        bulk.insert_objects(self.model, first)
        bulk.insert_objects(self.model, later)
        pointed = list(self.superseded)
        made_current = []
        for _, record in self.new:
            stored_as, record.superseded_by_id = record.superseded_by_id, final[record.pk]
            if record.superseded_by_id is not None and record.superseded_by_id != stored_as:
                pointed.append(record)
            elif record.superseded_by_id is None and stored_as is not None:
                made_current.append(record.pk)
        if pointed:
            bulk.set_values(self.model, "superseded_by", {record.pk: record.superseded_by_id for record in pointed})
        if made_current:
            self.model.objects.filter(pk__in=made_current).update(superseded_by=None)
