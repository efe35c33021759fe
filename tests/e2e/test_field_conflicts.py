"""Two field devices record conflicting data offline for the same well and day, then sync, in
both orders, through the `pumpjack-field` library against the live server and a real worker.
The server must end with API.md section 7's outcomes whichever device syncs first."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from tests.client.harness import Device, jpeg, make_route, portal_session

pytestmark = pytest.mark.live


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("first", ["A", "B"])
def test_two_devices_conflicting_offline_reach_the_documented_outcomes_in_either_sync_order(
    first, live_web, workers, e2e_tenant, django_db_blocker, tmp_path
):
    from sync.models import Conflict, SyncEvent
    from tests.e2e.conftest import committed
    from wells.models import EquipmentInspection, FieldNote, Photo, ProductionRecord, WellReading

    route = make_route(django_db_blocker, e2e_tenant, wells=1, operators=2)
    well = route.wells[0]
    workers.start(concurrency=2)
    devices = {name: Device(name=name, data_dir=tmp_path, server=live_web.url, handle=e2e_tenant, email=email)
               for name, email in zip("AB", route.operators)}
    for device in devices.values():  # online once: log in and cache the route
        device.login()
        device.client.pull()
        assert [w.id for w in device.client.store.wells()] == [str(well.pk)]

    # Offline: both record for the same well and day (15:00-17:00 UTC is mid-morning in Chicago).
    day = date.today() - timedelta(days=2)
    a, b = devices["A"], devices["B"]
    photo_a, photo_b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    photo_a.write_bytes(jpeg("device A")), photo_b.write_bytes(jpeg("device B"))
    recorded = {"A": {}, "B": {}}
    # A records everything first, so B's events are the newer ones (later occurredAt).
    for name, device, volume, unit, reading, status, photo in (
        ("A", a, "130", "BBL", "150", "PASS", photo_a),
        ("B", b, "20", "M3", "162.5", "FAIL", photo_b),  # 20 m3 = 125.8 bbl: lower, though newer
    ):
        recorded[name]["production"] = device.record("production", well=well.api_number, date=day.isoformat(),
                                                     product="OIL", volume=volume, unit=unit)
        recorded[name]["reading"] = device.record("reading", well=well.name, type="PRESSURE", value=reading,
                                                  unit="PSI", equipment="Pump jack", at=_at(day, 15, 4))
        recorded[name]["inspection"] = device.record("inspection", well=str(well.pk), equipment="Oil tank",
                                                     status=status, type="ROUTINE",
                                                     at=_at(day, 16 if name == "B" else 15))
        recorded[name]["note"] = device.record("note", well=well.name, text=f"Note from device {name}",
                                               at=_at(day, 15, 10 if name == "A" else 20))
        recorded[name]["photo"] = device.record("photo", well=well.name, file=str(photo), caption=f"Photo {name}",
                                                at=_at(day, 15, 30 if name == "A" else 40))

    order = [first, "B" if first == "A" else "A"]
    reports = {name: devices[name].client.sync(wait=60) for name in order}
    for name, report in reports.items():
        assert report.accepted == 5 and not report.rejected and report.photos_uploaded == 1, (name, report)
        assert report.batches_open == 0, "the worker did not finish in time"

    def outcome(name: str, kind: str) -> str:
        return devices[name].client.store.event(recorded[name][kind]["id"])["outcome"]

    second = order[1]
    with committed(django_db_blocker, e2e_tenant):
        server = dict(SyncEvent.objects.filter(
            event_id__in=[e["id"] for events in recorded.values() for e in events.values()]
        ).values_list("event_id", "outcome"))
        server = {str(k): v for k, v in server.items()}

        # PRODUCTION_LOGGED, HIGHEST_VALUE: A's 130 bbl beats B's newer 125.8 bbl; B's stays superseded.
        production = ProductionRecord.objects.filter(well=well, production_date=day, product="OIL")
        assert production.count() == 2
        current = production.get(superseded_by__isnull=True)
        assert (current.volume, current.unit, str(current.source_event_id)) == (130, "BBL", recorded["A"]["production"]["id"])

        # WELL_READING_RECORDED, NEWEST_WINS: B recorded later, so B's value is current in both orders.
        readings = WellReading.objects.filter(well=well, reading_type="PRESSURE")
        assert readings.count() == 2
        assert str(readings.get(superseded_by__isnull=True).source_event_id) == recorded["B"]["reading"]["id"]

        # EQUIPMENT_INSPECTED, MANUAL_REVIEW: the first one synced applies, the other waits for a manager.
        inspections = EquipmentInspection.objects.filter(well=well)
        assert [str(i.source_event_id) for i in inspections] == [recorded[first]["inspection"]["id"]]
        conflict = Conflict.objects.get(event__event_id=recorded[second]["inspection"]["id"])
        assert (conflict.status, conflict.strategy) == ("PENDING_REVIEW", "MANUAL_REVIEW")

        # NOTES_ADDED, MERGE: one current merged note with both texts (in time order), originals kept.
        notes = FieldNote.objects.filter(well=well)
        merged = notes.get(superseded_by__isnull=True)
        assert merged.is_merged and merged.notes.index("device A") < merged.notes.index("device B")
        assert notes.filter(is_merged=False).count() == 2

        # PHOTO_ATTACHED, KEEP_BOTH: both current, both with their uploaded image.
        photos = Photo.objects.filter(well=well)
        assert photos.count() == 2 and not photos.filter(superseded_by__isnull=False).exists()
        assert all(p.file and p.sha256 for p in photos)
        assert {p.caption for p in photos} == {"Photo A", "Photo B"}

    expected = {
        first: {"production": "APPLIED", "reading": "APPLIED", "inspection": "APPLIED", "note": "APPLIED",
                "photo": "APPLIED"},
        second: {"production": "AUTO_RESOLVED", "reading": "AUTO_RESOLVED", "inspection": "PENDING_REVIEW",
                 "note": "AUTO_RESOLVED", "photo": "AUTO_RESOLVED"},
    }
    for name in "AB":
        for kind, wanted in expected[name].items():
            assert server[recorded[name][kind]["id"]] == wanted, (name, kind)
            assert outcome(name, kind) == wanted, (name, kind)  # the device learnt it from the batch status
    assert devices[second].client.store.event(recorded[second]["inspection"]["id"])["conflict_id"] == str(conflict.pk)

    # The manual conflict is on the managers' list (API) and on the portal's Conflicts page...
    manager = live_web.login(e2e_tenant, e2e_tenant.users["MANAGER"])
    listed = requests.get(f"{live_web.url}/api/v1/conflicts/", params={"status": "PENDING_REVIEW", "page_size": 200},
                          headers=live_web.api(e2e_tenant, manager), timeout=30)
    assert listed.status_code == 200
    assert str(conflict.pk) in {c["id"] for c in listed.json()["results"]}
    page = portal_session(live_web, e2e_tenant, e2e_tenant.users["MANAGER"]).get(f"{live_web.url}/conflicts/", timeout=30)
    assert page.status_code == 200 and f'data-conflict="{conflict.pk}"' in page.text

    # ... and both operators' devices show it among the pending conflicts on their wells.
    for device in devices.values():
        device.client.pull()
        pending = device.client.status()["pendingConflicts"]
        assert [c["id"] for c in pending] == [str(conflict.pk)]
        assert pending[0]["eventType"] == "EQUIPMENT_INSPECTED"
        device.close()
