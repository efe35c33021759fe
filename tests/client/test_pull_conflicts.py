"""The field client applies conflict changes from the pull feed (API.md section 9): a manager's
decision moves the device's event from PENDING_REVIEW to RESOLVED or IGNORED, and `status` says
what was decided. A real SQLite store in tmp_path; the feed's pages are as the server sends them."""

from __future__ import annotations

import uuid

import pytest

from sync.client.store import Store

WELL = str(uuid.uuid4())


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "profile" / "field.db") as opened:
        opened.apply_changes([{"entity": "well", "op": "upsert", "id": WELL, "version": 1, "data": {
            "id": WELL, "apiNumber": "42317000010000", "name": "Ector 12-1", "status": "ACTIVE"}}],
            cursor="c0", replace=True)
        yield opened


def inspected(store) -> str:
    event = store.record(event_type="EQUIPMENT_INSPECTED", user_id="u1", payload={
        "wellId": WELL, "equipmentId": str(uuid.uuid4()), "inspectionType": "ROUTINE", "status": "FAIL",
        "inspectedAt": "2026-11-20T15:00:00Z"})
    return event["id"]


def conflict(conflict_id, event_id, status, resolution=None) -> dict:
    return {"entity": "conflict", "op": "upsert", "id": conflict_id, "version": 1, "data": {
        "id": conflict_id, "wellId": WELL, "eventId": event_id, "eventType": "EQUIPMENT_INSPECTED",
        "status": status, "strategy": "MANUAL_REVIEW", "reason": "another inspection that day says PASS",
        "resolution": resolution, "createdAt": "2026-11-20T15:01:00+00:00"}}


def pushed(store, event_id, conflict_id):
    store.mark_pushed(batch_id="b1", status="RECEIVED", accepted=[event_id], duplicates=[], rejected=[],
                      events=1, size=100)
    store.mark_batch(batch_id="b1", status="COMPLETED", counts={}, results=[
        {"eventId": event_id, "outcome": "PENDING_REVIEW", "conflict": conflict_id}])


def outcome(store, event_id):
    return store.event(event_id)["outcome"]


@pytest.mark.parametrize("action, status", [("USE_LOCAL", "RESOLVED"), ("IGNORE", "IGNORED")])
def test_a_decided_conflict_moves_the_event_from_pending_review_to_the_decision(store, action, status):
    event_id, conflict_id = inspected(store), str(uuid.uuid4())
    pushed(store, event_id, conflict_id)
    store.apply_changes([conflict(conflict_id, event_id, "PENDING_REVIEW")], cursor="c1")
    assert outcome(store, event_id) == "PENDING_REVIEW"
    assert [c["id"] for c in store.pending_conflicts()] == [conflict_id] and store.decided_conflicts() == []
    resolution = {"action": action, "resolvedBy": str(uuid.uuid4()), "resolvedAt": "2026-11-21T09:00:00+00:00",
                  "note": "checked on site"}
    store.apply_changes([conflict(conflict_id, event_id, status, resolution)], cursor="c2")
    assert outcome(store, event_id) == status
    assert store.pending_conflicts() == []
    [decided] = store.decided_conflicts()
    assert decided["id"] == conflict_id and decided["event_id"] == event_id and decided["well_name"] == "Ector 12-1"
    assert store.summary(user_id="u1")["outcomes"] == {status: 1}


def test_a_decision_that_arrives_before_the_outcome_is_not_undone_by_it(store):
    event_id, conflict_id = inspected(store), str(uuid.uuid4())
    resolution = {"action": "USE_SERVER", "resolvedBy": None, "resolvedAt": "2026-11-21T09:00:00+00:00", "note": ""}
    store.apply_changes([conflict(conflict_id, event_id, "RESOLVED", resolution)], cursor="c1")
    assert outcome(store, event_id) == "RESOLVED"  # matched by the event id the conflict carries
    pushed(store, event_id, conflict_id)  # then the batch's outcomes say PENDING_REVIEW
    store.apply_changes([], cursor="c2")  # the next pull puts the decision back (by conflict id)
    assert outcome(store, event_id) == "RESOLVED"


def test_a_conflict_of_another_devices_event_changes_no_event_here(store):
    event_id = inspected(store)
    store.apply_changes([conflict(str(uuid.uuid4()), str(uuid.uuid4()), "RESOLVED", {"action": "USE_LOCAL"})],
                        cursor="c1")
    assert outcome(store, event_id) is None and store.decided_conflicts() == []
