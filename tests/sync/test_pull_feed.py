"""GET /api/v1/sync/changes (API.md section 9): snapshot, cursor, scoping, tombstones, expiry."""

import json
import threading
import time

import pytest
from django.core import signing
from django.db.models import Max
from django_tenants.utils import schema_context

from sync.services import changes as changes_module
from sync.services.changes import CURSOR_SALT
from wells.changelog.models import Change
from wells.changelog.services import change_record, changes_prune
from tenants import databases as tenant_db
from tests.factories import api_login
from tests.sync.conftest import later, new_api_number
from tests.sync.test_rules import inspection
from wells import services as well_services
from wells.models import Equipment, Well

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_operator(client, tenant_a):
    headers = tenant_a.headers(token=api_login(client, tenant_a)["access"])
    return lambda path: client.get(path, **headers)


@pytest.fixture
def as_manager(client, tenant_a):
    headers = tenant_a.headers(token=api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"])
    return lambda path: client.get(path, **headers)


def pull_all(get, cursor=None, limit=500):
    changes = []
    while True:
        url = f"/api/v1/sync/changes?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["hasMore"]:
            return changes, cursor


def ids(changes, entity, op="upsert"):
    return {c["id"] for c in changes if c["entity"] == entity and c["op"] == op}


def test_the_snapshot_holds_an_operators_route_only(as_operator, route):
    changes, _ = pull_all(as_operator)
    assert ids(changes, "well") == {str(route.well.pk)}
    assert ids(changes, "equipment") == {str(route.equipment.pk)}
    [well] = [c for c in changes if c["entity"] == "well"]
    assert well["version"] == 1 and well["data"]["apiNumber"] == route.well.api_number


def test_the_snapshot_holds_every_well_for_a_manager_and_pages(as_manager, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        for n in range(9):
            Well.objects.create(api_number=new_api_number(), name=f"Extra {n}")
        expected = {str(pk) for pk in Well.objects.values_list("pk", flat=True)}
    changes, _ = pull_all(as_manager, limit=8)  # two wells a page
    assert ids(changes, "well") == expected


def test_changes_after_the_snapshot_arrive_with_tombstones(as_operator, route, tenant_a):
    _, cursor = pull_all(as_operator)
    with schema_context(tenant_a.tenant.schema_name):
        well = Well.objects.get(pk=route.well.pk)
        well_services.well_update(well=well, data={"name": "Ector 12-1 (renamed)"})
        new_equipment = well_services.equipment_create(well=well, data={"type": "TANK", "name": "Tank 2"})
        well_services.equipment_delete(equipment=Equipment.objects.get(pk=route.equipment.pk))
        well_services.well_update(well=Well.objects.get(pk=route.off_route_well.pk), data={"name": "Not yours"})
    changes, cursor = pull_all(as_operator, cursor)
    [renamed] = [c for c in changes if c["entity"] == "well"]
    assert renamed["data"]["name"] == "Ector 12-1 (renamed)" and renamed["version"] == 2
    assert ids(changes, "equipment") == {str(new_equipment.pk)}
    assert ids(changes, "equipment", "delete") == {str(route.equipment.pk)}
    assert str(route.off_route_well.pk) not in {c["id"] for c in changes}  # not on the route
    again, _ = pull_all(as_operator, cursor)
    assert again == []


def test_unassignment_and_deletion_reach_the_operator_as_tombstones(as_operator, route, tenant_a):
    _, cursor = pull_all(as_operator)
    with schema_context(tenant_a.tenant.schema_name):
        well_services.wells_assign(user=route.operator, well_ids=[route.off_route_well.pk])
    changes, cursor = pull_all(as_operator, cursor)
    assert str(route.off_route_well.pk) in ids(changes, "well")  # newly on the route: sent whole
    with schema_context(tenant_a.tenant.schema_name):
        well_services.wells_unassign(user=route.operator, well_ids=[route.off_route_well.pk])
        well_services.well_delete(well=Well.objects.get(pk=route.well.pk))
    changes, _ = pull_all(as_operator, cursor)
    assert ids(changes, "well", "delete") == {str(route.off_route_well.pk), str(route.well.pk)}
    assert ids(changes, "assignment", "delete") == {str(route.off_route_well.pk)}


def test_a_cursor_older_than_the_retention_window_is_410(as_operator, route, tenant_a):
    _, cursor = pull_all(as_operator)
    with schema_context(tenant_a.tenant.schema_name):
        well_services.well_update(well=Well.objects.get(pk=route.well.pk), data={"lease": "Ector South"})
        well_services.well_update(well=Well.objects.get(pk=route.well.pk), data={"lease": "Ector West"})
        assert changes_prune(older_than_days=-1) >= 2
    response = as_operator(f"/api/v1/sync/changes?cursor={cursor}")
    assert response.status_code == 410 and response.json()["error"]["code"] == "cursor_expired"
    fresh, _ = pull_all(as_operator)  # re-snapshot works
    assert fresh[0]["data"]["lease"] == "Ector West"


@pytest.mark.parametrize("query", ["cursor=garbage", "limit=0", "limit=1001", "limit=ten"])
def test_bad_cursors_and_limits_are_invalid_request(as_operator, route, query):
    response = as_operator(f"/api/v1/sync/changes?{query}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_a_cursor_of_another_user_is_refused(as_operator, as_manager, route):
    _, cursor = pull_all(as_manager)
    assert as_operator(f"/api/v1/sync/changes?cursor={cursor}").status_code == 400


# --------------------------------------------------------------------------- commit order, no delay
# Writers below run on connections of their own (threads), committed for real, while the test's
# own transaction reads: the feed must serve by commit, not by the order seq numbers were given.


class Writer(threading.Thread):
    """Logs a change for ``entity_id`` in a transaction of its own, then holds it open until
    ``release`` is set (at once if it is already set) and commits."""

    def __init__(self, schema: str, *, entity: str, entity_id, well_id, release: threading.Event | None = None):
        super().__init__(daemon=True)
        self.schema, self.entity, self.entity_id, self.well_id = schema, entity, entity_id, well_id
        self.release = release or threading.Event()
        if release is None:
            self.release.set()
        self.written, self.committed, self.error = threading.Event(), threading.Event(), None

    def run(self):
        from django.db import connections

        try:
            with schema_context(self.schema), tenant_db.atomic():
                change_record(entity=self.entity, entity_id=self.entity_id, well_id=self.well_id)
                self.written.set()
                assert self.release.wait(120), "never released"
            self.committed.set()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
            self.written.set()
        finally:
            connections.close_all()

    def finish(self):
        self.join(60)
        assert self.error is None, self.error
        assert self.committed.is_set()


def unlogged_equipment(tenant, well, name):
    """Equipment made without a change row: the feed only sends it if a Writer's row names it."""
    with schema_context(tenant.tenant.schema_name):
        return Equipment.objects.create(well_id=well.pk, type="TANK", name=name, serial_number=name)


def test_a_change_held_open_for_30_seconds_still_reaches_the_device(as_operator, route, tenant_a):
    schema = tenant_a.tenant.schema_name
    held_item = unlogged_equipment(tenant_a, route.well, "Held tank")
    _, cursor = pull_all(as_operator)
    release = threading.Event()
    held = Writer(schema, entity="equipment", entity_id=held_item.pk, well_id=route.well.pk, release=release)
    held.start()
    assert held.written.wait(30) and held.error is None, held.error
    started, pulled_meanwhile = time.monotonic(), set()
    try:
        n = 0
        while time.monotonic() - started < 30:  # other changes commit (later seq numbers) and are pulled
            n += 1
            item = unlogged_equipment(tenant_a, route.well, f"Quick tank {n}")
            quick = Writer(schema, entity="equipment", entity_id=item.pk, well_id=route.well.pk)
            quick.start()
            quick.finish()
            changes, cursor = pull_all(as_operator, cursor)
            got = ids(changes, "equipment")
            assert str(item.pk) in got  # served by the first pull after its commit: no delay
            assert str(held_item.pk) not in got  # not committed yet
            pulled_meanwhile |= got
            time.sleep(3)
        assert held.is_alive() and not held.committed.is_set()
    finally:
        release.set()
        held.finish()
    changes, cursor = pull_all(as_operator, cursor)
    assert ids(changes, "equipment") == {str(held_item.pk)}  # the cursor moved past its seq, yet it comes
    assert len(pulled_meanwhile) >= 5
    again, _ = pull_all(as_operator, cursor)
    assert again == []


def test_a_committed_change_is_served_by_the_next_pull_at_once(as_operator, route, tenant_a):
    _, cursor = pull_all(as_operator)
    item = unlogged_equipment(tenant_a, route.well, "Fresh tank")
    writer = Writer(tenant_a.tenant.schema_name, entity="equipment", entity_id=item.pk, well_id=route.well.pk)
    writer.start()
    writer.finish()
    started = time.monotonic()
    changes, cursor = pull_all(as_operator, cursor)
    assert ids(changes, "equipment") == {str(item.pk)} and time.monotonic() - started < 5


def test_pages_of_one_interval_skip_nothing_committed_meanwhile(as_manager, route, tenant_a):
    _, cursor = pull_all(as_manager)
    with schema_context(tenant_a.tenant.schema_name):
        made = [well_services.equipment_create(well=Well.objects.get(pk=route.well.pk),
                                               data={"type": "TANK", "name": f"Tank {n}"}) for n in range(5)]
    response = as_manager(f"/api/v1/sync/changes?limit=2&cursor={cursor}")
    body = response.json()
    assert response.status_code == 200 and body["hasMore"] and len(body["changes"]) == 2
    late = unlogged_equipment(tenant_a, route.well, "Late tank")  # committed between two pages
    writer = Writer(tenant_a.tenant.schema_name, entity="equipment", entity_id=late.pk, well_id=route.well.pk)
    writer.start()
    writer.finish()
    rest, cursor = pull_all(as_manager, body["cursor"], limit=2)
    got = ids(body["changes"] + rest, "equipment")
    assert {str(m.pk) for m in made} <= got
    following, _ = pull_all(as_manager, cursor)  # the late one: in this interval or the next, not lost
    assert str(late.pk) in got | ids(following, "equipment")


def legacy_cursor(user, seq: int, mode: str = "c") -> str:
    return signing.dumps({"m": mode, "seq": seq, "u": str(user.pk)}, salt=CURSOR_SALT, compress=True)


def test_an_old_format_cursor_is_accepted_as_served_up_to_its_seq(as_operator, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        last = Change.objects.aggregate(m=Max("seq"))["m"] or 0
        well_services.well_update(well=Well.objects.get(pk=route.well.pk), data={"name": "After the old cursor"})
    changes, cursor = pull_all(as_operator, legacy_cursor(route.operator, last))
    assert [c["data"]["name"] for c in changes if c["entity"] == "well"] == ["After the old cursor"]
    assert pull_all(as_operator, cursor)[0] == []
    snapshot, _ = pull_all(as_operator, legacy_cursor(route.operator, last, mode="s"))  # mid-snapshot: resumes
    assert str(route.well.pk) in ids(snapshot, "well")


def test_an_old_cursor_from_before_pruning_is_410(as_operator, route, tenant_a):
    with schema_context(tenant_a.tenant.schema_name):
        well_services.well_update(well=Well.objects.get(pk=route.well.pk), data={"lease": "Pruned"})
        assert changes_prune(older_than_days=-1) >= 1
    response = as_operator(f"/api/v1/sync/changes?cursor={legacy_cursor(route.operator, 0)}")
    assert response.status_code == 410 and response.json()["error"]["code"] == "cursor_expired"


@pytest.mark.parametrize("state", [{"v": 2, "m": "c"}, {"v": 2, "m": "c", "p": {"k": "pg", "n": "x"}},
                                   {"v": 2, "m": "c", "p": {"k": "zz"}}, {"m": "c", "seq": "many"},
                                   {"m": "s", "seq": 0, "after": "not-a-uuid"},
                                   {"v": 2, "m": "s", "p": {"k": "seq", "s": 0}, "w": "", "e": [1, "x", "nope"]}])
def test_a_signed_but_malformed_cursor_is_400_not_500(as_operator, route, state):
    cursor = signing.dumps(state | {"u": str(route.operator.pk)}, salt=CURSOR_SALT, compress=True)
    response = as_operator(f"/api/v1/sync/changes?cursor={cursor}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


# --------------------------------------------------------------------------- conflicts in the feed


def test_a_conflict_change_carries_status_event_and_then_its_resolution(client, as_operator, route, tenant_a,
                                                                       push_and_process):
    _, cursor = pull_all(as_operator)
    push_and_process([inspection(route, "PASS")])
    second = inspection(route, "FAIL", occurred=later(5))
    push_and_process([second])
    changes, cursor = pull_all(as_operator, cursor)
    [conflict] = [c for c in changes if c["entity"] == "conflict"]
    data = conflict["data"]
    assert data["status"] == "PENDING_REVIEW" and data["eventId"] == second["id"] and data["resolution"] is None
    assert data["eventType"] == "EQUIPMENT_INSPECTED" and data["wellId"] == str(route.well.pk)
    manager = tenant_a.headers(token=api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"])
    response = client.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"action": "USE_LOCAL", "note": "seen"},
                           content_type="application/json", **manager)
    assert response.status_code == 200, response.content
    changes, cursor = pull_all(as_operator, cursor)
    [decided] = [c for c in changes if c["entity"] == "conflict"]
    assert decided["id"] == conflict["id"] and decided["data"]["status"] == "RESOLVED"
    assert decided["data"]["eventId"] == second["id"]
    assert decided["data"]["resolution"] == {"action": "USE_LOCAL", "resolvedBy": str(route.manager.pk),
                                             "resolvedAt": response.json()["resolution"]["resolvedAt"],
                                             "note": "seen"}
    fresh, _ = pull_all(as_operator)  # a device that re-snapshots still learns how it ended
    [again] = [c for c in fresh if c["entity"] == "conflict"]
    assert again["data"]["status"] == "RESOLVED" and again["data"]["resolution"]["action"] == "USE_LOCAL"


def test_the_snapshot_serialized_by_postgresql_equals_the_python_form(route, tenant_a, level):
    """The snapshot's wells and equipment are built as JSON by PostgreSQL (the fast path) and in
    Python (MySQL/MariaDB tenants), both from the wells API's serializers: the same changes, byte
    for byte, timestamps included (with and without a fraction of a second)."""
    if level == "database-mariadb":
        pytest.skip("the JSON is built by PostgreSQL only; MariaDB tenants use the Python form")
    from datetime import date, datetime, timezone
    from decimal import Decimal

    from wells.models import Lease

    with schema_context(tenant_a.tenant.schema_name):
        lease = Lease.objects.create(name="Ector", rrc_district="08", rrc_lease_number="41234")
        Well.objects.filter(pk=route.well.pk).update(
            latitude=Decimal("31.845123"), longitude=Decimal("-102.367"), spud_date=date(1987, 6, 1), county="Ector",
            state="TX", lease_ref=lease, updated_at=datetime(2026, 11, 20, 15, 4, 5, tzinfo=timezone.utc))
        Equipment.objects.create(well_id=route.well.pk, type="TANK", name="A \"quoted\" tank ✓", serial_number="T-9")
        Equipment.objects.filter(pk=route.equipment.pk).update(
            updated_at=datetime(2026, 11, 20, 15, 4, 5, 120, tzinfo=timezone.utc))
        ids_ = sorted([route.well.pk, route.off_route_well.pk])
        python = changes_module._snapshot_changes(ids_)
        raw, _, more = changes_module._snapshot_page_json(route.manager, {}, 1000)
        database = [c for c in json.loads(f"[{raw}]") if c["data"]["id"] in {str(i) for i in ids_}
                    or c["data"].get("wellId") in {str(i) for i in ids_}]
        assert not more

    assert len(python) == 4 and database == python
    [well] = [c["data"] for c in python if c["id"] == str(route.well.pk)]
    assert well["updatedAt"] == "2026-11-20T15:04:05Z" and well["leaseId"] == str(lease.pk)
    [item] = [c["data"] for c in python if c["id"] == str(route.equipment.pk)]
    assert item["updatedAt"] == "2026-11-20T15:04:05.000120Z"


def test_the_feeds_wells_and_equipment_are_the_wells_apis_representations(client, as_operator, route, tenant_a):
    """One representation per resource (STYLE.md): a well and a piece of equipment in the feed,
    snapshot or incremental, are what GET /api/v1/wells/{id}/ and /api/v1/equipment/{id}/ answer."""
    headers = tenant_a.headers(token=api_login(client, tenant_a)["access"])

    def api(path):
        response = client.get(path, **headers)
        assert response.status_code == 200, response.content
        return response.json()

    def feed_data(changes, entity, entity_id):
        [data] = [c["data"] for c in changes if c["entity"] == entity and c["id"] == str(entity_id)]
        return data

    snapshot, cursor = pull_all(as_operator)
    assert feed_data(snapshot, "well", route.well.pk) == api(f"/api/v1/wells/{route.well.pk}/")
    assert feed_data(snapshot, "equipment", route.equipment.pk) == api(f"/api/v1/equipment/{route.equipment.pk}/")
    with schema_context(tenant_a.tenant.schema_name):
        well_services.well_update(well=Well.objects.get(pk=route.well.pk), data={"name": "Ector 12-1 (renamed)",
                                                                                  "latitude": "31.5"})
        well_services.equipment_update(equipment=Equipment.objects.get(pk=route.equipment.pk),
                                       data={"serial_number": "PJ-1b"})
    changes, _ = pull_all(as_operator, cursor)
    well = api(f"/api/v1/wells/{route.well.pk}/")
    assert feed_data(changes, "well", route.well.pk) == well and well["name"] == "Ector 12-1 (renamed)"
    item = api(f"/api/v1/equipment/{route.equipment.pk}/")
    assert feed_data(changes, "equipment", route.equipment.pk) == item and item["serialNumber"] == "PJ-1b"


def test_a_cursor_of_another_database_is_410_the_device_re_snapshots(as_operator, route):
    """Transaction ids and commit positions mean nothing in another database (a tenant moved)."""
    _, cursor = pull_all(as_operator)
    state = signing.loads(cursor, salt=CURSOR_SALT)
    state["p"]["d"] = "0123456789ab"
    response = as_operator(f"/api/v1/sync/changes?cursor={signing.dumps(state, salt=CURSOR_SALT, compress=True)}")
    assert response.status_code == 410 and response.json()["error"]["code"] == "cursor_expired"


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_a_snapshot_in_small_pages_holds_the_same_changes_once_each(as_manager, route, tenant_a, limit):
    with schema_context(tenant_a.tenant.schema_name):
        for n in range(3):
            Equipment.objects.create(well_id=route.off_route_well.pk, type="TANK", name=f"Tank {n}")
    whole, _ = pull_all(as_manager, limit=1000)
    paged, _ = pull_all(as_manager, limit=limit)
    key = lambda c: (c["entity"], c["id"])  # noqa: E731
    assert sorted(map(key, paged)) == sorted(map(key, whole))
    assert len(paged) == len(set(map(key, paged)))  # nothing twice (no change was made meanwhile)
