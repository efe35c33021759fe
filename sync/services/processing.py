"""Batch processing (in a Celery worker, in the tenant's database).

A batch is processed in chunks of ``SYNC_CHUNK_EVENTS`` events, in occurredAt order (then
receipt, then id), one transaction per chunk holding the chunk's decisions and its events'
outcomes together: a chunk is applied and marked, or neither. A retry (a second delivery, a
worker killed mid-chunk) finds the applied events marked and skips them, so nothing is applied
twice.

In a chunk, the pending events are locked (skip locked: another worker holding them is applying
them right now), then the wells they name, in one statement in primary-key order. The well is
the lock of every conflict key on it, and a fixed order means overlapping batches on parallel
workers serialise per well without deadlock, reaching the state one worker would have reached.

Set-based rules (``Rule.keyed``) load the current records of every key the chunk touches in a
few queries, decide each key's events in memory in order, and write records, conflicts,
change-log rows and outcomes in bulk. The other rules apply one event at a time inside the
chunk's transaction. Payloads were validated and cleaned at intake (``SyncEvent.cleaned``).
A chunk that fails for anything but the database going away is applied again event by event,
so that one event a bug cannot apply is rejected (``processing_error``) without stopping the rest.

Corrections (``correctsEventId``) are decided after the chunk's other events, by
``sync.rules.corrections``; one whose target is not decided yet waits (outcome PENDING,
``waiting_since`` set) without holding its batch back, and is decided once its target is, by the
processing of whichever batch decides the target (``_release_waiting``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import User
from tenants import databases as tenant_db
from tenants.models import Tenant
from wells.models import Equipment, Well

from ..models import Change, Conflict, ConflictPolicy, SyncBatch, SyncEvent
from ..rules import RULES
from ..rules.base import (ApplyContext, EventRejected, Outcome, as_json, cleaned_load, order_key, record_data,
                          record_order_keys, stored_decimals)
from ..rules.corrections import CorrectionPass, waiting_ready
from ..schemas import validate_event_payload
from .changes import change_record

log = logging.getLogger(__name__)
CHUNK_EVENTS = 2_000


def strategies_chosen() -> dict[str, str]:
    """The strategy of every event type: the tenant ADMIN's choice where one may choose (one query)."""
    chosen = dict(ConflictPolicy.objects.values_list("event_type", "strategy"))
    return {event_type: chosen[event_type] if rule.configurable and chosen.get(event_type) in rule.strategies
            else rule.default_strategy for event_type, rule in RULES.items()}


def _tenant_time_zone() -> str:
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    zone = getattr(tenant, "time_zone", None)
    if zone:
        return zone
    return (Tenant.objects.filter(schema_name=connection.schema_name).values_list("time_zone", flat=True).first()
            or "America/Chicago")


def batch_process(*, batch_id) -> SyncBatch | None:
    """Apply the batch's pending events. Safe to call any number of times, concurrently too."""
    updated = SyncBatch.objects.filter(pk=batch_id, status__in=[SyncBatch.Status.QUEUED, SyncBatch.Status.PROCESSING,
                                                                SyncBatch.Status.FAILED])
    if not updated.exists():
        return SyncBatch.objects.filter(pk=batch_id).first()
    updated.update(status=SyncBatch.Status.PROCESSING, started_at=timezone.now(), attempts=F("attempts") + 1)
    time_zone = _tenant_time_zone()
    strategies = strategies_chosen()
    pending = list(
        SyncEvent.objects.filter(batch_id=batch_id, outcome=SyncEvent.Outcome.PENDING)
        .order_by("occurred_at", "received_at", "id")
        .values_list("pk", flat=True)
    )
    size = max(1, int(getattr(settings, "SYNC_CHUNK_EVENTS", CHUNK_EVENTS)))
    for start in range(0, len(pending), size):
        _process_chunk(pending[start:start + size], time_zone=time_zone, strategies=strategies)
    _release_waiting(size=size, time_zone=time_zone, strategies=strategies)
    return _finish(batch_id)


def _release_waiting(*, size: int, time_zone: str, strategies: dict) -> None:
    """Decide the waiting corrections whose target is decided now (this batch's or another's), a
    chain one link a round."""
    seen: set = set()
    for _round in range(1_000):
        ready = [pk for pk in waiting_ready() if pk not in seen]
        if not ready:
            return
        seen.update(ready)
        for start in range(0, len(ready), size):
            _process_chunk(ready[start:start + size], time_zone=time_zone, strategies=strategies)


