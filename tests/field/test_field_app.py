"""The field web app (API.md section 17) in headless Chromium at 390 x 844: log in online, go
offline, reload, record every event type on two wells and their lease's tank, close and reopen,
go online, sync, and read back through the API that each event arrived exactly once with the
values typed; a connection cut in the middle of a sync, then resumed; a batch just pushed asked
about no sooner than 0.2 s after its 202; a refused event that shows the server's message and is
fixed.

Waits are Playwright's own (expect / wait_for on what the page shows), never sleeps.
"""

from __future__ import annotations

import struct
import time
import zlib

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_until
from tests.factories import PASSWORD

pytestmark = pytest.mark.live


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG (the server checks images by content)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([200, 120, 30]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# --------------------------------------------------------------------------- page helpers


def open_app(context, site):
    page = context.new_page()
    page.goto(site.url("/field/"))
    page.wait_for_selector("body[data-ready=true]")
    return page


def log_in(page, site, *, role: str = "OPERATOR", secret: bool = True):
    if secret:
        page.fill("#secret", site.handle.secret)
    page.fill("#email", site.handle.users[role])
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#route")).to_be_visible()


def wait_for_service_worker(page):
    """The worker installed the shell and controls the page (clients.claim)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def unsynced(page) -> int:
    return int(page.locator("#unsynced").get_attribute("data-count"))


def visit(page, site, well: str):
    page.evaluate(f"location.hash = '#/well/{site.wells[well]}'")
    expect(page.locator("h1")).to_have_text(well)


def open_form(page, site, well: str, event_type: str):
    visit(page, site, well)
    page.click(f".actions a[data-type={event_type}]")
    expect(page.locator(f"form.event-form[data-type={event_type}]")).to_be_visible()


def save(page):
    page.click("form.event-form button[type=submit]")
    expect(page.locator("#saved")).to_be_visible()


def record_another(page):
    """The same form again, empty: wait until the new one replaced the saved one."""
    page.click("#record-another")
    expect(page.locator("#saved")).to_have_count(0)


def gauge(page, prefix: str, feet: int, inches: int, quarters: int):
    page.fill(f"#f-{prefix}-ft", str(feet))
    page.fill(f"#f-{prefix}-in", str(inches))
    page.select_option(f"#f-{prefix}-q", str(quarters))


def sync(page, *, expect_done: bool = True):
    page.evaluate("location.hash = '#/sync'")
    page.click("#sync-now")
    if expect_done:
        expect(page.locator("#sync-done")).to_be_visible(timeout=60_000)


def stored_events(page) -> list[dict]:
    """The app's outbox as IndexedDB holds it."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('pumpjack-field');
        open.onsuccess = () => {
            const request = open.result.transaction('events').objectStore('events').getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
        };
        open.onerror = () => reject(open.error);
    })""")


# --------------------------------------------------------------------------- tests


def test_login_online_then_the_app_opens_offline_reloads_included(phone, field_site):
    page = open_app(phone, field_site)
    expect(page.locator("#login-form h1")).to_have_text("Log in to Field App Energy")
    log_in(page, field_site)
    wait_for_service_worker(page)
    names = page.locator("#route li strong").all_inner_texts()
    assert names == ["Alpha 1", "Bravo 2"]  # the route in order; the off-route well is not on it
    expect(page.locator("#due-summary")).to_have_text("Due today: 2 of 2 wells not visited, 1 tanks not gauged.")
    # Nothing secret in the address bar, the page's storage for web pages, or the page's HTML.
    assert field_site.handle.secret not in page.url and field_site.handle.secret not in page.content()

    phone.set_offline(True)
    page.reload()
    expect(page.locator("#route li")).to_have_count(2)
    expect(page.locator("#network")).to_have_text("offline")
    page.close()
    again = open_app(phone, field_site)  # a new tab, still with no network
    expect(again.locator("#route li")).to_have_count(2)
    visit(again, field_site, "Alpha 1")
    expect(again.locator(".tanks li strong")).to_have_text("Oil 1")


def record_a_day_offline(page, site, tmp_path):
    """One event of every type on two wells and their lease's tank, with the network off.
    Returns what was typed, by event type (and well)."""
    photo = tmp_path / "wellhead.png"
    photo.write_bytes(png_bytes())

    open_form(page, site, "Alpha 1", "PRODUCTION_LOGGED")
    page.select_option("#f-product", "OIL")
    page.fill("#f-volume", "120.5")
    page.select_option("#f-unit", "BBL")
    page.fill("#f-downtimeHours", "1.5")
    save(page)

    open_form(page, site, "Alpha 1", "WELL_READING_RECORDED")
    page.select_option("#f-readingType", "PRESSURE")
    page.fill("#f-value", "850")
    page.select_option("#f-unit", "PSI")
    page.select_option("#f-equipmentId", site.equipment["Alpha 1"])
    save(page)

    open_form(page, site, "Alpha 1", "PHOTO_ATTACHED")
    with page.expect_file_chooser() as chooser:
        page.click("#f-photo")
    chooser.value.set_files(str(photo))
    page.fill("#f-caption", "Wellhead after the storm")
    save(page)

    open_form(page, site, "Alpha 1", "EQUIPMENT_INSPECTED")
    page.select_option("#f-equipmentId", site.equipment["Alpha 1"])
    page.select_option("#f-inspectionType", "ROUTINE")
    page.select_option("#f-status", "NEEDS_ATTENTION")
    page.fill("#f-notes", "Belt worn")
    save(page)

    visit(page, site, "Alpha 1")
    page.click(".tanks li a:has-text('Gauge')")
    gauge(page, "level", 12, 4, 3)  # 12 ft 4 3/4 in = 148.75 in
    page.fill("#f-temperatureF", "70")
    save(page)

    visit(page, site, "Alpha 1")
    page.click(".tanks li a:has-text('Run ticket')")
    page.fill("#f-ticketNumber", "T-100")
    page.select_option("#f-kind", "TANK")
    page.fill("#f-observedGravityApi", "40")
    page.fill("#f-observedTemperatureF", "60")
    page.fill("#f-bswPercent", "0.5")
    page.fill("#f-disposition", "1")
    gauge(page, "openingLevel", 12, 4, 3)
    gauge(page, "closingLevel", 1, 0, 0)
    page.fill("#f-sealsRemoved", "S1, S2")
    save(page)

    open_form(page, site, "Bravo 2", "NOTES_ADDED")
    page.fill("#f-notes", "Stuffing box leaking")
    save(page)

    open_form(page, site, "Bravo 2", "EQUIPMENT_REPAIRED")
    page.select_option("#f-equipmentId", site.equipment["Bravo 2"])
    page.fill("#f-description", "Replaced the stuffing box packing")
    page.fill("#f-partsReplaced", "Packing rings")
    save(page)

    open_form(page, site, "Bravo 2", "PRODUCTION_LOGGED")
    page.select_option("#f-product", "GAS")
    page.fill("#f-volume", "310")
    page.select_option("#f-unit", "MCF")
    save(page)

    open_form(page, site, "Bravo 2", "WELL_STATUS_CHANGED")
    page.select_option("#f-status", "SHUT_IN")
    page.fill("#f-reason", "Waiting on a workover rig")
    save(page)


def test_a_day_offline_on_two_wells_then_one_sync_and_every_event_arrived_once(phone, field_site, tmp_path):
    page = open_app(phone, field_site)
    log_in(page, field_site)
    wait_for_service_worker(page)
    phone.set_offline(True)
    page.reload()
    expect(page.locator("#route li")).to_have_count(2)

    record_a_day_offline(page, field_site, tmp_path)
    expect(page.locator("#unsynced")).to_have_text("10 unsynced")
    page.evaluate("location.hash = '#/'")
    expect(page.locator("#due-summary")).to_have_text("Due today: 0 of 2 wells not visited, 0 tanks not gauged.")
    page.close()

    page = open_app(phone, field_site)  # closed and reopened, still offline: nothing lost
    expect(page.locator("#unsynced")).to_have_text("10 unsynced")
    visit(page, field_site, "Alpha 1")
    expect(page.locator("#recorded li")).to_have_count(6)  # 4 on the well, 2 on its tank
    events = {(e["type"], e["payload"].get("wellId") or e["payload"]["tankId"]): e for e in stored_events(page)}
    assert len(events) == 10 and all(e["state"] == "pending" for e in events.values())

    phone.set_offline(False)
    sync(page)
    expect(page.locator("#unsynced")).to_have_text("0 unsynced")
    expect(page.locator("#outbox li[data-outcome=APPLIED]")).to_have_count(10)
    after = stored_events(page)
    assert {e["state"] for e in after} == {"synced"}
    page.close()

    check_arrived_once(field_site, events)


def check_arrived_once(site, events):
    """Through the API, as a manager: each event is the source of exactly one record, with the
    values typed on the phone."""
    token = site.token("MANAGER")
    a, b = site.wells["Alpha 1"], site.wells["Bravo 2"]
    by_source: dict[str, list] = {}

    def index(rows):
        for row in rows:
            by_source.setdefault(row["sourceEventId"], []).append(row)
        return rows

    index(site.api_all(f"/api/v1/wells/{a}/production/", token))
    index(site.api_all(f"/api/v1/wells/{b}/production/", token))
    for nested in ("readings", "inspections", "repairs", "notes", "photos"):
        index(site.api_all(f"/api/v1/wells/{a}/{nested}/", token))
        index(site.api_all(f"/api/v1/wells/{b}/{nested}/", token))
    index(site.api_all(f"/api/v1/tanks/{site.tank_id}/gauges/", token))
    index(site.api_all("/api/v1/run-tickets/", token))

    def only(event_type, subject):
        rows = by_source.get(events[(event_type, subject)]["id"], [])
        assert len(rows) == 1, (event_type, rows)
        return rows[0]

    oil = only("PRODUCTION_LOGGED", a)
    assert (oil["product"], float(oil["volume"]), oil["unit"], float(oil["downtimeHours"])) == ("OIL", 120.5, "BBL", 1.5)
    gas = only("PRODUCTION_LOGGED", b)
    assert (gas["product"], float(gas["volume"]), gas["unit"]) == ("GAS", 310.0, "MCF")
    reading = only("WELL_READING_RECORDED", a)
    assert (reading["readingType"], float(reading["value"]), reading["unit"], reading["equipmentId"]) == (
        "PRESSURE", 850.0, "PSI", site.equipment["Alpha 1"])
    inspection = only("EQUIPMENT_INSPECTED", a)
    assert (inspection["inspectionType"], inspection["status"], inspection["notes"]) == ("ROUTINE", "NEEDS_ATTENTION", "Belt worn")
    photo = only("PHOTO_ATTACHED", a)
    assert photo["caption"] == "Wellhead after the storm" and photo["contentType"] == "image/png"
    assert photo["sizeBytes"] == len(png_bytes())
    assert only("NOTES_ADDED", b)["notes"] == "Stuffing box leaking"
    repair = only("EQUIPMENT_REPAIRED", b)
    assert (repair["description"], repair["partsReplaced"]) == ("Replaced the stuffing box packing", "Packing rings")
    gauge_row = only("TANK_GAUGED", site.tank_id)
    assert float(gauge_row["levelInches"]) == 148.75 and float(gauge_row["temperatureF"]) == 70
    ticket = only("RUN_TICKET_RECORDED", site.tank_id)
    assert ticket["ticketNumber"] == "T-100" and ticket["sealsRemoved"] == ["S1", "S2"]
    assert float(ticket["grossObservedBbl"]) == round((148.75 - 12) * 1.67, 2)
    assert site.api_get(f"/api/v1/wells/{b}/", token)["status"] == "SHUT_IN"
    # Nothing else arrived from this phone: the ten events, one record each.
    ours = {e["id"] for e in events.values()} - {events[("WELL_STATUS_CHANGED", b)]["id"]}
    assert {source for source in by_source if source in ours} == ours


def record_notes(page, site, *texts):
    for n, text in enumerate(texts):
        open_form(page, site, "Alpha 1" if n % 2 == 0 else "Bravo 2", "NOTES_ADDED")
        page.fill("#f-notes", text)
        save(page)


def notes_by_source(site, token) -> dict:
    rows = site.api_all(f"/api/v1/wells/{site.wells['Alpha 1']}/notes/", token) + \
        site.api_all(f"/api/v1/wells/{site.wells['Bravo 2']}/notes/", token)
    found: dict = {}
    for row in rows:
        found.setdefault(row["sourceEventId"], []).append(row)
    return found


def test_a_connection_cut_mid_sync_loses_nothing_and_resending_makes_no_second_record(phone, field_site):
    page = open_app(phone, field_site)
    log_in(page, field_site)
    phone.set_offline(True)
    record_notes(page, field_site, "Cut one", "Cut two", "Cut three")
    expect(page.locator("#unsynced")).to_have_text("3 unsynced")
    phone.set_offline(False)

    # The server stores the batch, then the connection drops before its answer reaches the phone.
    delivered = []

    def store_then_cut(route):
        # Playwright's own fetch does not resolve *.localhost: the same request to 127.0.0.1
        # (the tenant comes from its X-Tenant-ID header).
        delivered.append(route.fetch(url=route.request.url.replace(field_site.origin, field_site.api_origin)).status)
        route.abort("connectionreset")

    page.route("**/api/v1/sync/batches", store_then_cut)
    sync(page, expect_done=False)
    expect(page.locator("#sync-error")).to_contain_text("The connection dropped. Nothing is lost")
    assert delivered == [202]
    expect(page.locator("#unsynced")).to_have_text("3 unsynced")
    assert {e["state"] for e in stored_events(page)} == {"pending"}
    page.unroute("**/api/v1/sync/batches")

    page.reload()  # the tab reloaded meanwhile: the outbox is in IndexedDB
    sync(page)
    expect(page.locator("#unsynced")).to_have_text("0 unsynced")
    events = stored_events(page)
    assert {e["state"] for e in events} == {"synced"} and all(e["duplicate"] for e in events), events
    expect(page.locator("#outbox li[data-outcome=DUPLICATE]")).to_have_count(3)

    # Cut while the phone waits for the outcomes: the batch is asked about again by the next sync.
    record_notes(page, field_site, "Cut four")

    def cut(route):
        route.abort("connectionreset")

    page.route("**/api/v1/sync/batches/*", cut)
    sync(page, expect_done=False)
    expect(page.locator("#sync-error")).to_be_visible()
    expect(page.locator("#unsynced")).to_have_text("0 unsynced")  # the 202 arrived: it is on the server
    page.unroute("**/api/v1/sync/batches/*")
    sync(page)
    # Its outcome, learnt from the batch sent before (a second note on the well that day is merged).
    expect(page.locator("#outbox li[data-outcome=AUTO_RESOLVED], #outbox li[data-outcome=APPLIED]")).to_have_count(1)
    ids = [e["id"] for e in stored_events(page)]
    page.close()

    found = notes_by_source(field_site, field_site.token("MANAGER"))
    assert all(len(found.get(event_id, [])) == 1 for event_id in ids), {i: len(found.get(i, [])) for i in ids}


def test_a_batch_just_pushed_is_first_asked_about_a_fifth_of_a_second_after_its_202(phone, field_site):
    """As the command-line client does: a poll at once can only see the batch queued, and costs the
    server every event's result while its worker starts on it."""
    page = open_app(phone, field_site)
    log_in(page, field_site)
    phone.set_offline(True)
    record_notes(page, field_site, "First poll one", "First poll two")
    phone.set_offline(False)
    answered, polled = [], []

    def forward(route):  # to 127.0.0.1, as in the cut-connection test
        return route.fetch(url=route.request.url.replace(field_site.origin, field_site.api_origin))

    def push(route):
        response = forward(route)
        answered.append((time.monotonic(), response.status))
        route.fulfill(response=response)

    def poll(route):
        polled.append(time.monotonic())
        route.fulfill(response=forward(route))

    page.route("**/api/v1/sync/batches", push)
    page.route("**/api/v1/sync/batches/*", poll)
    sync(page)
    page.unroute("**/api/v1/sync/batches")
    page.unroute("**/api/v1/sync/batches/*")
    expect(page.locator("#unsynced")).to_have_text("0 unsynced")
    assert [status for _, status in answered] == [202] and polled
    # The 202 reaches the page after it is handed over here, and the poll is seen here after the
    # page sends it: the wait the page kept is at most what is measured. 0.19: the page counts its
    # 0.2 s in whole milliseconds of Date.now() (a poll at once came 0.035 s after).
    assert polled[0] - answered[0][0] >= 0.19, f"first poll {polled[0] - answered[0][0]:.3f} s after the 202"
    expect(page.locator("#outbox li[data-outcome=APPLIED], #outbox li[data-outcome=AUTO_RESOLVED]")).to_have_count(2)
    page.close()


