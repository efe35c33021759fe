"""The Form PR page and the lease page's month close in a real browser (headless Chromium): the
demo tenant's last full month, at a phone's width (390 px) and printed. Screenshots go to the temp
directory (pumpjack-form-pr-390.png, pumpjack-month-close-390.png)."""

from __future__ import annotations

import pytest

from tests.portal.conftest import SCREENSHOT_DIR

pytestmark = pytest.mark.live

FITS = """() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"""


def test_a_manager_reaches_the_form_pr_from_the_leases_page_and_it_fits_390_px(log_in, page):
    page.set_viewport_size({"width": 390, "height": 900})
    log_in("MANAGER")
    page.click("header nav >> text=Leases")
    page.click("#form-pr-link")
    assert page.locator("h1").inner_text().startswith("Texas RRC Form PR: ")
    leases = page.locator("section.pr-lease")
    assert leases.count() == 3 and page.locator("#problems").count() == 0  # the demo month closes cleanly
    tarzan = page.locator('section.pr-lease[data-lease="Tarzan Unit"]')
    beginning = int(tarzan.locator('[data-item="beginning"]').inner_text())
    production = int(tarzan.locator('[data-item="production"]').inner_text())
    trucked = int(tarzan.locator('[data-code="1"]').inner_text())
    assert beginning + production - trucked == int(tarzan.locator('[data-item="ending"]').inner_text())
    assert int(tarzan.locator('[data-item="gas-production"]').inner_text()) == sum(
        int(tarzan.locator(f'[data-gas-code="{code}"]').inner_text()) for code in ("1", "3", "10"))
    fits = page.evaluate(FITS)
    assert fits["scroll"] <= fits["client"], fits
    assert tarzan.bounding_box()["width"] <= 390
    page.screenshot(path=str(SCREENSHOT_DIR / "pumpjack-form-pr-390.png"), full_page=True)

    page.emulate_media(media="print")
    assert not page.locator("header").is_visible() and not page.locator(".pr-actions").is_visible()
    assert tarzan.is_visible()


def test_the_lease_page_shows_the_month_close_to_a_manager_at_390_px(log_in, page):
    page.set_viewport_size({"width": 390, "height": 900})
    log_in("MANAGER")
    page.click("header nav >> text=Leases")
    page.click("text=Toyah Draw")
    assert page.locator("#month-close-title").inner_text().startswith("Month close: ")
    assert page.locator("#month-close-ok").is_visible()
    assert page.locator("#disposition-form select option[value='GAS:10']").count() == 1
    fits = page.evaluate(FITS)
    assert fits["scroll"] <= fits["client"], fits
    page.locator("#month-close").screenshot(path=str(SCREENSHOT_DIR / "pumpjack-month-close-390.png"))


def test_an_operator_has_no_form_pr(log_in, page, browser_site):
    log_in("OPERATOR")
    page.click("header nav >> text=Leases")
    assert page.locator("#form-pr-link").count() == 0
    response = page.goto(browser_site.url("/leases/form-pr/"))
    assert response.status == 403
