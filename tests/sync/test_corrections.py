"""Corrections (API.md section 6, ``correctsEventId``): the key is decided again as if the corrected
event had carried the corrected values, whatever the strategy; the corrected record stays as
superseded; the correction is audited; out of order, in one batch and in chains; who may correct."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from sync.models import Conflict, ConflictPolicy, Correction, SyncBatch, SyncEvent
from wells.changelog.models import Change
from tests.factories import api_login, make_user
from tests.sync.conftest import event, later, production
from tests.sync.test_rules import current, outcome
from wells.models import EquipmentInspection, EquipmentRepair, FieldNote, Photo, ProductionRecord, WellAssignment, \
    WellReading

pytestmark = pytest.mark.django_db


def correction_of(target: dict, payload_changes: dict, *, minutes: int = 60) -> dict:
    fixed = event(target["type"], target["payload"] | payload_changes, occurred=later(minutes))
    return fixed | {"correctsEventId": target["id"]}


def policy(tenant, event_type, strategy):
    with schema_context(tenant.tenant.schema_name):
        ConflictPolicy.objects.update_or_create(event_type=event_type, defaults={"strategy": strategy})


def waiting(tenant) -> list[str]:
    """The event ids marked waiting (``waiting_since`` set), decided or not."""
    with schema_context(tenant.tenant.schema_name):
        return [str(e) for e in SyncEvent.objects.filter(waiting_since__isnull=False).values_list("event_id", flat=True)]


def volumes(tenant, well):
    with schema_context(tenant.tenant.schema_name):
        return sorted((r.volume, r.superseded_by_id is None) for r in ProductionRecord.objects.filter(well=well))


# --------------------------------------------------------------------- production, every strategy


def test_a_downward_correction_wins_under_highest_value(push_and_process, route, tenant_a):
    typo = production(route.well, 1200)
    push_and_process([typo])
    fixed = correction_of(typo, {"volume": 120})
    answer = push_and_process([fixed])
    assert answer["accepted"] == [fixed["id"]]
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert record.volume == Decimal("120.000") and str(record.source_event_id) == fixed["id"]
    with schema_context(tenant_a.tenant.schema_name):
        old = ProductionRecord.objects.get(source_event_id=typo["id"])
        assert old.superseded_by_id == record.pk  # kept, superseded by its correction
        assert not Conflict.objects.filter(event__event_id=fixed["id"]).exists()  # a correction is no conflict
        audit = Correction.objects.get(event__event_id=fixed["id"])
        assert audit.corrected_by_id == route.operator.pk and str(audit.corrected_event_id) == typo["id"]
        assert audit.old_values["volume"] == "1200.000" and audit.new_values["volume"] == "120.000"
        assert audit.old_record_id == old.pk and audit.new_record_id == record.pk


def test_under_highest_value_a_lowered_winner_gives_way_to_the_next_highest(push_and_process, route, tenant_a):
    winner = production(route.well, 900)
    loser = production(route.well, 300, occurred=later(5))
    push_and_process([winner, loser])
    assert [r for r in volumes(tenant_a, route.well) if r[1]] == [(Decimal("900.000"), True)]
    push_and_process([correction_of(winner, {"volume": 90})])
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == loser["id"] and record.volume == Decimal("300.000")
    with schema_context(tenant_a.tenant.schema_name):  # the corrected value is kept, superseded by the winner
        corrected = ProductionRecord.objects.get(volume=Decimal("90"))
        assert corrected.superseded_by_id == record.pk


def test_a_corrected_loser_can_win_under_highest_value(push_and_process, route, tenant_a):
    first = production(route.well, 500)
    second = production(route.well, 100, occurred=later(5))
    push_and_process([first, second])
    assert outcome(tenant_a, second["id"]) == "AUTO_RESOLVED"
    fixed = correction_of(second, {"volume": 1000})
    push_and_process([fixed])
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == fixed["id"] and record.volume == Decimal("1000.000")


def test_under_newest_wins_a_correction_keeps_the_order_of_the_event_it_corrects(push_and_process, route, tenant_a):
    policy(tenant_a, "PRODUCTION_LOGGED", "NEWEST_WINS")
    early = production(route.well, 100, occurred=later(1))
    late = production(route.well, 200, occurred=later(10))
    push_and_process([early, late])
    # The early one corrected (sent last, occurredAt latest): it still counts as the early event.
    push_and_process([correction_of(early, {"volume": 150}, minutes=120)])
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == late["id"]
    fixed_late = correction_of(late, {"volume": 20})
    push_and_process([fixed_late])
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == fixed_late["id"] and record.volume == Decimal("20.000")


def test_under_manual_review_the_current_record_takes_the_corrected_values(push_and_process, route, tenant_a):
    policy(tenant_a, "PRODUCTION_LOGGED", "MANUAL_REVIEW")
    first = production(route.well, 100)
    push_and_process([first])
    fixed = correction_of(first, {"volume": 80})
    push_and_process([fixed])
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == fixed["id"] and record.volume == Decimal("80.000")
    with schema_context(tenant_a.tenant.schema_name):
        assert not Conflict.objects.exists()


def test_a_correction_of_an_event_in_review_corrects_the_conflict(push_and_process, route, tenant_a, client):
    policy(tenant_a, "PRODUCTION_LOGGED", "MANUAL_REVIEW")
    first = production(route.well, 100)
    second = production(route.well, 140, occurred=later(5))
    push_and_process([first, second])
    assert outcome(tenant_a, second["id"]) == "PENDING_REVIEW"
    fixed = correction_of(second, {"volume": 145})
    answer = push_and_process([fixed])
    assert outcome(tenant_a, fixed["id"]) == "PENDING_REVIEW"
    with schema_context(tenant_a.tenant.schema_name):
        [conflict] = Conflict.objects.all()
        assert conflict.local_data["volume"] == "145.000" and conflict.local_data["correctedByEventId"] == fixed["id"]
        assert conflict.status == "PENDING_REVIEW"
        audit = Correction.objects.get(event__event_id=fixed["id"])
        assert audit.conflict_id == conflict.pk and audit.old_values["volume"] == "140.000"
        assert SyncBatch.objects.get(pk=answer["batchId"]).status == "COMPLETED"
        # The pull feed serves the conflict again (its field side changed): created, then corrected.
        assert Change.objects.filter(entity="conflict", entity_id=conflict.pk).count() == 2
    manager = api_login(client, tenant_a, email=tenant_a.users["MANAGER"])
    resolved = client.post(f"/api/v1/conflicts/{conflict.pk}/resolve", {"action": "USE_LOCAL", "note": "ok"},
                           content_type="application/json", **tenant_a.headers(token=manager["access"]))
    assert resolved.status_code == 200, resolved.content
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert record.volume == Decimal("145.000")  # the manager decided on the corrected values


def test_a_correction_that_moves_the_production_date_leaves_the_old_day_empty(push_and_process, route, tenant_a):
    wrong_day = production(route.well, 100, day="2026-11-19")
    push_and_process([wrong_day])
    push_and_process([correction_of(wrong_day, {"productionDate": "2026-11-18"})])
    assert [r.production_date.isoformat() for r in current(tenant_a, ProductionRecord, well=route.well)] == [
        "2026-11-18"]


# --------------------------------------------------------------------- the other types


def reading(route, value, **extra):
    return event("WELL_READING_RECORDED", {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk),
                                           "readingType": "PRESSURE", "value": value, "unit": "PSI",
                                           "recordedAt": "2026-11-20T15:00:10Z"}, **extra)


def test_a_reading_correction_replaces_the_newest_reading(push_and_process, route, tenant_a):
    first = reading(route, 250)
    second = reading(route, 260, occurred=later(3))
    push_and_process([first, second])
    fixed = correction_of(second, {"value": 26})
    push_and_process([fixed])
    [record] = current(tenant_a, WellReading, well=route.well)
    assert str(record.source_event_id) == fixed["id"] and record.value == Decimal("26.000")


def test_an_inspection_is_corrected_in_place(push_and_process, route, tenant_a):
    wrong = event("EQUIPMENT_INSPECTED", {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk),
                                          "inspectionType": "SAFETY", "status": "PASS",
                                          "inspectedAt": "2026-11-20T15:00:00Z"})
    push_and_process([wrong])
    fixed = correction_of(wrong, {"status": "FAIL"})
    push_and_process([fixed])
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    [record] = current(tenant_a, EquipmentInspection, well=route.well)
    assert record.status == "FAIL" and str(record.source_event_id) == fixed["id"]
    with schema_context(tenant_a.tenant.schema_name):
        assert EquipmentInspection.objects.get(source_event_id=wrong["id"]).superseded_by_id == record.pk


def test_an_inspection_waiting_in_review_is_corrected_in_its_conflict(push_and_process, route, tenant_a):
    base = {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk), "inspectionType": "SAFETY",
            "inspectedAt": "2026-11-20T15:00:00Z"}
    first = event("EQUIPMENT_INSPECTED", base | {"status": "PASS"})
    second = event("EQUIPMENT_INSPECTED", base | {"status": "FAIL", "inspectedAt": "2026-11-20T16:00:00Z"},
                   occurred=later(5))
    push_and_process([first, second])
    fixed = correction_of(second, {"status": "NEEDS_ATTENTION"})
    push_and_process([fixed])
    assert outcome(tenant_a, fixed["id"]) == "PENDING_REVIEW"
    with schema_context(tenant_a.tenant.schema_name):
        assert Conflict.objects.get(event__event_id=second["id"]).local_data["status"] == "NEEDS_ATTENTION"


def test_a_repair_is_corrected_in_place(push_and_process, route, tenant_a):
    wrong = event("EQUIPMENT_REPAIRED", {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk),
                                         "description": "replaced belt", "repairedAt": "2026-11-20T16:00:00Z"})
    push_and_process([wrong])
    push_and_process([correction_of(wrong, {"description": "replaced belt and sheave"})])
    [record] = current(tenant_a, EquipmentRepair, well=route.well)
    assert record.description == "replaced belt and sheave"


def note(route, text, at):
    return event("NOTES_ADDED", {"wellId": str(route.well.pk), "notes": text, "recordedAt": at})


def test_a_merged_note_is_merged_again_from_the_corrected_original(push_and_process, route, tenant_a):
    first = note(route, "Tank 2 at 8 ft", "2026-11-20T15:00:00Z")
    second = note(route, "Gate valve leaking", "2026-11-20T17:00:00Z")
    push_and_process([first])
    push_and_process([second])
    [merged] = current(tenant_a, FieldNote, well=route.well)
    assert merged.is_merged and "Tank 2 at 8 ft" in merged.notes
    push_and_process([correction_of(first, {"notes": "Tank 2 at 9 ft"})])
    [again] = current(tenant_a, FieldNote, well=route.well)
    assert again.is_merged and again.pk != merged.pk
    assert "Tank 2 at 9 ft" in again.notes and "Gate valve leaking" in again.notes and "8 ft" not in again.notes
    with schema_context(tenant_a.tenant.schema_name):
        assert FieldNote.objects.get(pk=merged.pk).superseded_by_id == again.pk  # the old merge is kept


def test_a_photo_caption_is_corrected_on_its_one_row(push_and_process, route, tenant_a):
    import uuid

    shot = event("PHOTO_ATTACHED", {"wellId": str(route.well.pk), "photoId": str(uuid.uuid4()),
                                    "takenAt": "2026-11-20T15:30:00Z", "caption": "Wellhed"})
    push_and_process([shot])
    fixed = correction_of(shot, {"caption": "Wellhead"})
    push_and_process([fixed])
    [photo] = current(tenant_a, Photo, well=route.well)
    assert photo.caption == "Wellhead"
    with schema_context(tenant_a.tenant.schema_name):
        assert Correction.objects.get(event__event_id=fixed["id"]).old_values["caption"] == "Wellhed"


def test_a_status_change_is_corrected_as_a_new_status_change(push_and_process, route, tenant_a):
    wrong = event("WELL_STATUS_CHANGED", {"wellId": str(route.well.pk), "status": "INACTIVE",
                                          "changedAt": "2026-11-20T15:00:00Z", "baseVersion": route.well.version})
    push_and_process([wrong])
    with schema_context(tenant_a.tenant.schema_name):
        route.well.refresh_from_db()
    fixed = correction_of(wrong, {"status": "SHUT_IN", "baseVersion": route.well.version})
    push_and_process([fixed])
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    with schema_context(tenant_a.tenant.schema_name):
        route.well.refresh_from_db()
        assert route.well.status == "SHUT_IN"
        assert Correction.objects.get(event__event_id=fixed["id"]).old_values["status"] == "INACTIVE"


# --------------------------------------------------------------------- order, chains, duplicates


def test_a_correction_and_its_target_in_one_batch(push_and_process, route, tenant_a):
    typo = production(route.well, 1200, occurred=later(30))
    fixed = correction_of(typo, {"volume": 120}, minutes=1)  # sorted before its target
    answer = push_and_process([fixed, typo])
    assert sorted(answer["accepted"]) == sorted([fixed["id"], typo["id"]])
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    assert [r.volume for r in current(tenant_a, ProductionRecord, well=route.well)] == [Decimal("120.000")]


def test_a_correction_split_from_its_target_by_a_chunk_boundary(push_and_process, route, tenant_a, settings):
    settings.SYNC_CHUNK_EVENTS = 1
    typo = production(route.well, 1200, occurred=later(30))
    fixed = correction_of(typo, {"volume": 120}, minutes=1)
    push_and_process([fixed, typo])
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    assert [r.volume for r in current(tenant_a, ProductionRecord, well=route.well)] == [Decimal("120.000")]


def test_a_correction_before_its_target_waits_for_it(push_and_process, route, tenant_a, push, client):
    typo = production(route.well, 1200)
    fixed = correction_of(typo, {"volume": 120})
    early = push_and_process([fixed])
    assert early["accepted"] == [fixed["id"]]
    assert outcome(tenant_a, fixed["id"]) == "PENDING"
    operator = api_login(client, tenant_a)
    status = client.get(f"/api/v1/sync/batches/{early['batchId']}", **tenant_a.headers(token=operator["access"]))
    body = status.json()
    assert body["status"] == "COMPLETED" and body["counts"]["applied"] == 0  # it does not hold its batch back
    assert body["results"][0]["outcome"] == "PENDING"
    assert waiting(tenant_a) == [fixed["id"]]
    push_and_process([typo])
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    assert waiting(tenant_a) == []  # decided: out of the waiting index
    assert [r.volume for r in current(tenant_a, ProductionRecord, well=route.well)] == [Decimal("120.000")]
    status = client.get(f"/api/v1/sync/batches/{early['batchId']}", **tenant_a.headers(token=operator["access"]))
    assert status.json()["counts"]["applied"] == 1 and status.json()["results"][0]["outcome"] == "APPLIED"


def test_a_chain_of_corrections_ends_with_the_last_values(push_and_process, route, tenant_a):
    a = production(route.well, 1000)
    b = correction_of(a, {"volume": 100}, minutes=10)
    c = correction_of(b, {"volume": 110}, minutes=20)
    push_and_process([a])
    push_and_process([b])
    push_and_process([c])
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert record.volume == Decimal("110.000") and str(record.source_event_id) == c["id"]
    with schema_context(tenant_a.tenant.schema_name):
        assert {str(r) for r in Correction.objects.values_list("root_event_id", flat=True)} == {a["id"]}
        assert ProductionRecord.objects.filter(well=route.well).count() == 3  # every version kept


def test_a_chain_received_backwards_ends_with_the_last_values(push_and_process, route, tenant_a):
    a = production(route.well, 1000)
    b = correction_of(a, {"volume": 100}, minutes=10)
    c = correction_of(b, {"volume": 110}, minutes=20)
    push_and_process([c])
    push_and_process([b])
    assert outcome(tenant_a, c["id"]) == outcome(tenant_a, b["id"]) == "PENDING"
    push_and_process([a])
    assert outcome(tenant_a, b["id"]) == outcome(tenant_a, c["id"]) == "APPLIED"
    assert [r.volume for r in current(tenant_a, ProductionRecord, well=route.well)] == [Decimal("110.000")]


def test_a_chain_in_one_batch(push_and_process, route, tenant_a):
    a = production(route.well, 1000, occurred=later(30))
    b = correction_of(a, {"volume": 100}, minutes=20)
    c = correction_of(b, {"volume": 110}, minutes=10)
    push_and_process([c, b, a])
    assert [r.volume for r in current(tenant_a, ProductionRecord, well=route.well)] == [Decimal("110.000")]


def test_a_correction_sent_twice_is_a_duplicate_and_applied_once(push_and_process, route, tenant_a):
    typo = production(route.well, 1200)
    fixed = correction_of(typo, {"volume": 120})
    push_and_process([typo, fixed])
    again = push_and_process([fixed])
    assert again["duplicates"] == [fixed["id"]] and again["accepted"] == []
    with schema_context(tenant_a.tenant.schema_name):
        assert Correction.objects.count() == 1
        assert ProductionRecord.objects.filter(well=route.well).count() == 2


def test_processing_a_batch_again_applies_its_correction_once(push_and_process, route, tenant_a):
    from sync.services.processing import batch_process

    typo = production(route.well, 1200)
    answer = push_and_process([typo, correction_of(typo, {"volume": 120})])
    with schema_context(tenant_a.tenant.schema_name):
        SyncBatch.objects.filter(pk=answer["batchId"]).update(status="PROCESSING")
        batch_process(batch_id=answer["batchId"])
        assert Correction.objects.count() == 1 and ProductionRecord.objects.count() == 2


# --------------------------------------------------------------------- who may correct, which target


def test_another_operator_may_not_correct_an_event(push_and_process, route, tenant_a, client):
    typo = production(route.well, 1200)
    push_and_process([typo])
    other = make_user(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        WellAssignment.objects.create(user=other, well=route.well)
    tokens = api_login(client, tenant_a, email=other.email)
    fixed = correction_of(typo, {"volume": 120})
    answer = push_and_process([fixed], token=tokens["access"])
    assert [r["code"] for r in answer["rejected"]] == ["correction_forbidden"]
    assert answer["rejected"][0]["details"] == {"correctsEventId": [answer["rejected"][0]["message"]]}
    assert [r.volume for r in current(tenant_a, ProductionRecord, well=route.well)] == [Decimal("1200.000")]


def test_a_waiting_correction_by_another_operator_is_refused_when_its_target_arrives(
        push_and_process, route, tenant_a, client):
    other = make_user(tenant_a)
    with schema_context(tenant_a.tenant.schema_name):
        WellAssignment.objects.create(user=other, well=route.well)
    tokens = api_login(client, tenant_a, email=other.email)
    typo = production(route.well, 1200)
    fixed = correction_of(typo, {"volume": 120})
    push_and_process([fixed], token=tokens["access"])
    assert outcome(tenant_a, fixed["id"]) == "PENDING" and waiting(tenant_a) == [fixed["id"]]
    push_and_process([typo])
    with schema_context(tenant_a.tenant.schema_name):
        refused = SyncEvent.objects.get(event_id=fixed["id"])
        assert refused.outcome == "REJECTED" and refused.errors[0]["code"] == "correction_forbidden"
    assert waiting(tenant_a) == []
    assert [r.volume for r in current(tenant_a, ProductionRecord, well=route.well)] == [Decimal("1200.000")]


def test_a_manager_may_correct_an_operators_event(push_and_process, route, tenant_a, client):
    typo = production(route.well, 1200)
    push_and_process([typo])
    manager = api_login(client, tenant_a, email=tenant_a.users["MANAGER"])
    fixed = correction_of(typo, {"volume": 120})
    answer = push_and_process([fixed], token=manager["access"])
    assert answer["accepted"] == [fixed["id"]]
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert record.volume == Decimal("120.000") and record.recorded_by_id == route.manager.pk
    with schema_context(tenant_a.tenant.schema_name):
        assert Correction.objects.get(event__event_id=fixed["id"]).corrected_by_id == route.manager.pk


@pytest.mark.parametrize("case", ["other type", "other well", "rejected target", "itself"])
def test_a_correction_of_no_such_event_is_refused(push_and_process, route, tenant_a, case):
    with schema_context(tenant_a.tenant.schema_name):
        WellAssignment.objects.create(user=route.operator, well=route.off_route_well)
    typo = production(route.well, 1200)
    if case == "rejected target":
        typo["payload"]["volume"] = -5
    push_and_process([typo])
    if case == "other type":
        fixed = reading(route, 10) | {"correctsEventId": typo["id"]}
    elif case == "other well":
        fixed = production(route.off_route_well, 120) | {"correctsEventId": typo["id"]}
    elif case == "itself":
        fixed = production(route.well, 120)
        fixed["correctsEventId"] = fixed["id"]
    else:
        fixed = correction_of(typo, {"volume": 120})
    answer = push_and_process([fixed])
    codes = [r["code"] for r in answer["rejected"] if r["eventId"] == fixed["id"]]
    assert codes == (["invalid_payload"] if case == "itself" else ["correction_target_unknown"])


def test_a_waiting_correction_of_another_type_is_refused_when_its_target_arrives(push_and_process, route, tenant_a):
    typo = production(route.well, 1200)
    fixed = reading(route, 10) | {"correctsEventId": typo["id"]}
    push_and_process([fixed])
    push_and_process([typo])
    with schema_context(tenant_a.tenant.schema_name):
        assert SyncEvent.objects.get(event_id=fixed["id"]).errors[0]["code"] == "correction_target_unknown"


def test_a_correction_id_that_is_not_a_uuid_is_refused_naming_the_field(push, route):
    typo = production(route.well, 1200)
    answer = push([typo | {"correctsEventId": "not-a-uuid"}]).json()
    [rejection] = answer["rejected"]
    assert rejection["code"] == "invalid_payload" and "correctsEventId" in rejection["details"]


def test_the_openapi_schema_documents_corrects_event_id_on_every_event_type():
    from sync.openapi import event_components

    for name, schema in event_components().items():
        field = schema["properties"]["correctsEventId"]
        assert field["format"] == "uuid" and "correction_forbidden" in field["description"], name


def _resolve(client, tenant, conflict_pk, action):
    manager = api_login(client, tenant, email=tenant.users["MANAGER"])
    resolved = client.post(f"/api/v1/conflicts/{conflict_pk}/resolve", {"action": action, "note": ""},
                           content_type="application/json", **tenant.headers(token=manager["access"]))
    assert resolved.status_code == 200, resolved.content


def test_a_correction_of_a_dismissed_event_is_decided_as_a_new_event(push_and_process, route, tenant_a, client):
    policy(tenant_a, "PRODUCTION_LOGGED", "MANUAL_REVIEW")
    first = production(route.well, 100)
    second = production(route.well, 140, occurred=later(5))
    push_and_process([first, second])
    with schema_context(tenant_a.tenant.schema_name):
        conflict = Conflict.objects.get(event__event_id=second["id"])
    _resolve(client, tenant_a, conflict.pk, "USE_SERVER")
    same_as_server = correction_of(second, {"volume": 100})
    push_and_process([same_as_server])
    assert outcome(tenant_a, same_as_server["id"]) == "APPLIED"  # the same value again: no conflict
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == first["id"]
    with schema_context(tenant_a.tenant.schema_name):
        audit = Correction.objects.get(event__event_id=same_as_server["id"])
        assert Decimal(audit.old_values["volume"]) == 140 and Decimal(audit.new_values["volume"]) == 100


def test_a_correction_of_an_event_a_manager_made_current_corrects_its_record(
        push_and_process, route, tenant_a, client):
    policy(tenant_a, "PRODUCTION_LOGGED", "MANUAL_REVIEW")
    first = production(route.well, 100)
    second = production(route.well, 140, occurred=later(5))
    push_and_process([first, second])
    with schema_context(tenant_a.tenant.schema_name):
        conflict = Conflict.objects.get(event__event_id=second["id"])
    _resolve(client, tenant_a, conflict.pk, "USE_LOCAL")
    fixed = correction_of(second, {"volume": 145})
    push_and_process([fixed])
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == fixed["id"] and record.volume == Decimal("145.000")


def test_two_events_correcting_each_other_are_refused(push_and_process, route, tenant_a):
    a, b = production(route.well, 10), production(route.well, 20, occurred=later(1))
    a["correctsEventId"], b["correctsEventId"] = b["id"], a["id"]
    answer = push_and_process([a, b])
    assert sorted(answer["accepted"]) == sorted([a["id"], b["id"]])
    with schema_context(tenant_a.tenant.schema_name):
        assert {e.errors[0]["code"] for e in SyncEvent.objects.filter(event_id__in=[a["id"], b["id"]])} == {
            "correction_target_unknown"}
        assert not ProductionRecord.objects.filter(well=route.well).exists()


def test_a_later_event_is_decided_against_a_correction_in_the_place_of_the_event_it_corrects(
        push_and_process, route, tenant_a):
    policy(tenant_a, "PRODUCTION_LOGGED", "NEWEST_WINS")
    early = production(route.well, 100, occurred=later(10))
    push_and_process([early])
    push_and_process([correction_of(early, {"volume": 110}, minutes=90)])  # sent late: still the 10-minute event
    middle = production(route.well, 300, occurred=later(30))
    push_and_process([middle])
    assert outcome(tenant_a, middle["id"]) == "AUTO_RESOLVED"
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(record.source_event_id) == middle["id"]  # newer than the corrected event's 10 minutes


def test_the_migration_clears_waiting_since_of_events_decided_before_it_was_cleared(push_and_process, route,
                                                                                    tenant_a):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connections

    from tenants.databases import current_db

    migration = importlib.import_module("sync.migrations.0018_decided_events_wait_no_longer")
    decided = production(route.well, 1200)
    still_waiting = correction_of(production(route.well, 900, day="2026-11-21"), {"volume": 90})
    push_and_process([decided, still_waiting])
    with schema_context(tenant_a.tenant.schema_name):
        # As processing left a correction decided after waiting, before it cleared waiting_since.
        SyncEvent.objects.filter(event_id=decided["id"]).update(waiting_since=later(5))
        assert sorted(waiting(tenant_a)) == sorted([decided["id"], still_waiting["id"]])
        migration.clear_decided(apps, SimpleNamespace(connection=connections[current_db()]))
    assert waiting(tenant_a) == [still_waiting["id"]]
