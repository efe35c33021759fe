"""`record gauge --tank T` / `record run-ticket --tank T` by the tank's name (API.md section 13):
the tanks of the route's leases come with the pull feed and are kept by the Store; a name, or
"Lease/Tank" when two leases have a tank of that name, or an id. Ambiguous and unknown names are
one clear line listing the choices. No server is involved."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest

from sync.client import cli
from sync.client.errors import UsageError
from sync.client.record import record
from sync.client.store import SCHEMA_VERSION, Store
from tests.client.test_record import client  # noqa: F401  (the fixture)

NOWHERE = "http://127.0.0.1:9"
TARZAN, FAR = str(uuid.uuid4()), str(uuid.uuid4())
OIL_1, OIL_2, FAR_OIL_1, WATER = (str(uuid.uuid4()) for _ in range(4))


def _lease(lease_id, name):
    return {"entity": "lease", "op": "upsert", "id": lease_id, "version": 1, "data": {"id": lease_id, "name": name}}


def _tank(tank_id, lease_id, name, product="OIL"):
    return {"entity": "tank", "op": "upsert", "id": tank_id, "version": 1,
            "data": {"id": tank_id, "leaseId": lease_id, "name": name, "product": product}}


@pytest.fixture
def tanks(client):  # noqa: F811
    client.store.apply_changes([
        _lease(TARZAN, "Tarzan Unit"), _lease(FAR, "Far Away"),
        _tank(OIL_1, TARZAN, "Oil 1"), _tank(OIL_2, TARZAN, "Oil 2"), _tank(WATER, TARZAN, "Water 1", "WATER"),
        _tank(FAR_OIL_1, FAR, "Oil 1"),
    ], cursor="c2")
    return client


def gauge(client, tank):  # noqa: F811
    return record(client.store, client.folder, "gauge", {"tank": tank, "level": "12ft 4-1/4in"})["payload"]["tankId"]


def test_a_tank_is_found_by_its_name_in_any_case_by_lease_and_name_or_by_id(tanks):
    assert gauge(tanks, "oil 2") == OIL_2
    assert gauge(tanks, "Water 1") == WATER
    assert gauge(tanks, "Tarzan Unit/Oil 1") == OIL_1
    assert gauge(tanks, "far away / oil 1") == FAR_OIL_1
    assert gauge(tanks, OIL_1.upper()) == OIL_1
    new = str(uuid.uuid4())  # not pulled yet: the server knows it, the device takes the id
    assert gauge(tanks, new) == new
    assert [(t.lease_name, t.name, t.product) for t in tanks.store.tanks()] == [
        ("Far Away", "Oil 1", "OIL"), ("Tarzan Unit", "Oil 1", "OIL"), ("Tarzan Unit", "Oil 2", "OIL"),
        ("Tarzan Unit", "Water 1", "WATER")]


def test_an_ambiguous_name_lists_the_tanks_it_could_be(tanks):
    with pytest.raises(UsageError) as raised:
        gauge(tanks, "Oil 1")
    message = str(raised.value)
    assert "--tank 'Oil 1' matches 2 tanks" in message
    assert f"Far Away/Oil 1 ({FAR_OIL_1})" in message and f"Tarzan Unit/Oil 1 ({OIL_1})" in message
    assert 'give "Lease/Tank" or the id' in message
    record(tanks.store, tanks.folder, "run-ticket", {
        "tank": "Far Away/Oil 1", "number": "T-1", "gravity": "40", "temperature": "60", "bsw": "0",
        "disposition": "1", "opening": "2ft", "closing": "1ft"})


def test_an_unknown_name_lists_the_cached_tanks_and_a_close_one(tanks):
    with pytest.raises(UsageError) as raised:
        gauge(tanks, "Oil 3")
    message = str(raised.value)
    assert message.startswith("unknown tank 'Oil 3' (did you mean Oil 2, Oil 1?)")
    assert "the tanks cached on this device are Far Away/Oil 1, Tarzan Unit/Oil 1, Tarzan Unit/Oil 2, " \
           "Tarzan Unit/Water 1" in message and "pumpjack-field pull" in message


def test_no_tanks_cached_says_to_pull(client):  # noqa: F811
    with pytest.raises(UsageError, match="no tanks cached on this device: run `pumpjack-field pull`"):
        gauge(client, "Oil 1")


def test_the_feed_removes_tanks_and_a_snapshot_replaces_them(tanks):
    tanks.store.apply_changes([{"entity": "tank", "op": "delete", "id": OIL_2}], cursor="c3")
    assert OIL_2 not in {t.id for t in tanks.store.tanks()}
    tanks.store.apply_changes([_lease(FAR, "Far Away"), _tank(FAR_OIL_1, FAR, "Oil 1")], cursor="c4", replace=True)
    assert [(t.lease_name, t.name) for t in tanks.store.tanks()] == [("Far Away", "Oil 1")]
    assert gauge(tanks, "Oil 1") == FAR_OIL_1  # no longer ambiguous
    tanks.store.forget_reference()
    assert tanks.store.tanks() == []


def test_the_command_line_takes_a_name_and_lists_tanks(tanks, capsys):
    home = str(tanks.folder.parent)
    assert cli.main(["record", "gauge", "--tank", "Oil 2", "--level", "5ft", "--data-dir", home,
                     "--server", NOWHERE, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["payload"]["tankId"] == OIL_2
    assert cli.main(["record", "gauge", "--tank", "Oil 1", "--level", "5ft", "--data-dir", home,
                     "--server", NOWHERE]) != 0
    assert "matches 2 tanks" in capsys.readouterr().err
    assert cli.main(["tanks", "--data-dir", home, "--server", NOWHERE]) == 0
    listing = capsys.readouterr().out
    assert "Tarzan Unit" in listing and OIL_2 in listing and "4 tanks" in listing


def test_a_store_from_before_tanks_pulls_a_fresh_snapshot(tmp_path):
    path = tmp_path / "field.db"
    store = Store(path)
    store.set_meta({"pull_cursor": "old-cursor"})
    store.db.execute("DROP TABLE tanks")
    store.db.execute("DROP TABLE leases")
    store.db.execute("PRAGMA user_version = 2")
    store.close()
    upgraded = Store(path)
    assert upgraded.meta("pull_cursor") is None  # the next pull brings the tanks it never kept
    assert upgraded.tanks() == [] and upgraded.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    upgraded.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM tanks").fetchone() == (0,)
