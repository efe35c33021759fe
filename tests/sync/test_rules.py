"""The conflict rules of API.md section 7, one event type at a time: without a conflict, and with
one, asserting the outcome, the final (current) record and the retained loser."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from sync.models import Conflict, ConflictPolicy, SyncEvent
from tests.sync.conftest import event, later, production
from wells.models import EquipmentInspection, EquipmentRepair, FieldNote, Photo, ProductionRecord, Well, WellReading

pytestmark = pytest.mark.django_db


def outcome(tenant, event_id):
    with schema_context(tenant.tenant.schema_name):
        return SyncEvent.objects.get(event_id=event_id).outcome


def current(tenant, model, **filters):
    with schema_context(tenant.tenant.schema_name):
        return list(model.objects.filter(superseded_by__isnull=True, **filters))


# --------------------------------------------------------------------- PRODUCTION_LOGGED


def test_production_without_conflict_is_applied(push_and_process, route, tenant_a):
    e = production(route.well, 120.5, downtimeHours=2, downtimeReason="rod parted")
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    [record] = current(tenant_a, ProductionRecord, well=route.well)
    assert record.volume == Decimal("120.500") and record.downtime_hours == Decimal("2.00")
    assert record.recorded_by_id == route.operator.pk and str(record.source_event_id) == e["id"]


def test_production_conflict_keeps_the_highest_value_after_unit_conversion(push_and_process, route, tenant_a):
    first = production(route.well, 100, unit="BBL")
    second = production(route.well, 20, unit="M3", occurred=later(5))  # 20 m3 = 125.8 bbl: higher
    third = production(route.well, 110, unit="BBL", occurred=later(10))  # lower than 125.8: loses
    push_and_process([first])
    push_and_process([second])
    push_and_process([third])
    assert [outcome(tenant_a, e["id"]) for e in (first, second, third)] == ["APPLIED", "AUTO_RESOLVED", "AUTO_RESOLVED"]
    [winner] = current(tenant_a, ProductionRecord, well=route.well, product="OIL")
    assert str(winner.source_event_id) == second["id"] and winner.volume_normalized == Decimal("125.796")
    with schema_context(tenant_a.tenant.schema_name):
        losers = ProductionRecord.objects.filter(well=route.well, superseded_by__isnull=False)
        assert {str(r.source_event_id) for r in losers} == {first["id"], third["id"]}
        conflicts = Conflict.objects.filter(event_type="PRODUCTION_LOGGED").order_by("created_at")
        assert [c.status for c in conflicts] == ["AUTO_RESOLVED", "AUTO_RESOLVED"]
        assert conflicts[0].server_data["volume"] == "100.000" and conflicts[0].local_data["unit"] == "M3"


def test_production_with_newest_wins_configured_takes_the_later_event(push_and_process, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        ConflictPolicy.objects.create(event_type="PRODUCTION_LOGGED", strategy="NEWEST_WINS")
    late = production(route.well, 50, occurred=later(30))
    early = production(route.well, 500, occurred=later(1))
    push_and_process([late])
    push_and_process([early])  # arrives second but happened first: loses
    [winner] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(winner.source_event_id) == late["id"]


def test_the_same_production_twice_with_equal_volume_is_no_conflict(push_and_process, route, tenant_a):
    push_and_process([production(route.well, 10)])
    again = production(route.well, 10, occurred=later(3))
    push_and_process([again])
    assert outcome(tenant_a, again["id"]) == "APPLIED"
    with schema_context(tenant_a.tenant.schema_name):
        assert not Conflict.objects.exists()


# --------------------------------------------------------------------- WELL_READING_RECORDED


def reading(route, value, *, minute="2026-11-20T15:00:10Z", occurred=None, unit="PSI"):
    return event("WELL_READING_RECORDED", {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk),
                                           "readingType": "PRESSURE", "value": value, "unit": unit,
                                           "recordedAt": minute}, occurred=occurred)


def test_reading_without_conflict_is_applied(push_and_process, route, tenant_a):
    e = reading(route, 250)
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    assert current(tenant_a, WellReading, well=route.well)[0].value == Decimal("250.000")


def test_reading_conflict_in_the_same_minute_newest_wins(push_and_process, route, tenant_a):
    newer = reading(route, 260, minute="2026-11-20T15:00:40Z", occurred=later(20))
    older = reading(route, 240, minute="2026-11-20T15:00:05Z", occurred=later(2))
    push_and_process([newer])
    push_and_process([older])  # received later, occurred earlier: loses
    assert outcome(tenant_a, older["id"]) == "AUTO_RESOLVED"
    [winner] = current(tenant_a, WellReading, well=route.well)
    assert str(winner.source_event_id) == newer["id"]
    with schema_context(tenant_a.tenant.schema_name):
        loser = WellReading.objects.get(source_event_id=older["id"])
        assert loser.superseded_by_id == winner.pk and loser.value == Decimal("240.000")


def test_readings_in_different_minutes_do_not_conflict(push_and_process, route, tenant_a):
    push_and_process([reading(route, 250, minute="2026-11-20T15:00:10Z"),
                      reading(route, 255, minute="2026-11-20T15:01:10Z")])
    assert len(current(tenant_a, WellReading, well=route.well)) == 2


# --------------------------------------------------------------------- EQUIPMENT_INSPECTED


def inspection(route, status, *, at="2026-11-20T15:00:00Z", occurred=None):
    return event("EQUIPMENT_INSPECTED", {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk),
                                         "inspectionType": "SAFETY", "status": status, "inspectedAt": at,
                                         "notes": "checked guards"}, occurred=occurred)


def test_inspection_without_conflict_is_applied(push_and_process, route, tenant_a):
    e = inspection(route, "PASS")
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    assert current(tenant_a, EquipmentInspection, well=route.well)[0].status == "PASS"


def test_inspection_with_another_status_the_same_day_waits_for_review(push_and_process, route, tenant_a):
    first = inspection(route, "PASS")
    # 23:30 Chicago time on the 20th is 05:30 UTC on the 21st: still the same tenant day.
    second = inspection(route, "FAIL", at="2026-11-21T05:30:00Z", occurred=later(5))
    push_and_process([first])
    push_and_process([second])
    assert outcome(tenant_a, second["id"]) == "PENDING_REVIEW"
    [kept] = current(tenant_a, EquipmentInspection, well=route.well)
    assert kept.status == "PASS"
    with schema_context(tenant_a.tenant.schema_name):
        conflict = Conflict.objects.get(event__event_id=second["id"])
        assert conflict.status == "PENDING_REVIEW" and conflict.strategy == "MANUAL_REVIEW"
        assert conflict.local_data["status"] == "FAIL" and conflict.server_data["status"] == "PASS"


def test_inspections_stay_manual_review_whatever_is_configured(push_and_process, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        ConflictPolicy.objects.create(event_type="EQUIPMENT_INSPECTED", strategy="NEWEST_WINS")
    push_and_process([inspection(route, "PASS")])
    second = inspection(route, "NEEDS_ATTENTION", occurred=later(9))
    push_and_process([second])
    assert outcome(tenant_a, second["id"]) == "PENDING_REVIEW"


def test_inspections_on_different_tenant_days_do_not_conflict(push_and_process, route, tenant_a):
    push_and_process([inspection(route, "PASS", at="2026-11-20T15:00:00Z")])
    other_day = inspection(route, "FAIL", at="2026-11-21T07:00:00Z")  # 01:00 Chicago on the 21st
    push_and_process([other_day])
    assert outcome(tenant_a, other_day["id"]) == "APPLIED"


# --------------------------------------------------------------------- EQUIPMENT_REPAIRED


def repair(route, description, *, occurred=None):
    return event("EQUIPMENT_REPAIRED", {"wellId": str(route.well.pk), "equipmentId": str(route.equipment.pk),
                                        "description": description, "repairedAt": "2026-11-20T16:00:00Z",
                                        "partsReplaced": "belt"}, occurred=occurred)


def test_repair_without_conflict_is_applied(push_and_process, route, tenant_a):
    e = repair(route, "Replaced drive belt")
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    assert current(tenant_a, EquipmentRepair, well=route.well)[0].parts_replaced == "belt"


def test_repair_with_another_description_the_same_day_waits_for_review(push_and_process, route, tenant_a):
    push_and_process([repair(route, "Replaced drive belt")])
    second = repair(route, "Rebuilt gearbox", occurred=later(30))
    push_and_process([second])
    assert outcome(tenant_a, second["id"]) == "PENDING_REVIEW"
    with schema_context(tenant_a.tenant.schema_name):
        conflict = Conflict.objects.get(event__event_id=second["id"])
        assert conflict.local_data["description"] == "Rebuilt gearbox"
        assert conflict.server_data["description"] == "Replaced drive belt"


# --------------------------------------------------------------------- NOTES_ADDED


def note(route, text, *, at, occurred=None):
    return event("NOTES_ADDED", {"wellId": str(route.well.pk), "notes": text, "recordedAt": at}, occurred=occurred)


def test_note_without_conflict_is_applied(push_and_process, route, tenant_a):
    e = note(route, "Gate lock replaced", at="2026-11-20T15:00:00Z")
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    assert current(tenant_a, FieldNote, well=route.well)[0].notes == "Gate lock replaced"


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_notes_the_same_day_are_merged_in_time_order_whoever_syncs_first(push_and_process, route, tenant_a, order):
    morning = note(route, "Tank 2 level low", at="2026-11-20T14:00:00Z")
    afternoon = note(route, "Hauler came, level fine", at="2026-11-20T20:00:00Z", occurred=later(400))
    for e in ([morning, afternoon] if order == "forward" else [afternoon, morning]):
        push_and_process([e])
    [merged] = current(tenant_a, FieldNote, well=route.well)
    assert merged.is_merged
    assert merged.notes.index("Tank 2 level low") < merged.notes.index("Hauler came")
    assert "08:00 CST" in merged.notes and "Operator of Permian Pumpers" in merged.notes
    with schema_context(tenant_a.tenant.schema_name):
        originals = FieldNote.objects.filter(well=route.well, is_merged=False)
        assert {n.notes for n in originals} == {"Tank 2 level low", "Hauler came, level fine"}
        assert all(n.superseded_by_id == merged.pk for n in originals)


# --------------------------------------------------------------------- PHOTO_ATTACHED


def photo_event(route, *, at="2026-11-20T15:30:00Z"):
    import uuid

    return event("PHOTO_ATTACHED", {"wellId": str(route.well.pk), "photoId": str(uuid.uuid4()), "takenAt": at,
                                    "caption": "Wellhead"})


def test_photo_without_conflict_is_applied(push_and_process, route, tenant_a):
    e = photo_event(route)
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    assert str(current(tenant_a, Photo, well=route.well)[0].photo_id) == e["payload"]["photoId"]


def test_a_second_photo_the_same_day_keeps_both(push_and_process, route, tenant_a):
    push_and_process([photo_event(route)])
    second = photo_event(route, at="2026-11-20T18:00:00Z")
    push_and_process([second])
    assert outcome(tenant_a, second["id"]) == "AUTO_RESOLVED"
    assert len(current(tenant_a, Photo, well=route.well)) == 2


# --------------------------------------------------------------------- WELL_STATUS_CHANGED


def status_change(route, status, *, base_version=None, occurred=None):
    payload = {"wellId": str(route.well.pk), "status": status, "changedAt": "2026-11-20T15:00:00Z",
               "reason": "rod parted"}
    if base_version is not None:
        payload["baseVersion"] = base_version
    return event("WELL_STATUS_CHANGED", payload, occurred=occurred)


def test_status_change_on_an_unchanged_well_is_applied(push_and_process, route, tenant_a):
    e = status_change(route, "SHUT_IN", base_version=1)
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    with schema_context(tenant_a.tenant.schema_name):
        well = Well.objects.get(pk=route.well.pk)
    assert well.status == "SHUT_IN" and well.version == 2


def test_status_change_on_a_well_changed_since_waits_for_review(push_and_process, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        from wells.services import well_update

        well_update(well=Well.objects.get(pk=route.well.pk), data={"name": "Ector 12-1H"})  # version 2
    e = status_change(route, "PLUGGED", base_version=1)
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "PENDING_REVIEW"
    with schema_context(tenant_a.tenant.schema_name):
        assert Well.objects.get(pk=route.well.pk).status == "ACTIVE"
        conflict = Conflict.objects.get(event__event_id=e["id"])
        assert conflict.local_data["status"] == "PLUGGED" and conflict.server_data["version"] == 2


# --------------------------------------------------------------------- processing guarantees


def test_processing_a_batch_twice_applies_nothing_twice(push, route, tenant_a):
    from sync.services.processing import batch_process

    body = push([production(route.well, 10), note(route, "n", at="2026-11-20T15:00:00Z")]).json()
    with schema_context(tenant_a.tenant.schema_name):
        first = batch_process(batch_id=body["batchId"])
        second = batch_process(batch_id=body["batchId"])
        assert first.status == second.status == "COMPLETED"
        assert ProductionRecord.objects.filter(well=route.well).count() == 1
        assert FieldNote.objects.filter(well=route.well).count() == 1


def test_events_are_applied_in_occurred_at_order(push_and_process, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        ConflictPolicy.objects.create(event_type="PRODUCTION_LOGGED", strategy="NEWEST_WINS")
    late = production(route.well, 1, occurred=later(50))
    early = production(route.well, 2, occurred=later(1))
    push_and_process([late, early])  # sent out of order in one batch
    [winner] = current(tenant_a, ProductionRecord, well=route.well)
    assert str(winner.source_event_id) == late["id"]


def test_batch_status_reports_counts_and_per_event_results(client, push_and_process, route, tenant_a, operator_tokens):
    good = production(route.well, 10)
    bad = production(route.well, -1)
    body = push_and_process([good, bad])
    status = client.get(body["statusUrl"], **tenant_a.headers(token=operator_tokens["access"])).json()
    assert status["status"] == "COMPLETED"
    assert status["counts"] == {"applied": 1, "autoResolved": 0, "pendingReview": 0, "rejected": 1, "duplicates": 0}
    outcomes = {r["eventId"]: r["outcome"] for r in status["results"]}
    assert outcomes == {good["id"]: "APPLIED", bad["id"]: "REJECTED"}