def test_a_refused_event_shows_the_servers_message_and_is_fixed(phone, field_site):
    page = open_app(phone, field_site)
    log_in(page, field_site)
    visit(page, field_site, "Alpha 1")
    page.click(".tanks li a:has-text('Gauge')")
    gauge(page, "level", 21, 0, 0)  # above the 20 ft strapping table
    page.click("form.event-form button[type=submit]")
    # A plausibility warning asks for a confirmation, and does not block.
    expect(page.locator("#plausibility")).to_contain_text("above the tank's height (20 ft 0 in)")
    expect(page.locator("form.event-form button[type=submit]")).to_have_text("Save anyway")
    save(page)
    sync(page)
    expect(page.locator("#sync-done")).to_contain_text("except 1 refused")
    refused = page.locator("#outbox li[data-state=rejected]")
    expect(refused).to_contain_text("refused: The level (252 in) is above the tank's strapping table (240 in).")

    refused.locator("a:has-text('Fix')").click()
    expect(page.locator("#form-errors")).to_contain_text("The server refused this entry: The level (252 in)")
    expect(page.locator("[data-errors-for=level]")).to_have_text("above the tank's strapping table")
    assert page.input_value("#f-level-ft") == "21"  # the entry to fix, as it was typed
    gauge(page, "level", 19, 6, 2)
    save(page)
    expect(page.locator("#unsynced")).to_have_text("1 unsynced")
    sync(page)
    expect(page.locator("#outbox li[data-state=replaced]")).to_have_count(1)
    # Applied (or, should another test's gauge share its minute, decided newest-wins): on the server.
    expect(page.locator("#outbox li[data-state=synced]")).to_contain_text("19 ft 6 1/2 in")
    expect(page.locator("#outbox li[data-state=synced]")).not_to_have_attribute("data-outcome", "")
    fixed = next(e for e in stored_events(page) if e["state"] == "synced")
    page.close()

    token = field_site.token("MANAGER")
    gauges = field_site.api_all(f"/api/v1/tanks/{field_site.tank_id}/gauges/", token)
    assert [float(g["levelInches"]) for g in gauges if g["sourceEventId"] == fixed["id"]] == [234.5]


