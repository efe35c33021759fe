"""Corrections (API.md section 6): an event carrying ``correctsEventId`` fixes an earlier event of
the same type and well (a volume typed wrong). It is no conflict: the key is decided again as if
the corrected event had carried the corrected values from the start.

What a correction does, by where the corrected values live now (the *chain*: the corrected event,
its correction, a correction of that, ...; every version keeps the first event's place in order):

- A stored record. A new record holds the corrected values (source: the correction); the record
  it replaces stays, superseded by it. Then, for a rule with one current record per key decided by
  a strategy (production, readings: ``Keyed.key_records``), the key (the old and the new one, if
  the correction moved it) is replayed: its live records (the last version of each chain) in the
  order they were first decided, each through the rule's own decision, so HIGHEST_VALUE takes a
  downward correction and NEWEST_WINS keeps the order of the corrected event. Under MANUAL_REVIEW
  the record a person (or first arrival) made current stays current, with the corrected values.
  Other rules (inspections, repairs, notes, photos) take the corrected values in place: current
  stays current, superseded stays superseded; a day's merged note (MERGE) is merged again from
  the corrected originals. A photo keeps its one row (photoId is unique): its caption, equipment
  and time are corrected in place, the old values kept in the audit.
- A conflict waiting for review (the corrected event is PENDING_REVIEW). Its field side
  (``local_data``) takes the corrected values, so the manager decides on them; the correction's
  outcome is PENDING_REVIEW too, and the conflict change reaches the devices by the pull feed.
- Nowhere (the corrected event's conflict was dismissed, USE_SERVER or IGNORE; or the type changes
  the well itself, WELL_STATUS_CHANGED): the correction is decided like a new event of its type.

A correction whose target is not decided yet (not received, or received and still pending) waits:
its outcome stays PENDING, ``waiting_since`` is set, and its batch completes without it; once the
target is decided, processing decides the correction (``waiting_ready``). Sender and target are
checked then as at intake: ``correction_target_unknown`` (rejected target, other type, other
well), ``correction_forbidden`` (neither the target's sender nor a MANAGER/ADMIN). Every applied
correction leaves a ``sync.models.Correction`` row: who, which event, old and new values, records.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from accounts.models import Role, User
from wells.changelog.models import Change
from wells.changelog.services import change_record
from wells.models import Equipment, FieldNote, Photo

from . import RULES
from .base import (Outcome, Strategy, as_json, cleaned_load, day_bounds, record_data, record_order_keys,
                   stored_decimals)

TARGET_UNKNOWN = ("correction_target_unknown", "No event of this type and well to correct (unknown, rejected, "
                  "another type or another well).")
FORBIDDEN = ("correction_forbidden", "Only the user who sent an event, or a MANAGER or ADMIN, may correct it.")


@dataclass(frozen=True)
class TargetFacts:
    """What the checks read of a corrected event."""

    type: str
    well_id: Any
    user_id: Any
    refused: bool = False  # rejected: it was never applied
    pending: bool = False  # stored, not decided yet

    @classmethod
    def of_stored(cls, event_id, event_type, cleaned, user_id, outcome) -> "TargetFacts":
        well_id = cleaned_load(cleaned).get("well_id") if cleaned else None
        return cls(type=event_type, well_id=well_id, user_id=user_id, refused=outcome == "REJECTED",
                   pending=outcome == "PENDING")


def correction_problem(*, event_type: str, well_id, sender, target: TargetFacts) -> tuple[str, str] | None:
    """(code, message) when the correction cannot be applied to this target, else None."""
    if target.refused or target.type != event_type or target.well_id != well_id:
        return TARGET_UNKNOWN
    if sender is None or (target.user_id != sender.pk and sender.role not in (Role.MANAGER, Role.ADMIN)):
        return FORBIDDEN
    return None


def waiting_ready() -> list:
    """The waiting corrections whose target is decided now (pks, in order): two small queries."""
    from sync.models import SyncEvent

    waiting = list(SyncEvent.objects.filter(outcome=SyncEvent.Outcome.PENDING, waiting_since__isnull=False)
                   .order_by("occurred_at", "received_at", "id").values_list("pk", "corrects_event_id"))
    if not waiting:
        return []
    decided = set(SyncEvent.objects.filter(event_id__in={target for _, target in waiting})
                  .exclude(outcome=SyncEvent.Outcome.PENDING).values_list("event_id", flat=True))
    return [pk for pk, target in waiting if target in decided]


class CorrectionPass:
    """The corrections of one chunk, decided after its other events (a target in the chunk is
    decided first), in the chunk's transaction, with the chunk's wells locked. ``run`` returns the
    corrections to decide as new events; outcomes go to ``chunk.outcomes`` / ``chunk.reject``."""

    def __init__(self, chunk):
        self.chunk = chunk
        self.held: list = []
        self.as_new: list = []
        self.audits: list = []  # Correction rows of the as-new corrections: kept unless they are rejected

    def run(self, items: list) -> list:
        from sync.models import SyncEvent

        left = list(items)
        while left:  # a chain in one chunk: a correction of a correction waits for it
            in_pass = {event.event_id for event, _ in left}
            waiting, progressed = [], False
            for event, payload in left:
                if event.corrects_event_id in in_pass:
                    waiting.append((event, payload))
                    continue
                progressed = True
                self.decide(event, payload)
                self.chunk.write_outcomes()  # the next of a chain reads this one's outcome
            if not progressed:  # a cycle (A corrects B corrects A): neither target is ever decided
                for event, _ in waiting:
                    self.chunk.reject(event, *TARGET_UNKNOWN)
                break
            left = waiting
        if self.held:
            SyncEvent.objects.filter(pk__in=self.held, waiting_since__isnull=True).update(waiting_since=self.chunk.now)
        return self.as_new

    def audit_decided(self) -> None:
        """The audit rows of the corrections decided like new events, those not rejected."""
        from sync.models import Correction, SyncEvent

        if not self.audits:
            return
        refused = set(SyncEvent.objects.filter(pk__in=[a.event_id for a in self.audits],
                                               outcome=SyncEvent.Outcome.REJECTED).values_list("pk", flat=True))
        Correction.objects.bulk_create([a for a in self.audits if a.event_id not in refused])

    # ------------------------------------------------------------------ one correction

    def decide(self, event, payload: dict) -> None:
        from sync.models import Conflict, Correction, SyncEvent

        target = (SyncEvent.objects.filter(event_id=event.corrects_event_id)
                  .values_list("pk", "event_id", "type", "cleaned", "user_id", "outcome").first())
        if target is None or target[5] == SyncEvent.Outcome.PENDING:
            self.held.append(event.pk)
            return
        target_pk, target_id = target[0], target[1]
        sender = User.objects.filter(pk=event.user_id).first()
        problem = correction_problem(event_type=event.type, well_id=payload["well_id"], sender=sender,
                                     target=TargetFacts.of_stored(*target[1:]))
        if problem:
            self.chunk.reject(event, *problem)
            return
        rule = RULES[event.type]
        earlier = Correction.objects.filter(event_id=target_pk).values_list("root_event_id", flat=True).first()
        root_id = earlier or target_id
        last = Correction.objects.filter(root_event_id=root_id).order_by("-id").first()
        audit = Correction(event_id=event.pk, corrected_event_id=target_id, root_event_id=root_id,
                           event_type=event.type, well_id=payload["well_id"], corrected_by=sender)
        equipment = {}
        if payload.get("equipment_id"):
            equipment = Equipment.objects.filter(pk=payload["equipment_id"], well_id=payload["well_id"],
                                                 deleted_at__isnull=True).in_bulk()
            if not equipment:
                self.chunk.reject(event, "unknown_equipment", "This equipment does not exist on this well.")
                return
        record, conflict = None, None
        if rule.model is not None:
            if last is not None and last.new_record_id:
                record = rule.model.objects.filter(pk=last.new_record_id).first()
            else:
                conflict = last.conflict if last is not None and last.conflict_id else (
                    Conflict.objects.filter(event_id=SyncEvent.objects.filter(event_id=root_id).values("pk")[:1])
                    .order_by("-created_at").first())
                local_id = (conflict.local_data or {}).get("id") if conflict is not None else None
                if local_id:  # resolved USE_LOCAL (or stored beside the server's): the record holds it
                    record = rule.model.objects.filter(pk=local_id).first()
                elif last is None:
                    record = rule.model.objects.filter(source_event_id=root_id).order_by("created_at").first()
        if record is not None:
            self.correct_record(rule, event, payload, equipment, record, audit)
        elif conflict is not None and conflict.status == Conflict.Status.PENDING_REVIEW:
            self.correct_conflict(rule, event, payload, equipment, conflict, audit)
        else:
            audit.old_values = last.new_values if last is not None else _payload_values(target[3])
            audit.new_values = as_json({k: v for k, v in payload.items()})
            self.audits.append(audit)
            self.as_new.append((event, payload))

    def correct_conflict(self, rule, event, payload, equipment, conflict, audit) -> None:
        values = _new_values(rule, event, payload, equipment)
        audit.old_values = {k: v for k, v in conflict.local_data.items() if k != "correctedByEventId"}
        audit.new_values = values
        audit.conflict = conflict
        conflict.local_data = values | {"correctedByEventId": str(event.event_id)}
        conflict.save(update_fields=["local_data"])
        change_record(entity=Change.Entity.CONFLICT, entity_id=conflict.pk, well_id=conflict.well_id)
        audit.save()
        self.chunk.outcomes[Outcome.PENDING_REVIEW].append(event.pk)

    def correct_record(self, rule, event, payload, equipment, old, audit) -> None:
        model = rule.model
        audit.old_values = record_data(old, rule.fields)
        audit.old_record_id = old.pk
        if model is Photo and old.photo_id == payload["photo_id"]:  # photoId is unique: one row, corrected
            Photo.objects.filter(pk=old.pk).update(caption=payload.get("caption", ""), taken_at=payload["taken_at"],
                                                   equipment_id=payload.get("equipment_id"))
            new = Photo.objects.get(pk=old.pk)
        else:
            new = _build(rule, event, payload, equipment)
            new.superseded_by_id = old.pk  # stored superseded first: one current record per key at every step
            new.save()
            audit.save()  # before the replay: it reads the chain (the new record's place) from it
            if rule.keyed is not None and rule.keyed.key_records is not None:
                self.replay(rule, old=old, new=new)
            else:
                self.in_place(rule, old=old, new=new)
            new.refresh_from_db()
        audit.new_record_id = new.pk
        audit.new_values = record_data(new, rule.fields)
        audit.save()
        self.chunk.outcomes[Outcome.APPLIED].append(event.pk)

    def in_place(self, rule, *, old, new) -> None:
        model = rule.model
        model.objects.filter(superseded_by=old).exclude(pk=new.pk).update(superseded_by=new.pk)
        if old.superseded_by_id is None:
            model.objects.filter(pk=old.pk).update(superseded_by=new.pk)
            model.objects.filter(pk=new.pk).update(superseded_by=None)
        else:
            model.objects.filter(pk=new.pk).update(superseded_by=old.superseded_by_id)
            model.objects.filter(pk=old.pk).update(superseded_by=new.pk)
            merged = FieldNote.objects.filter(pk=old.superseded_by_id, is_merged=True).first() \
                if model is FieldNote else None
            if merged is not None:
                self.merge_again(merged)

    def merge_again(self, merged: FieldNote) -> None:
        """The day's merged note, made again from its live originals (the corrected ones included)."""
        from ..rules.note import merge_order, merged_text
        from ..schemas import NOTES_MAX

        zone = zoneinfo.ZoneInfo(self.chunk.time_zone)
        start, end = day_bounds(self.chunk.time_zone, merged.recorded_at)
        day = list(FieldNote.objects.filter(well_id=merged.well_id, recorded_at__gte=start, recorded_at__lt=end,
                                            is_merged=False).select_related("recorded_by"))
        dead = _replaced_records(n.pk for n in day)
        originals = merge_order(n for n in day if n.pk not in dead)
        text = merged_text(originals, zone)[:NOTES_MAX]
        again = FieldNote.objects.create(well_id=merged.well_id, notes=text, recorded_at=originals[0].recorded_at,
                                         is_merged=True, superseded_by=merged)
        FieldNote.objects.filter(superseded_by=merged).exclude(pk=again.pk).update(superseded_by=again.pk)
        FieldNote.objects.filter(pk=merged.pk).update(superseded_by=again.pk)
        FieldNote.objects.filter(pk=again.pk).update(superseded_by=None)

    def replay(self, rule, *, old, new) -> None:
        """Decide the key(s) again: the live records in the order they were first decided, each
        through the rule's decision, the corrected values in the place of the values they replace."""
        spec, model = rule.keyed, rule.model
        strategy = self.chunk.strategies[rule.event_type]
        for key in dict.fromkeys([spec.record_key(old), spec.record_key(new)]):
            records = list(spec.key_records(key))
            dead = _replaced_records(r.pk for r in records) | {old.pk}
            holder = next((r for r in records if r.superseded_by_id is None), None)
            live = [r for r in records if r.pk not in dead]
            if not live:
                continue
            for record in live:
                stored_decimals(record)
            order = record_order_keys(live, decided=True)
            live.sort(key=lambda r: order[r.pk])
            if strategy == Strategy.MANUAL_REVIEW:  # a person (or the first arrival) chose: it stays
                holder = new if holder is not None and holder.pk == old.pk else holder
                winner = holder if holder is not None and holder.pk in {r.pk for r in live} else live[0]
            else:
                winner = live[0]
                for record in live[1:]:
                    decision = spec.decide([winner], record, strategy=strategy, incoming_order=order[record.pk][1],
                                           order_of=lambda r: order[r.pk][1])
                    if decision.incoming_wins:
                        winner = record
            losers = [r.pk for r in live if r.pk != winner.pk]
            model.objects.filter(pk__in=losers).exclude(superseded_by=winner.pk).update(superseded_by=winner.pk)
            if old.pk in {r.pk for r in records}:
                model.objects.filter(pk=old.pk).update(superseded_by=new.pk)
            model.objects.filter(pk=winner.pk).update(superseded_by=None)
        model.objects.filter(pk=old.pk).update(superseded_by=new.pk)  # kept, superseded by its correction


