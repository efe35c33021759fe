"""TANK_GAUGED and RUN_TICKET_RECORDED (API.md section 13) through the real intake and processing:
each rule without and with a conflict, the rejections (level_out_of_range, a tank off the route),
corrections of a gauge and of a ticket, and a conflict resolved with the field's value."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django_tenants.utils import schema_context

from sync.models import Conflict, ConflictPolicy, Correction, SyncEvent
from tests.factories import api_login
from tests.sync.conftest import event, later
from tests.sync.test_rules import current, outcome
from wells.leases import Lease, RunTicket, StrappingRow, Tank, TankGauge

pytestmark = pytest.mark.django_db

# 0 → 0, 12 in → 20.04, 24 in → 40.1 bbl.
STRAPPING = [(D(0), D(0)), (D(12), D("20.04")), (D(24), D("40.1"))]
MINUTE = "2026-11-20T15:00:10Z"


@pytest.fixture
def tanks(route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        lease = Lease.objects.create(name="Ector", rrc_district="08", rrc_lease_number="4242")
        off = Lease.objects.create(name="Midland")
        route.well.lease_ref = lease
        route.well.save()
        route.off_route_well.lease_ref = off
        route.off_route_well.save()
        made = {}
        for name, on in (("tank", lease), ("off", off)):
            tank = Tank.objects.create(lease=on, name="Oil 1", capacity_bbl=D(40), height_inches=D(24))
            StrappingRow.objects.bulk_create([StrappingRow(tank=tank, height_inches=h, barrels=b) for h, b in STRAPPING])
            made[name] = tank
    return made


@pytest.fixture
def manager_token(client, tenant_a):
    return api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"]


def gauge(tank, level, *, unit="IN", at=MINUTE, occurred=None, **extra) -> dict:
    return event("TANK_GAUGED", {"tankId": str(tank.pk), "level": level, "unit": unit, "gaugedAt": at, **extra},
                 occurred=occurred)


def ticket(tank, number="T-1", *, occurred=None, **fields) -> dict:
    payload = {"ticketNumber": number, "tankId": str(tank.pk), "kind": "TANK", "closedAt": MINUTE,
               "observedGravityApi": 40.0, "observedTemperatureF": 60.0, "bswPercent": 0.5, "disposition": "1",
               "openingLevel": 18, "closingLevel": 6, "unit": "IN", "purchaser": "Plains",
               "sealsRemoved": ["S1"], "sealsInstalled": ["S2", "S3"]}
    payload.update(fields)
    return event("RUN_TICKET_RECORDED", {k: v for k, v in payload.items() if v is not None}, occurred=occurred)


def in_schema(tenant):
    return schema_context(tenant.tenant.schema_name)


# --------------------------------------------------------------------- TANK_GAUGED


def test_a_gauge_without_conflict_is_applied(push_and_process, route, tanks, tenant_a):
    e = gauge(tanks["tank"], "1.25", unit="FT", temperatureF=71.5, bswPercent=0.3)
    answer = push_and_process([e])
    assert answer["accepted"] == [e["id"]]
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    [record] = current(tenant_a, TankGauge, tank=tanks["tank"])
    assert record.level == D("1.25") and record.unit == "FT" and record.level_inches == D("15")
    assert record.temperature_f == D("71.5") and record.recorded_by_id == route.operator.pk


def test_two_levels_in_one_minute_newest_wins_and_the_loser_is_kept(push_and_process, tanks, tenant_a):
    first = gauge(tanks["tank"], 10)
    second = gauge(tanks["tank"], 11, at="2026-11-20T15:00:40Z", occurred=later(5))
    stale = gauge(tanks["tank"], 9, occurred=later(-5))  # happened before the first: loses
    push_and_process([first])
    push_and_process([second])
    push_and_process([stale])
    assert [outcome(tenant_a, e["id"]) for e in (first, second, stale)] == ["APPLIED", "AUTO_RESOLVED",
                                                                             "AUTO_RESOLVED"]
    [winner] = current(tenant_a, TankGauge, tank=tanks["tank"])
    assert str(winner.source_event_id) == second["id"]
    with in_schema(tenant_a):
        assert TankGauge.objects.filter(tank=tanks["tank"], superseded_by=winner).count() == 2
        assert list(Conflict.objects.filter(event_type="TANK_GAUGED").values_list("status", flat=True)) == [
            "AUTO_RESOLVED", "AUTO_RESOLVED"]


def test_the_same_level_again_is_no_conflict(push_and_process, tanks, tenant_a):
    push_and_process([gauge(tanks["tank"], 10)])
    again = gauge(tanks["tank"], "10.0", occurred=later(3))
    push_and_process([again])
    assert outcome(tenant_a, again["id"]) == "APPLIED"
    with in_schema(tenant_a):
        assert not Conflict.objects.exists()


def test_under_manual_review_another_level_waits_and_a_manager_may_take_it(push_and_process, route, tanks,
                                                                            tenant_a):
    from sync.services.conflicts import conflict_resolve

    with in_schema(tenant_a):
        ConflictPolicy.objects.create(event_type="TANK_GAUGED", strategy="MANUAL_REVIEW")
    first, other = gauge(tanks["tank"], 10), gauge(tanks["tank"], 14, occurred=later(5))
    push_and_process([first])
    push_and_process([other])
    assert outcome(tenant_a, other["id"]) == "PENDING_REVIEW"
    [kept] = current(tenant_a, TankGauge, tank=tanks["tank"])
    assert str(kept.source_event_id) == first["id"]
    with in_schema(tenant_a):
        conflict = Conflict.objects.get(event_type="TANK_GAUGED")
        assert conflict.local_data["level_inches"] == "14.0000" and conflict.well_id == route.well.pk
        conflict_resolve(conflict=conflict, action="USE_LOCAL", note="re-gauged", user=route.manager)
    [taken] = current(tenant_a, TankGauge, tank=tanks["tank"])
    assert taken.level_inches == D(14) and str(taken.source_event_id) == other["id"]


def test_a_level_above_the_table_and_a_tank_off_the_route_are_rejected(push, tanks):
    high, off, unknown = gauge(tanks["tank"], 25), gauge(tanks["off"], 5), gauge(tanks["tank"], 5)
    unknown["payload"]["tankId"] = "00000000-0000-4000-8000-000000000000"
    answer = push([high, off, unknown]).json()
    codes = {r["eventId"]: r["code"] for r in answer["rejected"]}
    assert codes == {high["id"]: "level_out_of_range", off["id"]: "unknown_tank", unknown["id"]: "unknown_tank"}
    [problem] = [r for r in answer["rejected"] if r["eventId"] == high["id"]]
    assert "payload.level" in problem["details"] and "24" in problem["message"]


def test_a_gauge_is_corrected(push_and_process, tanks, tenant_a):
    typo = gauge(tanks["tank"], 100, unit="IN")
    answer = push_and_process([typo])
    assert answer["rejected"][0]["code"] == "level_out_of_range"  # 100 in: above the 24 in table
    typo = gauge(tanks["tank"], 21)
    push_and_process([typo])
    fixed = event("TANK_GAUGED", typo["payload"] | {"level": 12}, occurred=later(60)) | {"correctsEventId": typo["id"]}
    push_and_process([fixed])
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    [record] = current(tenant_a, TankGauge, tank=tanks["tank"])
    assert record.level_inches == D(12) and str(record.source_event_id) == fixed["id"]
    with in_schema(tenant_a):
        old = TankGauge.objects.get(source_event_id=typo["id"])
        assert old.superseded_by_id == record.pk
        audit = Correction.objects.get(event__event_id=fixed["id"])
        assert audit.old_values["level_inches"] == "21.0000" and audit.new_values["level_inches"] == "12.0000"


# --------------------------------------------------------------------- RUN_TICKET_RECORDED


def test_a_ticket_without_conflict_is_applied_with_its_volumes(push_and_process, route, tanks, tenant_a):
    e = ticket(tanks["tank"])
    push_and_process([e])
    assert outcome(tenant_a, e["id"]) == "APPLIED"
    [record] = current(tenant_a, RunTicket, lease=tanks["tank"].lease)
    # 18 in → 30.07, 6 in → 10.02 bbl; 40.0 °API at 60 °F: CTL 1; net 20.05 × 0.995 = 19.95.
    assert (record.gross_observed_bbl, record.ctl, record.gross_standard_bbl, record.net_bbl) == (
        D("20.05"), D("1.00000"), D("20.05"), D("19.95"))
    assert record.seals_removed == ["S1"] and record.seals_installed == ["S2", "S3"]
    assert record.recorded_by_id == route.operator.pk and record.purchaser == "Plains"


def test_a_lact_ticket_is_applied(push_and_process, tanks, tenant_a):
    e = ticket(tanks["tank"], "L-1", kind="LACT", openingLevel=None, closingLevel=None, unit=None,
               openingTotalizerBbl=10500.0, closingTotalizerBbl=10680.5, meterFactor=1.0012, bswPercent=0.2)
    push_and_process([e])
    [record] = current(tenant_a, RunTicket, lease=tanks["tank"].lease)
    assert record.meter_factor == D("1.0012") and record.gross_observed_bbl == D("180.72")
    assert record.net_bbl == D("180.36")


def test_the_same_ticket_again_is_no_conflict_and_other_content_goes_to_review(push_and_process, tanks, tenant_a):
    first = ticket(tanks["tank"])
    resent = ticket(tanks["tank"], occurred=later(2))
    changed = ticket(tanks["tank"], closingLevel=3, occurred=later(4))
    push_and_process([first])
    push_and_process([resent])
    push_and_process([changed])
    assert [outcome(tenant_a, e["id"]) for e in (first, resent, changed)] == ["APPLIED", "APPLIED", "PENDING_REVIEW"]
    [record] = current(tenant_a, RunTicket, lease=tanks["tank"].lease)
    assert str(record.source_event_id) == first["id"]
    with in_schema(tenant_a):
        conflict = Conflict.objects.get(event_type="RUN_TICKET_RECORDED")
        assert conflict.status == "PENDING_REVIEW" and conflict.strategy == "MANUAL_REVIEW"
        assert conflict.local_data["gross_observed_bbl"] == "25.06" and conflict.server_data["gross_observed_bbl"] == "20.05"
        assert not RunTicket.objects.filter(source_event_id=changed["id"]).exists()


def test_a_ticket_stays_manual_review_whatever_is_configured(push_and_process, tanks, tenant_a):
    with in_schema(tenant_a):
        ConflictPolicy.objects.create(event_type="RUN_TICKET_RECORDED", strategy="NEWEST_WINS")
    push_and_process([ticket(tanks["tank"])])
    other = ticket(tanks["tank"], bswPercent=0.9, occurred=later(5))
    push_and_process([other])
    assert outcome(tenant_a, other["id"]) == "PENDING_REVIEW"


def test_bad_tickets_are_rejected_by_field(push, tanks):
    high = ticket(tanks["tank"], "H", openingLevel=30)
    mixed = ticket(tanks["tank"], "M", meterFactor=1.0)
    lact = ticket(tanks["tank"], "L", kind="LACT", openingLevel=None, closingLevel=None, unit=None)
    answer = push([high, mixed, lact]).json()
    rejected = {r["eventId"]: r for r in answer["rejected"]}
    assert rejected[high["id"]]["code"] == "level_out_of_range"
    assert rejected[mixed["id"]]["code"] == "invalid_payload" and "payload.meterFactor" in rejected[mixed["id"]]["details"]
    assert {"payload.openingTotalizerBbl", "payload.closingTotalizerBbl", "payload.meterFactor"} <= set(
        rejected[lact["id"]]["details"])


def test_a_ticket_is_corrected_and_a_waiting_one_too(push_and_process, push, tanks, tenant_a, manager_token):
    typo = ticket(tanks["tank"], "C-1", closingLevel=12)
    push_and_process([typo])
    fixed = event("RUN_TICKET_RECORDED", typo["payload"] | {"closingLevel": 6}, occurred=later(30)) | {
        "correctsEventId": typo["id"]}
    push_and_process([fixed], token=manager_token)  # a manager may correct a pumper's ticket
    assert outcome(tenant_a, fixed["id"]) == "APPLIED"
    [record] = current(tenant_a, RunTicket, lease=tanks["tank"].lease)
    assert record.gross_observed_bbl == D("20.05") and str(record.source_event_id) == fixed["id"]
    with in_schema(tenant_a):
        assert RunTicket.objects.get(source_event_id=typo["id"]).superseded_by_id == record.pk
        assert Correction.objects.filter(event__event_id=fixed["id"]).exists()
    # A ticket waiting in review is corrected in its conflict record.
    waiting = ticket(tanks["tank"], "C-1", closingLevel=3, occurred=later(40))
    push_and_process([waiting])
    assert outcome(tenant_a, waiting["id"]) == "PENDING_REVIEW"
    again = event("RUN_TICKET_RECORDED", waiting["payload"] | {"closingLevel": 4}, occurred=later(50)) | {
        "correctsEventId": waiting["id"]}
    push_and_process([again])
    with in_schema(tenant_a):
        conflict = Conflict.objects.get(event__event_id=waiting["id"])
        assert conflict.local_data["closing_level"] == "4.0000"
        assert SyncEvent.objects.get(event_id=again["id"]).outcome == "PENDING_REVIEW"


# --------------------------------------------------------------------- the pull feed (API.md section 9)


def test_the_feed_carries_the_leases_and_tanks_a_user_may_see(client, route, tanks, tenant_a):
    from tests.sync.test_pull_feed import ids, pull_all
    from wells.lease_services import tank_create, tank_delete, tank_update

    operator = tenant_a.headers(token=api_login(client, tenant_a)["access"])
    manager = tenant_a.headers(token=api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"])
    as_operator = lambda path: client.get(path, **operator)  # noqa: E731
    as_manager = lambda path: client.get(path, **manager)  # noqa: E731
    snapshot, operator_cursor = pull_all(as_operator)
    lease = tanks["tank"].lease
    assert ids(snapshot, "lease") == {str(lease.pk)} and ids(snapshot, "tank") == {str(tanks["tank"].pk)}
    [tank] = [c for c in snapshot if c["entity"] == "tank"]
    assert tank["data"]["leaseId"] == str(lease.pk) and tank["data"]["strapping"][1] == {"heightInches": 12.0,
                                                                                         "barrels": 20.04}
    everything, manager_cursor = pull_all(as_manager)
    assert ids(everything, "tank") == {str(tanks["tank"].pk), str(tanks["off"].pk)}
    with in_schema(tenant_a):
        added = tank_create(lease=lease, data={"name": "Oil 2", "capacity_bbl": D(40), "height_inches": D(24)})
        tank_update(tank=tanks["off"], data={"name": "Oil 1A"})  # off the operator's route
        tank_delete(tank=tanks["tank"])
    changes, _ = pull_all(as_operator, operator_cursor)
    assert ids(changes, "tank") == {str(added.pk)} and ids(changes, "tank", "delete") == {str(tanks["tank"].pk)}
    changes, _ = pull_all(as_manager, manager_cursor)
    assert ids(changes, "tank") == {str(added.pk), str(tanks["off"].pk)}