def push_as(site, token: str, events: list[dict]) -> dict:
    """A batch from another device (a second operator's sync), processed before returning."""
    import requests

    headers = {"X-Tenant-ID": site.handle.public_id, "X-Tenant-Secret": site.handle.secret,
               "Authorization": f"Bearer {token}"}
    answer = requests.post(site.api_origin + "/api/v1/sync/batches", headers=headers, timeout=30, json={
        "device": {"deviceId": "office-laptop", "platform": "cli", "appVersion": "test"}, "events": events})
    assert answer.status_code == 202 and answer.json()["accepted"], answer.text
    batch_url = f"/api/v1/sync/batches/{answer.json()['batchId']}"
    # The worker's answer, polled as a device polls (a server-side event, not a browser's).
    return wait_until(lambda: (report := site.api_get(batch_url, token))["status"] == "COMPLETED" and report,
                      message="the other device's batch to be processed")


def test_a_correction_supersedes_the_entry_and_a_conflict_is_shown_in_plain_words(phone, field_site, field_browser):
    import uuid
    from datetime import datetime, timezone

    import requests

    page = open_app(phone, field_site)
    log_in(page, field_site)
    open_form(page, field_site, "Bravo 2", "PRODUCTION_LOGGED")
    page.select_option("#f-product", "WATER")
    page.fill("#f-volume", "880")  # meant 88
    page.select_option("#f-unit", "BBL")
    save(page)
    sync(page)
    original = next(e for e in stored_events(page) if e["payload"].get("product") == "WATER")

    # Correct it from the visit page: the form starts from the entry, the previous value beside it.
    visit(page, field_site, "Bravo 2")
    page.click(f"#recorded li[data-event-id='{original['id']}'] a:has-text('Correct')")
    assert page.input_value("#f-volume") == "880"
    expect(page.locator("[data-field=volume] .previous")).to_contain_text("Last time: 880")
    page.fill("#f-volume", "88")
    save(page)

    # Meanwhile a manager inspected Bravo's pump jack from the office and found it passing.
    manager = field_site.token("MANAGER")
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    push_as(field_site, manager, [{"id": str(uuid.uuid4()), "type": "EQUIPMENT_INSPECTED", "occurredAt": now, "payload": {
        "wellId": field_site.wells["Bravo 2"], "equipmentId": field_site.equipment["Bravo 2"],
        "inspectionType": "SAFETY", "status": "PASS", "inspectedAt": now}}])
    open_form(page, field_site, "Bravo 2", "EQUIPMENT_INSPECTED")
    page.select_option("#f-equipmentId", field_site.equipment["Bravo 2"])
    page.select_option("#f-inspectionType", "SAFETY")
    page.select_option("#f-status", "FAIL")
    save(page)
    sync(page)
    expect(page.locator("#sync-done")).to_contain_text("1 wait for a manager's review")
    inspection = next(e for e in stored_events(page) if e["type"] == "EQUIPMENT_INSPECTED" and e["payload"]["status"] == "FAIL")
    line = page.locator(f"#outbox li[data-event-id='{inspection['id']}']")
    expect(line).to_contain_text("conflicts with another entry: a manager will review it")
    expect(line.locator(".conflict")).to_contain_text("waiting for a manager")

    # The manager decides; the phone's next sync learns how its entry ended.
    conflicts = field_site.api_get("/api/v1/conflicts/", manager, status="PENDING_REVIEW")["results"]
    conflict = next(c for c in conflicts if c["eventId"] == inspection["id"])
    resolved = requests.post(f"{field_site.api_origin}/api/v1/conflicts/{conflict['id']}/resolve", timeout=30,
                             json={"action": "USE_LOCAL", "note": "the pumper saw it fail"}, headers={
                                 "X-Tenant-ID": field_site.handle.public_id, "X-Tenant-Secret": field_site.handle.secret,
                                 "Authorization": f"Bearer {manager}"})
    assert resolved.status_code == 200, resolved.text
    sync(page)
    expect(line.locator(".conflict")).to_contain_text("decided by a manager: USE_LOCAL (the pumper saw it fail)")
    correction = next(e for e in stored_events(page) if e.get("correctsEventId") == original["id"])
    page.close()

    rows = {row["sourceEventId"]: row for row in
            field_site.api_all(f"/api/v1/wells/{field_site.wells['Bravo 2']}/production/", manager)}
    assert float(rows[correction["id"]]["volume"]) == 88 and rows[correction["id"]]["supersededBy"] is None
    assert rows[original["id"]]["supersededBy"] is not None  # kept, superseded by the correction

    # A second phone on the same route: Bravo 2 was visited today (the server's records say so),
    # and the corrected volume is the previous value, not the one it corrected.
    from tests.field.conftest import PHONE

    other = field_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        second = open_app(other, field_site)
        log_in(second, field_site)
        expect(second.locator(f"#route li[data-well-id='{field_site.wells['Bravo 2']}'] .tag")).to_have_text("visited today")
        open_form(second, field_site, "Bravo 2", "PRODUCTION_LOGGED")
        second.select_option("#f-product", "WATER")
        expect(second.locator("[data-field=volume] .previous")).to_contain_text("Last time: 88 ")
    finally:
        other.close()


