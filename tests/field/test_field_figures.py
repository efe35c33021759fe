"""Issue 16's figures, measured in headless Chromium at 390 x 844 on this machine and printed
(`pytest -s` shows them): opening the app offline to an interactive route list (target under
1 s), and recording 100 events through the form and syncing them (target under 5 s end to end).
The assertions are looser than the targets (a shared 2-core machine under other tests' load must
not make them flaky); the figures in docs/field-app.md are these tests' output."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.field.test_field_app import (
    log_in,
    open_app,
    open_form,
    record_another,
    stored_events,
    sync,
    wait_for_service_worker,
)

pytestmark = pytest.mark.live


def test_opening_offline_to_an_interactive_route_list(phone, field_site):
    page = open_app(phone, field_site)
    log_in(page, field_site)
    wait_for_service_worker(page)
    phone.set_offline(True)
    figures = []
    for _ in range(5):
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#route li")).to_have_count(2)
        figures.append(page.evaluate("performance.getEntriesByName('pumpjack-interactive')[0].startTime"))
    figures.sort()
    print(f"\noffline open to interactive route list: median {figures[2]:.0f} ms, worst {figures[-1]:.0f} ms "
          f"(5 reloads, from navigation start)")
    assert figures[2] < 3000


def test_recording_100_events_and_syncing_them(phone, field_site):
    page = open_app(phone, field_site)
    log_in(page, field_site)
    open_form(page, field_site, "Alpha 1", "WELL_READING_RECORDED")
    started = time.monotonic()
    for n in range(100):
        page.select_option("#f-readingType", "TEMPERATURE")
        page.select_option("#f-unit", "F")
        page.fill("#f-value", str(100 + n % 5))
        page.click("form.event-form button[type=submit]")
        expect(page.locator("#saved")).to_be_visible()
        record_another(page)
    recorded = time.monotonic() - started
    # The app's share: from the tap on Save to "saved" (validated, stored in IndexedDB), per event.
    saving = page.evaluate("performance.getEntriesByName('pumpjack-save').reduce((a, m) => a + m.duration, 0)") / 1000
    expect(page.locator("#unsynced")).to_have_text("100 unsynced")
    sync_started = time.monotonic()
    sync(page)
    synced = time.monotonic() - sync_started
    expect(page.locator("#unsynced")).to_have_text("0 unsynced")
    readings = [e for e in stored_events(page) if e["type"] == "WELL_READING_RECORDED" and e["payload"]["unit"] == "F"]
    assert len(readings) == 100 and all(e["outcome"] for e in readings)
    print(f"\n100 events: saving them took the app {saving:.2f} s (tap on Save to 'saved', summed), driving the "
          f"form from the test {recorded:.2f} s in all; sync (push, outcomes, pull) {synced:.2f} s; app time end to "
          f"end {saving + synced:.2f} s")
    assert saving + synced < 30
