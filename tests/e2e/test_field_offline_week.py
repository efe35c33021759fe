"""A device offline for a week: 20,000 events, pushed through the live server in requests
within its limits (5,000 events and 8 MiB each), every one applied exactly once by real workers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sync.client.chunking import MAX_BYTES, MAX_EVENTS
from tests.client.harness import Device, make_route, server_events

pytestmark = pytest.mark.live
TOTAL = 20_000


def a_week_of_events(wells, start: datetime) -> list[tuple[str, dict]]:
    """Readings every minute, round the wells; a day's production per well and product; and a
    stretch of long notes (a pumper catching up on reports) that makes some requests byte-bound."""
    readings, notes, production = [], [], []
    for n in range(TOTAL - 1300 - 84):
        well = wells[n % len(wells)]
        readings.append(("WELL_READING_RECORDED", {
            "wellId": str(well.pk), "readingType": "PRESSURE", "value": 100 + n % 97, "unit": "PSI",
            "recordedAt": (start + timedelta(minutes=n // len(wells))).isoformat().replace("+00:00", "Z")}))
    for n in range(1300):
        notes.append(("NOTES_ADDED", {
            "wellId": str(wells[n % len(wells)].pk), "notes": f"Report {n}: " + "gauge checked, all normal. " * 300,
            "recordedAt": (start + timedelta(minutes=7 * n)).isoformat().replace("+00:00", "Z")}))
    for n in range(84):
        well, day, product = wells[n % 4], n // 12, ["OIL", "GAS", "WATER"][n // 4 % 3]
        production.append(("PRODUCTION_LOGGED", {
            "wellId": str(well.pk), "productionDate": (start + timedelta(days=day)).date().isoformat(),
            "product": product, "volume": 50 + n, "unit": "MCF" if product == "GAS" else "BBL"}))
    return readings[:9000] + notes + production + readings[9000:]


def test_twenty_thousand_events_go_in_chunks_within_the_limits_and_apply_exactly_once(
    live_web, workers, e2e_tenant, django_db_blocker, tmp_path
):
    from tests.e2e.conftest import committed
    from wells.models import FieldNote, ProductionRecord, WellReading

    route = make_route(django_db_blocker, e2e_tenant, wells=4)
    device = Device(name="week", data_dir=tmp_path, server=live_web.url, handle=e2e_tenant, email=route.operators[0])
    device.login()
    device.client.pull()
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(days=7, hours=1)
    events = a_week_of_events(route.wells, start)
    assert len(events) == TOTAL
    ids = device.record_many(events, start=start)
    workers.start(concurrency=2)

    report = device.client.sync(wait=150)

    sizes = [(chunk["events"], chunk["bytes"]) for chunk in report.batches]
    assert sum(n for n, _ in sizes) == TOTAL and report.accepted == TOTAL and not report.rejected
    assert all(n <= MAX_EVENTS and size <= MAX_BYTES for n, size in sizes), sizes
    assert any(n == MAX_EVENTS for n, _ in sizes), "no request was bound by the event count"
    # The stretch of long notes fills requests by bytes before they reach 5,000 events.
    assert any(n < MAX_EVENTS for n, _ in sizes[:-1]), f"no request was bound by the byte limit: {sizes}"
    if not report.shrunk:  # the server takes what the contract promises: full 8 MiB requests
        assert any(size > MAX_BYTES - 20_000 for _, size in sizes), sizes
    assert report.batches_open == 0, "the worker did not finish within the wait"
    # Sent once each, but for the requests refused as too large (each tried twice before shrinking).
    assert device.peek("SELECT count(*) FROM events WHERE synced = 1") == [(TOTAL,)]
    assert device.peek("SELECT max(sync_attempts) FROM events")[0][0] <= 1 + 2 * len(report.shrunk)
    print("requests (events, bytes):", sizes, "refused as too large:", report.shrunk, "seconds:", report.seconds)

    outcomes = server_events(django_db_blocker, e2e_tenant, ids)
    assert len(outcomes) == TOTAL
    # Notes of the same well and day merge (or, past 10,000 characters, are kept side by side).
    assert set(outcomes.values()) <= {"APPLIED", "AUTO_RESOLVED"}, set(outcomes.values())
    with committed(django_db_blocker, e2e_tenant):
        sources = []
        for model in (WellReading, FieldNote, ProductionRecord):
            sources += [str(s) for s in model.objects.filter(well__in=route.wells, source_event_id__isnull=False)
                        .values_list("source_event_id", flat=True)]
    assert len(sources) == TOTAL and set(sources) == set(ids)  # one record per event: none lost, none twice
    device.close()


def test_the_server_takes_a_request_of_nearly_8_mib_as_the_contract_promises(live_web, e2e_tenant, django_db_blocker):
    import json
    import uuid

    import requests

    route = make_route(django_db_blocker, e2e_tenant)
    token = live_web.login(e2e_tenant, route.operators[0])
    # Events for a well that does not exist: stored as rejected at intake, nothing for a worker to do.
    events = [{"id": str(uuid.uuid4()), "type": "NOTES_ADDED", "occurredAt": "2026-11-20T15:00:00Z",
               "payload": {"wellId": str(uuid.uuid4()), "notes": "x" * 9000, "recordedAt": "2026-11-20T15:00:00Z"}}
              for _ in range(880)]
    body = json.dumps({"device": {"deviceId": "big-body", "platform": "cli"}, "events": events})
    assert 7 * 1024 * 1024 < len(body) <= MAX_BYTES
    answer = requests.post(f"{live_web.url}/api/v1/sync/batches", data=body, timeout=120,
                           headers={**live_web.api(e2e_tenant, token), "Content-Type": "application/json"})
    assert answer.status_code == 202, (answer.status_code, answer.text[:200])