def meta(page, key: str):
    return page.evaluate("""(key) => new Promise((resolve, reject) => {
        const open = indexedDB.open('pumpjack-field');
        open.onsuccess = () => {
            const request = open.result.transaction('meta').objectStore('meta').get(key);
            request.onsuccess = () => resolve(request.result === undefined ? null : request.result);
            request.onerror = () => reject(request.error);
        };
    })""", key)


def set_meta(page, key: str, value) -> None:
    page.evaluate("""([key, value]) => new Promise((resolve, reject) => {
        const open = indexedDB.open('pumpjack-field');
        open.onsuccess = () => {
            const tx = open.result.transaction('meta', 'readwrite');
            tx.objectStore('meta').put(value, key);
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
        };
    })""", [key, value])


def test_the_secret_from_the_qr_code_link_is_kept_and_leaves_the_address_bar(phone, field_site):
    page = phone.new_page()
    page.goto(field_site.url(f"/field/#secret={field_site.handle.secret}"))
    page.wait_for_selector("body[data-ready=true]")
    assert page.url == field_site.url("/field/")  # the fragment is gone from the address (and history)
    expect(page.locator("#secret")).to_be_hidden()  # entered once per device: not asked again
    log_in(page, field_site, secret=False)
    wait_for_service_worker(page)
    version = page.locator("body").get_attribute("data-shell-version")
    assert page.evaluate("caches.keys()") == [f"pumpjack-field-{version}"]  # one cache, this version's

    # The access token is about to expire: the next call refreshes first, and the refresh token
    # rotates (the new one is stored), as the command-line client does.
    first_refresh = meta(page, "refresh")
    set_meta(page, "accessExpiresAt", 0)
    sync(page)
    assert meta(page, "refresh") not in (None, first_refresh)
    assert meta(page, "accessExpiresAt") > time.time() * 1000

    # A refresh token the server no longer accepts (revoked, or the secret rotated): log in again.
    set_meta(page, "accessExpiresAt", 0)
    set_meta(page, "refresh", first_refresh)  # already used: refused
    sync(page, expect_done=False)
    expect(page.locator("#sync-error")).to_contain_text("log in again")


