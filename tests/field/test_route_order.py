"""The route list in the order the pumper drives it (issue 16 part 1), kept on the device: in
headless Chromium at 390 x 844, an OPERATOR of their own puts Bravo 2 before Alpha 1 with the
Reorder mode's buttons (tapped and by keyboard), the order survives reloads online and offline; a
well put on the route on the server after that appears last (although the default order would put
it first), a well taken off drops out of the stored order, and one put back comes last again.

The route is changed on the server with ``manage.py assign_wells`` (API.md section 10), as an
operator's script would; waits are Playwright's own, never sleeps.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

from .conftest import REPO
from .test_field_app import open_app, sync

pytestmark = pytest.mark.live

EMAIL = "route-order@fieldapp.test"


def manage(live_env, *args: str) -> dict:
    done = subprocess.run([sys.executable, "manage.py", *args, "--json"], cwd=REPO, env=live_env.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def driver(field_site, live_env):
    """An OPERATOR of this module's own (the shared OPERATOR's route stays as the other tests
    expect it) with Alpha 1 and Bravo 2 on their route."""
    tenant = field_site.handle.public_id
    manage(live_env, "create_user", "--tenant", tenant, "--email", EMAIL, "--password", PASSWORD,
           "--role", "OPERATOR", "--name", "Route Driver")

    def route(*names: str, replace: bool = False, off_route: bool = False) -> None:
        ids = [field_site.wells[name] for name in names] + ([field_site.off_route_well_id] if off_route else [])
        manage(live_env, "assign_wells", "--tenant", tenant, "--user", EMAIL, "--wells", ",".join(ids),
               *(["--replace"] if replace else []))

    route("Alpha 1", "Bravo 2", replace=True)
    return route


def names(page) -> list[str]:
    return page.locator("#route li strong").all_inner_texts()


def stored_order(page) -> list[str]:
    """The order as IndexedDB holds it (the meta store, one key per user)."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('pumpjack-field');
        open.onsuccess = () => {
            const tx = open.result.transaction('meta');
            const user = tx.objectStore('meta').get('user');
            user.onsuccess = () => {
                const order = tx.objectStore('meta').get('routeOrder:' + user.result.id);
                order.onsuccess = () => resolve(order.result || []);
                order.onerror = () => reject(order.error);
            };
            user.onerror = () => reject(user.error);
        };
        open.onerror = () => reject(open.error);
    })""")


def test_the_route_keeps_the_pumpers_order_on_the_device(phone, field_site, driver):
    page = open_app(phone, field_site)
    page.fill("#secret", field_site.handle.secret)
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#route li")).to_have_count(2)
    assert names(page) == ["Alpha 1", "Bravo 2"]  # the default order: lease, then name
    assert stored_order(page) == []
    alpha, bravo = field_site.wells["Alpha 1"], field_site.wells["Bravo 2"]
    # What is due depends on what other tests of the session recorded on these wells today: read it
    # here, and require it unchanged by the reordering below.
    expect(page.locator("#due-summary")).to_contain_text("Due today: ")
    due_summary = page.locator("#due-summary").inner_text()
    due_tags = {well: page.locator(f"#route li[data-well-id='{well}'] .tag").all_inner_texts()
                for well in (alpha, bravo)}

    # Reorder mode: big buttons, the first well cannot go up nor the last down.
    page.click("#reorder")
    expect(page.locator("#reorder-done")).to_be_visible()
    expect(page.locator("#route li a")).to_have_count(0)  # no link to tap by mistake while reordering
    expect(page.locator(f"#route li[data-well-id='{alpha}'] button[data-move=up]")).to_be_disabled()
    expect(page.locator(f"#route li[data-well-id='{bravo}'] button[data-move=down]")).to_be_disabled()
    up = page.locator(f"#route li[data-well-id='{bravo}'] button[data-move=up]")
    box = up.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 120, box  # a gloved thumb's target
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # inside the phone's width
    up.tap()
    expect(page.locator("#route li strong")).to_have_text(["Bravo 2", "Alpha 1"])
    expect(page.locator("#route-status")).to_have_text("Bravo 2 is now 1 of 2.")
    # The moved well keeps the keyboard focus (its other button, now that it is first): Enter moves it back down...
    expect(page.locator(f"#route li[data-well-id='{bravo}'] button[data-move=down]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#route li strong")).to_have_text(["Alpha 1", "Bravo 2"])
    expect(page.locator(f"#route li[data-well-id='{bravo}'] button[data-move=up]")).to_be_focused()
    page.keyboard.press("Space")  # ... and Space up again
    expect(page.locator("#route li strong")).to_have_text(["Bravo 2", "Alpha 1"])
    page.click("#reorder-done")
    expect(page.locator("#reorder")).to_be_visible()
    expect(page.locator("#route li a")).to_have_count(2)
    assert names(page) == ["Bravo 2", "Alpha 1"]
    assert stored_order(page) == [bravo, alpha]
    # The due-today marks are as they were.
    assert due_summary.startswith("Due today: ")
    expect(page.locator("#due-summary")).to_have_text(due_summary)
    for well, tags in due_tags.items():
        assert page.locator(f"#route li[data-well-id='{well}'] .tag").all_inner_texts() == tags

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#route li strong")).to_have_text(["Bravo 2", "Alpha 1"])
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    phone.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#network")).to_have_text("offline")
    expect(page.locator("#route li strong")).to_have_text(["Bravo 2", "Alpha 1"])
    phone.set_offline(False)
    expect(page.locator("#network")).to_have_text("online")

    # A well new on the route (no lease: the default order would put it first) comes last.
    driver("Alpha 1", "Bravo 2", off_route=True)
    sync(page)
    page.evaluate("location.hash = '#/'")
    expect(page.locator("#route li strong")).to_have_text(["Bravo 2", "Alpha 1", "Off Route 9"])

    # A well taken off the route drops out of the stored order; put back, it comes last.
    driver("Bravo 2", off_route=True, replace=True)
    sync(page)
    page.evaluate("location.hash = '#/'")
    expect(page.locator("#route li strong")).to_have_text(["Bravo 2", "Off Route 9"])
    assert stored_order(page) == [bravo]
    driver("Alpha 1")
    sync(page)
    page.evaluate("location.hash = '#/'")
    expect(page.locator("#route li strong")).to_have_text(["Bravo 2", "Off Route 9", "Alpha 1"])
