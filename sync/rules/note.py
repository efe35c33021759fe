"""NOTES_ADDED: when the well already has a note that day, MERGE by default: a merged note made
of the day's original notes, each with its author and time, in time order (so the result does
not depend on which device synced first). The originals stay, superseded by the merged note."""

import zoneinfo
from collections import defaultdict

from tenants import databases as tenant_db
from wells.models import FieldNote

from ..schemas import NOTES_MAX, SCHEMAS
from .base import (ApplyContext, ConflictDraft, Decision, Keyed, Outcome, Rule, RuleResult, Strategy, as_json,
                   day_bounds, order_key, record_data, new_record, record_order_keys,
                   records_in_spans)

FIELDS = ("notes", "recorded_at", "is_merged")
MERGED_REASON = "The well already had a note that day: the notes were merged (author and time kept)."
TOO_LONG_REASON = "The merged note would pass 10,000 characters; both notes are kept."


def note_entry(note: FieldNote, zone: zoneinfo.ZoneInfo) -> str:
    author = note.recorded_by.get_full_name() if note.recorded_by_id else "unknown"
    return f"[{note.recorded_at.astimezone(zone):%Y-%m-%d %H:%M %Z}] {author}: {note.notes}"


def merge_order(notes) -> list[FieldNote]:
    """Notes in the order a merged note lists them: by time, then by their event's id (so the
    merged text does not depend on which device synced first)."""
    return sorted(notes, key=lambda note: (note.recorded_at, str(note.source_event_id)))


def merged_text(originals: list[FieldNote], zone: zoneinfo.ZoneInfo) -> str:
    """The text of a merged note made of ``originals`` (in ``merge_order``), each with author and time."""
    return "\n\n".join(note_entry(note, zone) for note in originals)


def apply(ctx: ApplyContext) -> RuleResult:
    p = ctx.payload
    start, end = day_bounds(ctx.time_zone, p["recorded_at"])
    day_notes = FieldNote.objects.select_for_update(of=tenant_db.lock_of("self")).filter(well=ctx.well, recorded_at__gte=start, recorded_at__lt=end)
    current = list(day_notes.filter(superseded_by__isnull=True).order_by("recorded_at"))
    incoming = FieldNote(well=ctx.well, notes=p["notes"], recorded_at=p["recorded_at"], recorded_by=ctx.user,
                         source_event_id=ctx.event.event_id)
    if not current:
        incoming.save()
        return RuleResult(Outcome.APPLIED)
    server = record_data(current[0], FIELDS)
    local = as_json({name: getattr(incoming, name) for name in FIELDS})
    if ctx.strategy == Strategy.MANUAL_REVIEW:
        return RuleResult(Outcome.PENDING_REVIEW, ConflictDraft(
            "The well already has a note for that day.", "PENDING_REVIEW", local, server))
    if ctx.strategy == Strategy.KEEP_BOTH:
        incoming.save()
        return RuleResult(Outcome.AUTO_RESOLVED, ConflictDraft(
            "The well already had a note that day; both are kept.", "AUTO_RESOLVED", local, server))
    if ctx.strategy == Strategy.NEWEST_WINS:
        orders = record_order_keys(current)
        newest = max(current, key=lambda n: orders[n.pk])
        incoming_wins = ctx.order_key > orders[newest.pk]
        incoming.superseded_by = None if incoming_wins else newest
        incoming.save()
        if incoming_wins:
            day_notes.filter(pk__in=[n.pk for n in current]).update(superseded_by=incoming)
        return RuleResult(Outcome.AUTO_RESOLVED, ConflictDraft(
            "Newest note wins.", "AUTO_RESOLVED", local | {"id": str(incoming.pk)}, server))
    # MERGE
    incoming.save()
    zone = zoneinfo.ZoneInfo(ctx.time_zone)
    originals = merge_order(day_notes.filter(is_merged=False).select_related("recorded_by"))
    text = merged_text(originals, zone)
    if len(text) > NOTES_MAX:
        return RuleResult(Outcome.AUTO_RESOLVED, ConflictDraft(
            TOO_LONG_REASON, "AUTO_RESOLVED",
            local | {"id": str(incoming.pk)}, server))
    merged = FieldNote.objects.create(well=ctx.well, notes=text, recorded_at=originals[0].recorded_at, is_merged=True)
    day_notes.filter(superseded_by__isnull=True).exclude(pk=merged.pk).update(superseded_by=merged)
    return RuleResult(Outcome.AUTO_RESOLVED, ConflictDraft(
        MERGED_REASON, "AUTO_RESOLVED",
        local | {"id": str(incoming.pk)}, server | {"mergedInto": str(merged.pk)}))


