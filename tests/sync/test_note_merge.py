"""NOTES_ADDED under MERGE, decided set-based (sync.rules.note.merge_crowded) for the notes whose
day already has notes or gets several in one chunk: the same notes, merged notes, superseded
chain and conflicts as the per-event rule (``note.apply``) gives, event by event. The same
stream is processed on two wells, once each way, and the two outcomes compared field by field."""

from __future__ import annotations

import dataclasses
import random

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from sync.models import Conflict, SyncEvent
from sync.rules import RULES
from tests.factories import api_login
from tests.sync.conftest import event, later, new_api_number
from wells.models import FieldNote, Well, WellAssignment

pytestmark = pytest.mark.django_db


def stream(well, seed: int) -> list[list[dict]]:
    """Batches of notes on three days: one day with notes from an earlier batch, one only in the
    big batch, one note alone; two long notes whose merge would pass 10,000 characters."""
    rng = random.Random(seed)

    def note(text, at, minutes):
        return event("NOTES_ADDED", {"wellId": str(well.pk), "notes": text, "recordedAt": at}, occurred=later(minutes))

    first = [note("Day one, early", "2026-11-20T13:00:00Z", 0)]
    big = [note(f"Day one, note {n}", f"2026-11-20T{14 + n:02d}:{rng.randint(0, 59):02d}:00Z", 10 + n) for n in range(5)]
    big += [note(f"Day two, note {n}", f"2026-11-21T{15 + n:02d}:00:00Z", 20 + n) for n in range(3)]
    big += [note("Day three, alone", "2026-11-22T15:00:00Z", 30)]
    big += [note("L" * 5_500, "2026-11-21T19:00:00Z", 40), note("M" * 5_500, "2026-11-21T20:00:00Z", 41),
            note("Day two, after the long ones", "2026-11-21T21:00:00Z", 42)]
    rng.shuffle(big)  # processing orders them (occurredAt, receipt, id), not the batch
    last = [note("Day one, late", "2026-11-20T23:00:00Z", 50), note("Day one, later", "2026-11-20T23:30:00Z", 51)]
    return [first, big, last]


def state(tenant, well) -> dict:
    """The well's notes and its events' conflicts, every id replaced by what it names."""
    with schema_context(tenant.tenant.schema_name):
        notes = {n.pk: n for n in FieldNote.objects.filter(well=well)}
        text = {str(pk): n.notes for pk, n in notes.items()}
        sent = SyncEvent.objects.filter(payload__wellId=str(well.pk)).values_list("pk", "payload__notes", "outcome")
        events = {pk: notes_text for pk, notes_text, _ in sent}
        outcomes = sorted((notes_text, outcome) for _, notes_text, outcome in sent)
        rows = sorted((n.notes, n.is_merged, n.recorded_at, n.recorded_by_id,
                       notes[n.superseded_by_id].notes if n.superseded_by_id else None) for n in notes.values())

        def named(data):
            return {k: text.get(str(v), v) if k in ("id", "mergedInto") else v for k, v in data.items()
                    if k not in ("createdAt", "sourceEventId")}

        conflicts = sorted(
            (events[c.event_id], c.reason, c.status, c.strategy, sorted(named(c.local_data).items()),
             sorted(named(c.server_data).items()))
            for c in Conflict.objects.filter(event_id__in=list(events)))
    return {"notes": rows, "outcomes": outcomes, "conflicts": conflicts}


@pytest.mark.parametrize("seed", [1, 2])
def test_merge_decided_set_based_gives_what_the_per_event_rule_gives(client, tenant_a, push_and_process, monkeypatch,
                                                                     seed):
    with schema_context(tenant_a.tenant.schema_name):
        wells = [Well.objects.create(api_number=new_api_number(), name=f"Merge {n}") for n in range(2)]
        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        for well in wells:
            WellAssignment.objects.create(user=operator, well=well)
    manager = api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"]
    rule = RULES["NOTES_ADDED"]
    per_event = dataclasses.replace(rule, keyed=dataclasses.replace(rule.keyed, crowded=None))
    for well, as_rule in ((wells[0], rule), (wells[1], per_event)):
        monkeypatch.setitem(RULES, "NOTES_ADDED", as_rule)
        first, big, last = stream(well, seed)
        push_and_process(first, token=manager)  # another author's note already on day one
        push_and_process(big)
        push_and_process(last)
    set_based, one_by_one = state(tenant_a, wells[0]), state(tenant_a, wells[1])
    assert set_based == one_by_one
    # The stream meets every branch: applied alone, merged, and kept both when too long.
    assert {o for _, o in set_based["outcomes"]} == {"APPLIED", "AUTO_RESOLVED"}
    reasons = {c[1] for c in set_based["conflicts"]}
    assert any("merged" in r for r in reasons) and any("10,000" in r for r in reasons)
    assert len(set_based["notes"]) > 20