def test_carry_forward_in_one_tap_and_a_warning_far_from_the_recent_average(phone, field_site):
    import uuid
    from datetime import datetime, timedelta, timezone

    # Yesterday, from another device: a flow rate on Bravo 2. A phone new to the route shows it
    # as the previous value (the server's recent records come down with each sync).
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    push_as(field_site, field_site.token("MANAGER"), [{"id": str(uuid.uuid4()), "type": "WELL_READING_RECORDED",
        "occurredAt": yesterday, "payload": {"wellId": field_site.wells["Bravo 2"], "readingType": "FLOW_RATE",
                                             "value": 42.5, "unit": "BBL_D", "recordedAt": yesterday}}])
    page = open_app(phone, field_site)
    log_in(page, field_site)
    phone.set_offline(True)
    open_form(page, field_site, "Bravo 2", "WELL_READING_RECORDED")
    page.select_option("#f-readingType", "FLOW_RATE")
    expect(page.locator("[data-field=value] .previous")).to_contain_text("Last time: 42.5")
    expect(page.locator("[data-field=unit] .previous")).to_contain_text("Last time: BBL_D")

    open_form(page, field_site, "Bravo 2", "PRODUCTION_LOGGED")
    page.select_option("#f-product", "OIL")
    page.fill("#f-volume", "100")
    page.fill("#f-downtimeHours", "2")
    save(page)

    record_another(page)
    page.select_option("#f-product", "OIL")
    previous = page.locator("[data-field=volume] .previous")
    expect(previous).to_contain_text("Last time: 100")
    previous.locator("button:has-text('Use')").click()  # one tap
    assert page.input_value("#f-volume") == "100"
    page.locator("[data-field=downtimeHours] .previous button").click()
    assert page.input_value("#f-downtimeHours") == "2"
    page.select_option("#f-product", "GAS")  # the previous value is gas's (if any), not oil's
    expect(page.locator("[data-field=volume] .previous")).not_to_contain_text("Last time: 100 ")
    page.select_option("#f-product", "OIL")
    page.fill("#f-volume", "110")
    save(page)

    record_another(page)
    page.select_option("#f-product", "OIL")
    page.fill("#f-volume", "1000")
    page.click("form.event-form button[type=submit]")
    expect(page.locator("#plausibility")).to_contain_text("Volume is far from the recent average here (1000 vs 105, last 2 entries)")
    expect(page.locator("#saved")).to_have_count(0)  # not saved yet: asked first
    save(page)  # Save anyway
    expect(page.locator("#unsynced")).to_have_text("3 unsynced")


def test_a_new_worker_takes_over_drops_older_caches_and_offers_a_reload(phone, field_site):
    """A new version is a new worker (its script's first line carries the version): it installs,
    deletes every older shell cache, takes over the open page, and the page offers a reload.
    Playwright cannot rewrite a worker's script as it is fetched for an update, so the new worker
    here is the same script under another URL, and the older cache one this test leaves behind."""
    page = open_app(phone, field_site)
    log_in(page, field_site)
    wait_for_service_worker(page)
    version = page.locator("body").get_attribute("data-shell-version")
    page.evaluate("caches.open('pumpjack-field-0123456789abcdef').then((c) => c.put('/field/', new Response('old')))")
    assert sorted(page.evaluate("caches.keys()")) == ["pumpjack-field-0123456789abcdef", f"pumpjack-field-{version}"]

    page.evaluate("navigator.serviceWorker.register('/field/sw.js?release=next', {scope: '/field/'})")
    expect(page.locator("#update-banner")).to_be_visible()
    page.wait_for_function(f"caches.keys().then((k) => k.length === 1 && k[0] === 'pumpjack-field-{version}')")
    page.click("#update-reload")
    expect(page.locator("#route li")).to_have_count(2)
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/field/sw.js?release=next")
