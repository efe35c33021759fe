"""Batch intake (POST /api/v1/sync/batches): validate every event, store the batch and all its
events (accepted and rejected) in one transaction, enqueue processing after commit.

"Accepted" means durably stored before the answer is sent: processing happens later, in a
worker, and a sweeper re-enqueues batches whose enqueue was lost (broker down at intake).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError
from django.utils import timezone

from config.dates import time_bound_problem
from config.text import BAD_TEXT_MESSAGE, find_bad_text, json_storable, text_storable
from tenants import databases as tenant_db
from wells.models import Equipment
from wells.selectors import wells_for_user

from ..models import Device, RejectedEvent, SyncBatch, SyncEvent
from ..rules.base import cleaned_json
from ..schemas import (EVENT_KEYS, Invalid, parse_corrects_event_id, parse_datetime, parse_new_uuid,
                       validate_event_payload)
from . import bulk

log = logging.getLogger(__name__)
EVENT_COLUMNS = ("event_id", "batch_id", "type", "payload", "cleaned", "content_hash", "occurred_at", "received_at",
                 "device_id", "user_id", "outcome", "errors", "processed_at", "corrects_event_id")


@dataclass
class Rejection:
    event_id: str | None
    code: str
    message: str
    details: dict = field(default_factory=dict)
    # It quotes only an event whose text intake checked and found storable: used as it is.
    storable: bool = False

    def as_wire(self) -> dict:
        wire = {"eventId": self.event_id, "code": self.code, "message": self.message, "details": self.details}
        # Else it may quote what was sent: made storable and encodable (no NUL, no lone surrogate).
        return wire if self.storable else json_storable(wire)


@dataclass
class IntakeResult:
    batch: SyncBatch
    accepted: list[str]
    duplicates: list[str]
    rejected: list[Rejection]


def content_hash(raw: dict) -> str:
    """The event as sent, canonically: the same id with other content is a reused id."""
    return _canonical_hash(raw)[1]


# json.dumps with these options would make a new encoder for every event; one serves them all.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _canonical_hash(raw: dict) -> tuple[str, str]:
    canonical = _CANONICAL.encode(raw)
    # surrogatepass: a lone surrogate hashes as sent (not as the U+FFFD it is stored as).
    return canonical, hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


# In the canonical text (ensure_ascii off) a NUL shows as the escape \u0000 and a lone surrogate
# as itself. A sent backslash before "u0000" matches too: the walk then finds nothing wrong.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _bad_text(raw: dict, canonical: str) -> str | None:
    """find_bad_text(raw), walked only when a scan of the canonical text finds a suspect. Most
    events are ASCII (known at once), and then only the NUL's escape needs looking for."""
    suspect = "\\u0000" in canonical or (not canonical.isascii() and _SURROGATE.search(canonical) is not None)
    return find_bad_text(raw) if suspect else None


@dataclass
class _Checked:
    raw: object
    event_id: uuid.UUID | None = None
    wire_id: str | None = None  # str(event_id), made once
    hash: str = ""
    type: str = ""
    occurred_at: datetime | None = None
    payload: dict | None = None
    cleaned: dict | None = None
    rejection: Rejection | None = None
    duplicate: bool = False
    duplicate_of_rejected: bool = False
    id_taken: bool = False  # the id is already stored: this event cannot be stored under it again
    text_ok: bool = False  # every key and string of the event is storable (checked)
    corrects: uuid.UUID | None = None  # correctsEventId


def _check_shape(raw, *, user_text: str, now: datetime, today: date | None) -> _Checked:
    """``user_text``: the sender's id as text (a userId sent must be it)."""
    item = _Checked(raw=raw)
    if not isinstance(raw, dict):
        item.rejection = Rejection(None, "invalid_event", "An event must be a JSON object.")
        return item
    raw_id = raw.get("id")
    try:
        item.event_id = parse_new_uuid(raw_id)
    except Invalid:
        item.rejection = Rejection(str(raw_id)[:80] if raw_id is not None else None, "invalid_event",
                                   "The event id must be a UUID.", {"id": ["must be a UUID"]})
        return item
    canonical, item.hash = _canonical_hash(raw)
    wire_id = item.wire_id = raw_id.lower()  # str(event_id): the canonical form, already checked
    details: dict[str, list[str]] = {}
    if not EVENT_KEYS.issuperset(raw):
        unknown = sorted(str(k)[:60] for k in raw if k not in EVENT_KEYS)
        details["event"] = [f"unknown key(s): {', '.join(unknown[:10])}"]
    item.type = raw.get("type") if isinstance(raw.get("type"), str) else ""
    try:
        item.occurred_at = parse_datetime(raw.get("occurredAt"))
        problem = time_bound_problem(item.occurred_at, now=now)
        if problem:
            details["occurredAt"] = [problem]
            item.occurred_at = None
    except Invalid as exc:
        details["occurredAt"] = [str(exc)]
    try:
        item.corrects = parse_corrects_event_id(raw, event_id=item.event_id)
    except Invalid as exc:
        details["correctsEventId"] = [str(exc)]
    bad_text = _bad_text(raw, canonical)
    if bad_text:  # stored with the characters replaced, and rejected: only this event
        item.rejection = Rejection(wire_id, "invalid_payload" if bad_text.startswith("payload") else "invalid_event",
                                   "The event holds text that cannot be stored.", {bad_text: [BAD_TEXT_MESSAGE]})
        return item
    item.text_ok = True
    if raw.get("userId") is not None and str(raw["userId"]) != user_text:
        item.rejection = Rejection(wire_id, "user_mismatch", "userId is not the authenticated user.")
        return item
    if not item.type:
        details["type"] = ["is required"]
    elif isinstance(raw.get("payload"), dict) or "payload" in raw:
        item.payload = raw.get("payload")
        item.cleaned, payload_errors = validate_event_payload(item.type, item.payload, now=now, today=today)
        if "type" in payload_errors:
            item.rejection = Rejection(wire_id, "unknown_event_type", f"Unknown event type {item.type[:60]!r}.",
                                       {"type": payload_errors["type"]})
            return item
        details.update({(k if k in ("payload",) else f"payload.{k}"): v for k, v in payload_errors.items()})
    else:
        details["payload"] = ["is required"]
    if details:
        item.rejection = Rejection(wire_id, "invalid_payload", "The event does not match its schema.", details)
    return item


