"""The chunked, set-based engine against a tiny reference model written from API.md section 7
(PRODUCTION_LOGGED and EQUIPMENT_INSPECTED): random event streams with re-sent events (duplicates),
conflicts, ties on occurredAt and batches out of order, processed in chunks of random size, must
end in the model's state: every event's outcome, every key's current record, every stored loser.

Corrections (API.md section 6) of production are generated too: chains (a correction of the last
correction of an event), sent before their target, with it or after it, sent again. The model
replays a corrected key as API.md says: as if each event had carried its last corrected values
from the start, in the order the events were first decided. Where the engine's documented timing
matters (a correction is decided after the other events of its chunk, or once its waiting target
is), the outcomes of the *other* events of a corrected key may differ from a model that applies
corrections at once; for those keys the test compares the end state (the current record and its
values) and the corrections' own outcomes, not the other events' outcomes."""

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


def replay(chains: list[dict], strategy: str) -> dict | None:
    """The key decided again from its stored chains, each with its last values, in the order its
    first event was decided (API.md sections 6 and 7): the chain that ends current."""
    winner = None
    for chain in chains:
        if winner is None:
            winner = chain
        elif Decimal(chain["volume"]) == Decimal(winner["volume"]) or strategy == "MANUAL_REVIEW":
            continue  # the same value again changes nothing; under review the first stays
        elif strategy == "NEWEST_WINS":
            winner = chain if chain["order"] > winner["order"] else winner
        elif (Decimal(chain["volume"]), chain["order"]) > (Decimal(winner["volume"]), winner["order"]):
            winner = chain
    return winner


def reference(events: list[dict], strategy: str) -> tuple[dict, dict, set]:
    """API.md section 7, read literally: events in (occurredAt, receipt, id) order within each
    batch, batches in turn; returns outcomes, the current event id of each key, the stored ids."""
    outcomes, current, stored = {}, {}, set()
    for event in events:
        if event["id"] in outcomes or event.get("correctsEventId"):
            continue  # the same event again: a duplicate, applied once; corrections: see corrected()
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


def corrected(events: list[dict], corrections: list[dict], outcomes: dict, strategy: str,
              root_outcomes: dict) -> tuple[dict, dict]:
    """The corrections' outcomes, and for each corrected production day its current chain's last
    event id and volume. ``corrections`` are in chain order (each corrects its chain's last). A
    correction waits in review with the event it corrects (``root_outcomes``: under MANUAL_REVIEW
    whether an event of a corrected day went to review depends on timing, so the engine's own)."""
    decided = [e for e in dict((e["id"], e) for e in events if not e.get("correctsEventId")).values()
               if e["type"] == "PRODUCTION_LOGGED"]
    position = {e["id"]: n for n, e in enumerate(decided)}
    root_of, tip = {}, {}
    correction_outcomes = {}
    for c in corrections:
        root = root_of.get(c["correctsEventId"], c["correctsEventId"])
        root_of[c["id"]] = root
        tip[root] = c
        correction_outcomes[c["id"]] = "PENDING_REVIEW" if root_outcomes[root] == "PENDING_REVIEW" else "APPLIED"
    heads = {}
    for day in {decided[position[root]]["payload"]["productionDate"] for root in tip}:
        chains = [{"id": tip.get(e["id"], e)["id"], "volume": tip.get(e["id"], e)["payload"]["volume"],
                   "order": (e["occurredAt"], e["received_at"], e["id"])}
                  for e in decided if e["payload"]["productionDate"] == day and outcomes[e["id"]] != "PENDING_REVIEW"]
        winner = replay(chains, strategy)
        heads[day] = (winner["id"], Decimal(winner["volume"]))
    return correction_outcomes, heads


event_spec = st.tuples(
    st.sampled_from(["PRODUCTION_LOGGED"] * 3 + ["EQUIPMENT_INSPECTED"]),
    st.integers(0, 2),  # production day / inspection time
    st.sampled_from(["10", "10.0", "20", "35.5"]),  # volume (equal values written differently)
    st.sampled_from(["PASS", "FAIL"]),
    st.integers(0, 3),  # occurredAt minute: ties happen
    st.integers(0, 2),  # the batch it is sent in
    st.booleans(),  # sent again in a later batch
)