def _build(rule, event, payload: dict, equipment: dict):
    if rule.keyed is not None and rule.model is not FieldNote:
        return rule.keyed.build(event, payload, equipment)
    if rule.model is FieldNote:
        return FieldNote(well_id=payload["well_id"], notes=payload["notes"], recorded_at=payload["recorded_at"],
                         recorded_by_id=event.user_id, source_event_id=event.event_id)
    return Photo(well_id=payload["well_id"], equipment_id=payload.get("equipment_id"), photo_id=payload["photo_id"],
                 taken_at=payload["taken_at"], caption=payload.get("caption", ""), recorded_by_id=event.user_id,
                 source_event_id=event.event_id)


def _new_values(rule, event, payload: dict, equipment: dict) -> dict:
    record = _build(rule, event, payload, equipment)
    return as_json({name: getattr(record, name) for name in rule.fields})


def _payload_values(cleaned: dict | None) -> dict:
    return as_json(cleaned_load(cleaned)) if cleaned else {}


def _replaced_records(record_ids) -> set:
    """Those of the records replaced by a correction (not live any more; a photo corrected in
    place stays live)."""
    from sync.models import Correction

    return set(Correction.objects.filter(old_record_id__in=list(record_ids)).exclude(new_record_id=F("old_record_id"))
               .values_list("old_record_id", flat=True))