def _process_chunk(event_pks: list, *, time_zone: str, strategies: dict) -> None:
    try:
        with tenant_db.atomic():
            _Chunk(event_pks, time_zone=time_zone, strategies=strategies).run()
        return
    except OperationalError:
        raise  # the database went away: let the task retry; nothing of this chunk was kept
    except Exception:
        log.exception("sync: a chunk of %s events failed; applying them one at a time", len(event_pks))
    for event_pk in event_pks:
        try:
            with tenant_db.atomic():
                _Chunk([event_pk], time_zone=time_zone, strategies=strategies).run()
        except OperationalError:
            raise
        except Exception as exc:  # a bug must not stop the batch: the event is kept, rejected, and logged
            log.exception("sync: event %s could not be applied", event_pk)
            with tenant_db.atomic():
                events = _locked_pending([event_pk])
                if events:
                    _save_rejections(events, "processing_error",
                                     f"The server could not apply this event ({type(exc).__name__}).")


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
    events = [_Event(*row) for row in (
        SyncEvent.objects.select_for_update(skip_locked=True, of=tenant_db.lock_of("self"))
        .filter(pk__in=event_pks, outcome=SyncEvent.Outcome.PENDING)
        .order_by("occurred_at", "received_at", "id")
        .values_list("pk", "event_id", "type", "occurred_at", "received_at", "user_id", "cleaned",
                     "corrects_event_id")
    )]
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
        outcome=SyncEvent.Outcome.REJECTED, processed_at=now,
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

    def write_outcomes(self) -> None:
        for outcome, pks in self.outcomes.items():
            SyncEvent.objects.filter(pk__in=pks).update(outcome=outcome, errors=[], processed_at=self.now)
        for event, code, message, details in self.rejected:
            _save_rejection(event, code, message, details, self.now)
        self.outcomes.clear()
        self.rejected.clear()

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
            left = [(event, payload) for event, payload, key in keyed_items if loaded.get(key) or events_of_key[key] > 1]
            keyed_items = [item for item in keyed_items if not loaded.get(item[2]) and events_of_key[item[2]] == 1]
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
                stored_decimals(incoming)  # from now on it compares as a record read back would
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

    # ------------------------------------------------------------------ one event at a time

    def apply_one_by_one(self, items: list) -> None:
        users = User.objects.in_bulk({event.user_id for event, _ in items if event.user_id})
        for event, payload in items:
            rule = RULES[event.type]
            well = Well.objects.filter(pk=payload["well_id"]).first()  # locked above; read fresh for its version
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
                conflict = Conflict.objects.create(
                    event_id=event.pk, well=well, event_type=event.type, reason=draft.reason, strategy=ctx.strategy,
                    status=draft.status, local_data=draft.local_data, server_data=draft.server_data,
                )
                change_record(entity=Change.Entity.CONFLICT, entity_id=conflict.pk, well_id=well.pk)
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
        self.conflicts.clear()
        if rows:
            Conflict.objects.bulk_create(rows)
            Change.objects.bulk_create([
                Change(entity=Change.Entity.CONFLICT, entity_id=row.pk, op=Change.Op.UPSERT, well_id=row.well_id,
                       version=1) for row in rows])


class _RecordWrites:
    """The records a chunk makes for one model, and the current records it supersedes, written so
    that "one current record per key" (a unique constraint for production) holds after every
    statement, and every superseded_by names a row already stored (MariaDB checks at once):
    new records are stored superseded by a record of their key already stored (or, the first of a
    key without one, as its current record), then pointed at their final winner, then the
    winners made current."""

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
        for key, record in self.new:
            final[record.pk] = record.superseded_by_id
            anchor = self.existing.get(key) or self.first_new[key]
            record.superseded_by_id = None if anchor is record else anchor.pk
            (first if anchor is record else later).append(record)
        self.model.objects.bulk_create(first)
        self.model.objects.bulk_create(later)
        pointed = list(self.superseded)
        made_current = []
        for _, record in self.new:
            stored_as, record.superseded_by_id = record.superseded_by_id, final[record.pk]
            if record.superseded_by_id is not None and record.superseded_by_id != stored_as:
                pointed.append(record)
            elif record.superseded_by_id is None and stored_as is not None:
                made_current.append(record.pk)
        if pointed:
            self.model.objects.bulk_update(pointed, ["superseded_by"])
        if made_current:
            self.model.objects.filter(pk__in=made_current).update(superseded_by=None)


def _finish(batch_id) -> SyncBatch:
    left = SyncEvent.objects.filter(batch_id=batch_id, outcome=SyncEvent.Outcome.PENDING,
                                    waiting_since__isnull=True).exists()
    if not left:
        SyncBatch.objects.filter(pk=batch_id).exclude(status=SyncBatch.Status.COMPLETED).update(
            status=SyncBatch.Status.COMPLETED, finished_at=timezone.now())
    return SyncBatch.objects.get(pk=batch_id)


def batch_counts(*, batch: SyncBatch) -> dict[str, int]:
    rows = dict(batch.events.values("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    return {
        "applied": rows.get(Outcome.APPLIED, 0),
        "autoResolved": rows.get(Outcome.AUTO_RESOLVED, 0),
        "pendingReview": rows.get(Outcome.PENDING_REVIEW, 0),
        "rejected": rows.get(Outcome.REJECTED, 0) + batch.rejected_events.count(),
        "duplicates": len(batch.duplicate_event_ids),
    }  # a correction counts under its outcome; one waiting for its target is in none (result: PENDING)