correction_spec = st.tuples(
    st.integers(0, 20),  # which production event's chain it corrects (its last correction, if any)
    st.sampled_from(["5", "10", "20", "40"]),  # the corrected volume (lower and higher)
    st.integers(0, 3),  # occurredAt minute
    st.integers(0, 2),  # the batch it is sent in: before, with or after its target
    st.booleans(),  # sent again in a later batch
)


@hypothesis_settings(max_examples=30, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(event_spec, min_size=1, max_size=14),
       correction_specs=st.lists(correction_spec, max_size=5),
       strategy=st.sampled_from(["HIGHEST_VALUE", "NEWEST_WINS", "MANUAL_REVIEW"]),
       chunk=st.sampled_from([1, 2, 5, 2000]))
def test_the_engine_ends_where_the_reference_model_does(tenant_a, settings, specs, correction_specs, strategy, chunk):
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
        productions = [e for b in batches for e in b if e["type"] == "PRODUCTION_LOGGED"]
        productions = list({e["id"]: e for e in productions}.values())
        tips, corrections = {}, []
        for which, volume, minute, batch, resend in correction_specs if productions else []:
            root = productions[which % len(productions)]
            target = tips.get(root["id"], root)
            fix = {"id": str(uuid.uuid4()), "type": "PRODUCTION_LOGGED", "correctsEventId": target["id"],
                   "occurredAt": (START + timedelta(minutes=minute)).isoformat(),
                   "payload": target["payload"] | {"volume": volume}}
            tips[root["id"]] = fix
            corrections.append(fix)
            batches[batch].append(fix)
            if resend:
                batches[batch + 1].append(dict(fix))
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
        day_of = {e["id"]: e["payload"].get("productionDate") for e in ordered}
        got = {str(e): o for e, o in SyncEvent.objects.filter(event_id__in=[uuid.UUID(i) for i in day_of])
               .values_list("event_id", "outcome")}
        correction_outcomes, corrected_heads = corrected(ordered, corrections, outcomes, strategy,
                                                         got if strategy == "MANUAL_REVIEW" else outcomes)
        fixed_days = set(corrected_heads)
        fixed_ids = {i for i, day in day_of.items() if day in fixed_days}
        assert {i: o for i, o in got.items() if i not in fixed_ids} == {
            i: o for i, o in outcomes.items() if i not in fixed_ids}
        assert {i: got[i] for i in correction_outcomes} == correction_outcomes
        if strategy == "MANUAL_REVIEW":  # which events of a corrected day went to review depends on timing
            assert all(got[i] in ("APPLIED", "PENDING_REVIEW") for i in fixed_ids)
        else:  # every production event of an automatic strategy is decided automatically
            assert all(got[i] in ("APPLIED", "AUTO_RESOLVED") for i in fixed_ids)
        production = ProductionRecord.objects.filter(well=well)
        inspections = EquipmentInspection.objects.filter(well=well)
        assert {str(r.source_event_id) for r in list(production) + list(inspections)
                if day_of.get(str(r.source_event_id)) not in fixed_days} == {
            i for i in stored_ids if i not in fixed_ids}
        got_heads = {r.production_date.isoformat(): str(r.source_event_id)
                     for r in production.filter(superseded_by__isnull=True)}
        assert {k: v for k, v in got_heads.items() if k not in fixed_days} == {
            k: v for k, v in heads.items() if isinstance(k, str) and k not in fixed_days}
        got_fixed = {r.production_date.isoformat(): (str(r.source_event_id), r.volume)
                     for r in production.filter(superseded_by__isnull=True, production_date__in=fixed_days)}
        assert got_fixed == corrected_heads
        assert "PENDING" not in got.values()  # no correction left waiting
        current_inspections = {}
        for r in inspections.filter(superseded_by__isnull=True):
            day = r.inspected_at.astimezone(CHICAGO).date()
            current_inspections.setdefault(day, []).append(str(r.source_event_id))
        assert {k: sorted(v) for k, v in current_inspections.items()} == {
            k: v for k, v in heads.items() if not isinstance(k, str)}
        # every superseded production record names the record current when it lost, or a later winner
        for r in production.filter(superseded_by__isnull=False):
            assert r.superseded_by.production_date == r.production_date
        conflicts = Conflict.objects.filter(event__event_id__in=[uuid.UUID(i) for i in day_of])
        assert conflicts.count() == sum(1 for i, o in got.items() if o in ("AUTO_RESOLVED", "PENDING_REVIEW")
                                        and i not in correction_outcomes)  # a correction is no conflict