def _check_against_state(items: list[_Checked], *, user) -> None:
    """Wells and equipment must exist and be on the user's route: two queries for the batch."""
    candidates = [i for i in items if i.rejection is None and not i.duplicate and i.cleaned]
    scoped = _scope(candidates, user=user)
    candidates = [i for i in candidates if i.rejection is None and i.event_id not in scoped]
    well_ids = {i.cleaned["well_id"] for i in candidates if "well_id" in i.cleaned}
    visible = set(wells_for_user(user=user).filter(pk__in=well_ids).values_list("pk", flat=True))
    equipment_ids = {i.cleaned["equipment_id"] for i in candidates if i.cleaned.get("equipment_id")}
    equipment_well = dict(
        Equipment.objects.filter(pk__in=equipment_ids, deleted_at__isnull=True).values_list("pk", "well_id")
    )
    for item in candidates:
        wire_id = item.wire_id
        if item.cleaned["well_id"] not in visible:
            item.rejection = Rejection(wire_id, "unknown_well",
                                       "No such well on your route (unknown, deleted or not assigned to you).",
                                       {"payload.wellId": ["unknown or not on your route"]})
        elif item.cleaned.get("equipment_id") and equipment_well.get(item.cleaned["equipment_id"]) != item.cleaned["well_id"]:
            item.rejection = Rejection(wire_id, "unknown_equipment", "No such equipment on this well.",
                                       {"payload.equipmentId": ["unknown or on another well"]})


def _scope(candidates: list[_Checked], *, user) -> set:
    """Event types that name no well (a tank's) are checked by their rule's ``scope`` hook, which
    files each event under a well (``well_id`` in its cleaned payload) or rejects it; the ids of
    those it accepted, their route check done."""
    from ..rules import RULES

    accepted = set()
    for event_type, rule in RULES.items():
        hook = rule.extra.get("scope")
        typed = [i for i in candidates if i.type == event_type] if hook else []
        if not typed:
            continue
        for item, problem in zip(typed, hook([i.cleaned for i in typed], user)):
            if problem:
                item.rejection = Rejection(str(item.event_id), *problem)
            else:
                accepted.add(item.event_id)
    return accepted


def _check_corrections(items: list[_Checked], *, user) -> None:
    """A correction whose target is known (stored, or earlier or later in this batch) is checked
    now, so the device hears at once; one whose target is not known yet is accepted and waits for
    it (sync.rules.corrections checks it again when the target is decided). One query."""
    from ..rules.corrections import TargetFacts, correction_problem

    candidates = [i for i in items if i.rejection is None and not i.duplicate and i.corrects is not None]
    if not candidates:
        return
    here = {i.event_id: i for i in items if i.event_id is not None and not i.id_taken}
    wanted = {i.corrects for i in candidates} - set(here)
    stored = {row[0]: TargetFacts.of_stored(*row) for row in SyncEvent.objects.filter(event_id__in=wanted)
              .values_list("event_id", "type", "cleaned", "user_id", "outcome")} if wanted else {}
    for item in candidates:
        target = here.get(item.corrects)
        if target is not None:
            facts = TargetFacts(type=target.type, well_id=(target.cleaned or {}).get("well_id"), user_id=user.pk,
                                refused=target.rejection is not None and not target.duplicate)
        else:
            facts = stored.get(item.corrects)
        if facts is None:
            continue  # not known yet: it waits for its target
        problem = correction_problem(event_type=item.type, well_id=item.cleaned["well_id"], sender=user, target=facts)
        if problem:
            item.rejection = Rejection(str(item.event_id), *problem,
                                       {"correctsEventId": [problem[1]]})


def batch_intake(*, user, device: dict, events: list, today: date | None = None) -> IntakeResult:
    """Store a batch. Retries once if a concurrent batch stored one of the same event ids first.
    ``today`` is the tenant's date: a productionDate after it is rejected."""
    for attempt in range(3):
        try:
            return _batch_intake_once(user=user, device=device, events=events, today=today)
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("sync intake: concurrent batch stored the same event ids; checking again")
    raise AssertionError("unreachable")


