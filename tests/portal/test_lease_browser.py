"""The lease pages in a real browser (headless Chromium, as tests/portal/test_browser.py): the
demo leases with their wells, tanks and each tank's current level in barrels and percent."""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import SCREENSHOT_DIR

pytestmark = pytest.mark.live


def test_a_manager_sees_every_lease_and_a_lease_page_with_its_tank_levels(log_in, browser_site):
    page = log_in("MANAGER")
    page.click("header nav >> text=Leases")
    assert page.locator("h1").inner_text() == "Leases"
    assert page.locator("#lease-count").inner_text() == "3 leases"
    page.click("text=Toyah Draw")
    assert page.locator("h1").inner_text() == "Toyah Draw"
    tanks = page.locator("#tank-levels tbody tr")
    assert tanks.count() == 13  # 12 oil tanks and a water tank
    for row in range(tanks.count()):
        barrels = tanks.nth(row).locator("td.barrels").inner_text()
        percent = tanks.nth(row).locator("td.percent").inner_text()
        assert re.fullmatch(r"[0-9]{1,2} ft [0-9]{1,2}(-[13]/[24])? in", tanks.nth(row).locator("td.level").inner_text())
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", barrels), barrels
        assert re.fullmatch(r"[0-9]+\.[0-9] %", percent), percent
        assert 0 < float(barrels) <= 402 and 0 < float(percent[:-2]) <= 100.5
    assert page.locator("#lease-wells tbody tr").count() == 13
    page.screenshot(path=str(SCREENSHOT_DIR / "pumpjack-lease.png"), full_page=True)


def test_an_operator_sees_only_the_lease_of_their_route(log_in, browser_site):
    page = log_in("OPERATOR")
    page.click("header nav >> text=Leases")
    assert page.locator("#lease-count").inner_text() == "1 lease with a well on your route"
    page.click("text=Tarzan Unit")
    assert page.locator("#lease-wells tbody tr").count() == len(browser_site.route_well_ids)
    assert page.locator("#tank-levels tbody tr").count() == 6
    assert page.locator('#tank-levels tr[data-tank="Oil 01"] td.percent').inner_text().endswith(" %")