def merge_crowded(items: list, loaded: dict, *, time_zone: str, users: dict) -> list:
    """MERGE, set-based, for the notes whose day already has notes or gets more than one in the
    chunk (``Keyed.crowded``): what ``apply`` gives one event at a time, in processing order,
    decided in memory from every note of those days (``loaded``) and written in two statements.
    Each note is stored and, when its day had a current note, a merged note of the day's
    originals made from it, superseding every current note of the day (the previous merged note
    too), as ``apply`` does. ``items``: (event, cleaned payload, key); ``users`` by pk: every
    author of those notes. Returns (event, outcome, ConflictDraft or None) in processing order."""
    from ..services import bulk

    zone = zoneinfo.ZoneInfo(time_zone)
    days = {key: list(loaded.get(key, ())) for _, _, key in items}
    for notes in days.values():
        for note in notes:
            if note.recorded_by_id in users:  # the author's name, without a query per note
                note.recorded_by = users[note.recorded_by_id]
    new, repointed, decided = [], {}, []
    for event, payload, day_key in sorted(items, key=lambda item: order_key(item[0])):
        day = days[day_key]
        current = sorted((note for note in day if note.superseded_by_id is None), key=lambda note: note.recorded_at)
        incoming = FieldNote(well_id=payload["well_id"], notes=payload["notes"], recorded_at=payload["recorded_at"],
                             recorded_by=users.get(event.user_id), source_event_id=event.event_id)
        day.append(incoming)
        new.append(incoming)
        if not current:
            decided.append((event, Outcome.APPLIED, None))
            continue
        local = as_json({name: getattr(incoming, name) for name in FIELDS}) | {"id": str(incoming.pk)}
        originals = merge_order(note for note in day if not note.is_merged)
        text = merged_text(originals, zone)
        if len(text) > NOTES_MAX:
            decided.append((event, Outcome.AUTO_RESOLVED, (TOO_LONG_REASON, local, current[0], {})))
            continue
        merged = FieldNote(well_id=payload["well_id"], notes=text, recorded_at=originals[0].recorded_at, is_merged=True)
        for note in day:
            if note.superseded_by_id is None:
                note.superseded_by_id = merged.pk
                if not note._state.adding:
                    repointed[note.pk] = merged.pk
        day.append(merged)
        new.append(merged)
        decided.append((event, Outcome.AUTO_RESOLVED, (MERGED_REASON, local, current[0], {"mergedInto": str(merged.pk)})))
    # Stored current first (every superseded_by names a stored row: MariaDB checks at once), then pointed.
    final = {note.pk: note.superseded_by_id for note in new}
    for note in new:
        note.superseded_by_id = None
    bulk.insert_objects(FieldNote, new)
    for note in new:
        note.superseded_by_id = final[note.pk]
    bulk.set_values(FieldNote, "superseded_by", repointed | {pk: to for pk, to in final.items() if to is not None})
    # The server side of each conflict as ``apply`` read it: the day's first current note, stored.
    return [(event, outcome, None if draft is None else ConflictDraft(
                draft[0], "AUTO_RESOLVED", draft[1], record_data(draft[2], FIELDS) | draft[3]))
            for event, outcome, draft in decided]


def key(payload: dict, time_zone: str) -> tuple:
    return (payload["well_id"], day_bounds(time_zone, payload["recorded_at"])[0])


def load_current(keys: list[tuple], time_zone: str) -> dict:
    """Every note of those days, current or not: a day with any goes to the per-event rule."""
    days = defaultdict(list)
    for well_id, start in keys:
        days[well_id].append(start)
    spans = {well_id: (min(starts), day_bounds(time_zone, max(starts))[1]) for well_id, starts in days.items()}
    wanted, found = set(keys), defaultdict(list)
    for note in records_in_spans(FieldNote, "well", "recorded_at", spans, current_only=False):
        note_key = (note.well_id, day_bounds(time_zone, note.recorded_at)[0])
        if note_key in wanted:
            found[note_key].append(note)
    return found


def build(event, payload: dict, equipment: dict) -> FieldNote:
    return new_record(FieldNote, well_id=payload["well_id"], notes=payload["notes"],
                      recorded_at=payload["recorded_at"], recorded_by_id=event.user_id,
                      source_event_id=event.event_id)


def decide(currents: list, incoming, *, strategy: str, incoming_order: tuple, order_of) -> Decision:
    return Decision(Outcome.APPLIED)  # the day's only note (alone_only: any other day goes to ``apply``)


RULE = Rule(
    event_type="NOTES_ADDED",
    default_strategy=Strategy.MERGE,
    strategies=(Strategy.MERGE, Strategy.KEEP_BOTH, Strategy.NEWEST_WINS, Strategy.MANUAL_REVIEW),
    apply=apply,
    schema=SCHEMAS["NOTES_ADDED"],
    model=FieldNote,
    fields=FIELDS,
    actions=("USE_LOCAL", "USE_SERVER", "KEEP_BOTH", "MERGE", "IGNORE"),
    keyed=Keyed(key=key, load_current=load_current, build=build, decide=decide, alone_only=True,
                crowded={Strategy.MERGE: merge_crowded}),
)