def _batch_intake_once(*, user, device: dict, events: list, today: date | None) -> IntakeResult:
    now = timezone.now()
    user_text = str(user.pk)
    items = [_check_shape(raw, user_text=user_text, now=now, today=today) for raw in events]

    # Idempotency: ids seen before (in earlier batches, or earlier in this one).
    ids = [i.event_id for i in items if i.event_id is not None]
    stored = {
        event_id: (digest, outcome, errors)
        for event_id, digest, outcome, errors in bulk.rows_with_values(
            SyncEvent, "event_id", ids, ("event_id", "content_hash", "outcome", "errors"))
    }
    seen_here: dict[uuid.UUID, str] = {}
    for item in items:
        if item.event_id is None:
            continue
        if item.event_id in stored or item.event_id in seen_here:
            item.id_taken = True
            digest, outcome, errors = stored.get(item.event_id) or (seen_here[item.event_id], None, [])
            if digest != item.hash:
                item.rejection = Rejection(str(item.event_id), "event_id_reused",
                                           "This event id was already used for an event with other content.")
            elif outcome == SyncEvent.Outcome.REJECTED and errors:
                # Sent again as it was: still rejected, for the same reason (not a duplicate to mark synced).
                first = errors[0]
                item.rejection = Rejection(str(item.event_id), first.get("code", "invalid_event"),
                                           first.get("message", ""), first.get("details", {}))
                item.duplicate_of_rejected = True
            else:
                item.duplicate = True
                item.rejection = None
        else:
            seen_here[item.event_id] = item.hash
    _check_against_state(items, user=user)
    _check_corrections(items, user=user)

    with tenant_db.atomic():
        device_row, _ = Device.objects.update_or_create(
            device_id=device["deviceId"],
            defaults={"platform": device["platform"], "app_version": device.get("appVersion", ""), "last_user": user},
        )
        batch = SyncBatch.objects.create(
            device=device_row, user=user, duplicate_event_ids=[str(i.event_id) for i in items if i.duplicate]
        )
        rows, kept_aside, accepted = [], [], []
        for item in items:
            if item.duplicate or item.duplicate_of_rejected:
                continue  # stored before, with its outcome
            if item.event_id is None or item.id_taken:
                kept_aside.append(RejectedEvent(batch=batch, raw=_json_safe(item.raw), code=item.rejection.code,
                                                message=_text_safe(item.rejection.message),
                                                details=_json_safe(item.rejection.details)))
                continue
            rejection = item.rejection
            if rejection is None:
                accepted.append(item.wire_id)
                # An accepted event holds storable text only (the text check passed): stored as parsed.
                rows.append((item.event_id, batch.pk, text_storable(item.type)[:40], item.payload,
                             cleaned_json(item.cleaned), item.hash, item.occurred_at, now, device_row.pk, user.pk,
                             SyncEvent.Outcome.PENDING, [], None, item.corrects))
            else:
                sent = item.raw.get("payload") or {}
                if item.text_ok:  # storable as sent, and so is what its rejection quotes of it
                    rejection.storable = True
                    errors = [rejection.as_wire()]
                else:  # stored with the characters replaced; the rejection may quote them
                    sent, errors = _json_safe(sent), _json_safe([rejection.as_wire()])
                rows.append((item.event_id, batch.pk, text_storable(item.type)[:40], sent, None, item.hash,
                             item.occurred_at, now, device_row.pk, user.pk, SyncEvent.Outcome.REJECTED, errors, now,
                             item.corrects))
        # One COPY on PostgreSQL (sync.services.bulk); the receipt time is the batch's.
        bulk.insert_rows(SyncEvent, EVENT_COLUMNS, rows, encoded=("cleaned",))
        RejectedEvent.objects.bulk_create(kept_aside)
        if not accepted:
            batch.status = SyncBatch.Status.COMPLETED
            batch.finished_at = now
            batch.save(update_fields=["status", "finished_at"])
        else:
            tenant_db.on_commit(lambda: enqueue_batch(batch_id=batch.pk))
    return IntakeResult(
        batch=batch,
        accepted=accepted,
        duplicates=[str(i.event_id) for i in items if i.duplicate],
        rejected=[i.rejection for i in items if i.rejection is not None and not i.duplicate],
    )


def _json_safe(value):
    """What the device sent, storable as JSON (no NUL, no lone surrogate: config.text)."""
    return json.loads(json.dumps(json_storable(value), default=str))


def _text_safe(text: str) -> str:
    return text_storable(text)


def enqueue_batch(*, batch_id) -> bool:
    """Send the processing task; if the broker is down the batch stays QUEUED for the sweeper."""
    from ..tasks import process_batch

    try:
        process_batch.apply_async(args=[str(batch_id)], retry=False)
        return True
    except Exception:  # broker unreachable: the sweeper re-enqueues QUEUED batches
        log.warning("sync intake: could not enqueue batch %s; the sweeper will pick it up", batch_id)
        return False
