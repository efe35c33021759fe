"""The chunked, set-based engine against a tiny reference model written from API.md section 7
(PRODUCTION_LOGGED and EQUIPMENT_INSPECTED): random event streams with re-sent events (duplicates),
conflicts, ties on occurredAt and batches out of order, processed in chunks of random size, must
end in the model's state: every event's outcome, every key's current record, every stored loser.
(Corrections, API.md section 6, are not implemented yet: they are not generated.)"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from sync.models import Conflict, ConflictPolicy, SyncEvent
from sync.services.intake import batch_intake
from sync.services.processing import batch_process
from tests.sync.conftest import new_api_number
from wells.models import Equipment, EquipmentInspection, ProductionRecord, Well, WellAssignment

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
DAYS = ["2026-11-01", "2026-11-02"]
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")  # the test tenants' zone
INSPECTION_TIMES = ["2026-11-20T15:00:00Z", "2026-11-20T20:00:00Z", "2026-11-21T07:00:00Z"]  # 2 Chicago days


def reference(events: list[dict], strategy: str) -> tuple[dict, dict, set]:
    """API.md section 7, read literally: events in (occurredAt, receipt, id) order within each
    batch, batches in turn; returns outcomes, the current event id of each key, the stored ids."""
    outcomes, current, stored = {}, {}, set()
    for event in events:
        if event["id"] in outcomes:
            continue  # the same event again: a duplicate, applied once
        p, order = event["payload"], (event["occurredAt"], event["received_at"], event["id"])
        if event["type"] == "EQUIPMENT_INSPECTED":
            day = datetime.fromisoformat(p["inspectedAt"]).astimezone(CHICAGO).date()
            if any(e["payload"]["status"] != p["status"] for e in current.get(day, [])):
                outcomes[event["id"]] = "PENDING_REVIEW"  # safety-critical: always review, nothing stored
            else:
                outcomes[event["id"]] = "APPLIED"
                current.setdefault(day, []).append(event)
                stored.add(event["id"])
            continue
        key = p["productionDate"]
        held = current.get(key)
        if held is None:
            outcomes[event["id"]], current[key] = "APPLIED", event
        elif Decimal(held["payload"]["volume"]) == Decimal(p["volume"]):
            outcomes[event["id"]] = "APPLIED"  # the same value again: no conflict, kept superseded
        elif strategy == "MANUAL_REVIEW":
            outcomes[event["id"]] = "PENDING_REVIEW"
            continue
        else:
            held_order = (held["occurredAt"], held["received_at"], held["id"])
            if strategy == "NEWEST_WINS":
                wins = order > held_order
            else:
                wins = (Decimal(p["volume"]), order) > (Decimal(held["payload"]["volume"]), held_order)
            outcomes[event["id"]] = "AUTO_RESOLVED"
            if wins:
                current[key] = event
        stored.add(event["id"])
    heads = {key: sorted(e["id"] for e in value) if isinstance(value, list) else value["id"]
             for key, value in current.items()}
    return outcomes, heads, stored


event_spec = st.tuples(
    st.sampled_from(["PRODUCTION_LOGGED"] * 3 + ["EQUIPMENT_INSPECTED"]),
    st.integers(0, 2),  # production day / inspection time
    st.sampled_from(["10", "10.0", "20", "35.5"]),  # volume (equal values written differently)
    st.sampled_from(["PASS", "FAIL"]),
    st.integers(0, 3),  # occurredAt minute: ties happen
    st.integers(0, 2),  # the batch it is sent in
    st.booleans(),  # sent again in a later batch
)


@hypothesis_settings(max_examples=30, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(event_spec, min_size=1, max_size=14),
       strategy=st.sampled_from(["HIGHEST_VALUE", "NEWEST_WINS", "MANUAL_REVIEW"]),
       chunk=st.sampled_from([1, 2, 5, 2000]))
def test_the_engine_ends_where_the_reference_model_does(tenant_a, settings, specs, strategy, chunk):
    settings.SYNC_CHUNK_EVENTS = chunk
    with schema_context(tenant_a.tenant.schema_name):
        from accounts.models import User

        operator = User.objects.get(email=tenant_a.users["OPERATOR"])
        well = Well.objects.create(api_number=new_api_number(), name="Model well")
        WellAssignment.objects.create(user=operator, well=well)
        pump = Equipment.objects.create(well=well, type="PUMP_JACK", name="Pump jack")
        ConflictPolicy.objects.update_or_create(event_type="PRODUCTION_LOGGED", defaults={"strategy": strategy})
        batches: list[list[dict]] = [[], [], [], []]
        for kind, slot, volume, status, minute, batch, resend in specs:
            if kind == "PRODUCTION_LOGGED":
                payload = {"wellId": str(well.pk), "productionDate": DAYS[slot % 2], "product": "OIL", "volume": volume,
                           "unit": "BBL"}
            else:
                payload = {"wellId": str(well.pk), "equipmentId": str(pump.pk), "inspectionType": "SAFETY",
                           "status": status, "inspectedAt": INSPECTION_TIMES[slot]}
            event = {"id": str(uuid.uuid4()), "type": kind, "occurredAt": (START + timedelta(minutes=minute)).isoformat(),
                     "payload": payload}
            batches[batch].append(event)
            if resend:
                batches[batch + 1].append(dict(event))
        for events in batches:
            if events:
                stored = batch_intake(user=operator, device={"deviceId": "model", "platform": "cli"}, events=events)
                assert not stored.rejected, stored.rejected
                batch_process(batch_id=stored.batch.pk)
        received = dict(SyncEvent.objects.filter(event_id__in=[uuid.UUID(e["id"]) for b in batches for e in b])
                        .values_list("event_id", "received_at"))
        ordered = []
        for events in batches:
            items = [e | {"received_at": received[uuid.UUID(e["id"])]} for e in events]
            ordered += sorted(items, key=lambda e: (datetime.fromisoformat(e["occurredAt"]), e["received_at"], e["id"]))
        for e in ordered:
            e["occurredAt"] = datetime.fromisoformat(e["occurredAt"])
        outcomes, heads, stored_ids = reference(ordered, strategy)

        got = {str(e): o for e, o in SyncEvent.objects.filter(event_id__in=[uuid.UUID(i) for i in outcomes])
               .values_list("event_id", "outcome")}
        assert got == outcomes
        production = ProductionRecord.objects.filter(well=well)
        inspections = EquipmentInspection.objects.filter(well=well)
        assert {str(r.source_event_id) for r in list(production) + list(inspections)} == stored_ids
        got_heads = {r.production_date.isoformat(): str(r.source_event_id)
                     for r in production.filter(superseded_by__isnull=True)}
        assert got_heads == {k: v for k, v in heads.items() if isinstance(k, str)}
        current_inspections = {}
        for r in inspections.filter(superseded_by__isnull=True):
            day = r.inspected_at.astimezone(CHICAGO).date()
            current_inspections.setdefault(day, []).append(str(r.source_event_id))
        assert {k: sorted(v) for k, v in current_inspections.items()} == {
            k: v for k, v in heads.items() if not isinstance(k, str)}
        # every superseded production record names the record current when it lost, or a later winner
        for r in production.filter(superseded_by__isnull=False):
            assert r.superseded_by.production_date == r.production_date
        conflicts = Conflict.objects.filter(event__event_id__in=[uuid.UUID(i) for i in outcomes])
        assert conflicts.count() == sum(1 for o in outcomes.values() if o in ("AUTO_RESOLVED", "PENDING_REVIEW"))
