"""The field web app (API.md section 17) in headless Chromium at 390 x 844: log in online, go
offline, reload, record every event type on two wells and their lease's tank, close and reopen,
go online, sync, and read back through the API that each event arrived exactly once with the
values typed; a connection cut in the middle of a sync, then resumed; a refused event that shows
the server's message and is fixed.

Waits are Playwright's own (expect / wait_for on what the page shows), never sleeps.
"""

from __future__ import annotations

import re
import struct
import time
import zlib

import pytest
from playwright.sync_api import expect

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
