"""The portal in a real browser: headless Chromium (Debian's package) driven by Playwright, against
``manage.py runserver`` on the test database, on the tenant's own sub-domain (*.localhost).

Data: the browser tenant of tests/portal/conftest.py (committed demo data set). These tests hold
no database connection of their own: what they check is what the browser shows.
"""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import SCREENSHOT_DIR

pytestmark = pytest.mark.live

NAVIGATION = {
    "ADMIN": ["Dashboard", "Wells", "Leases", "Alerts", "Conflicts", "Team", "Tenant secrets"],
    "MANAGER": ["Dashboard", "Wells", "Leases", "Alerts", "Conflicts"],
    "OPERATOR": ["Dashboard", "Wells", "Leases", "Alerts"],
}


def nav_names(page) -> list[str]:
    return [name.strip() for name in page.locator("header nav a").all_inner_texts()]


@pytest.mark.parametrize("role", ["ADMIN", "MANAGER", "OPERATOR"])
def test_each_role_sees_its_own_navigation_and_is_refused_the_rest(log_in, browser_site, role):
    page = log_in(role)
    shown = nav_names(page)
    assert shown == NAVIGATION[role]
    assert page.locator("header .who").inner_text().startswith(browser_site.handle.users[role])

    for path, heading in (("/team/", "Team"), ("/settings/secrets/", "Tenant secrets")):
        response = page.goto(browser_site.url(path))
        if role == "ADMIN":
            assert response.status == 200
            assert page.locator("h1").inner_text() == heading
        else:
            assert response.status == 403
            assert page.locator("h1").inner_text() == "Not allowed"


def test_an_anonymous_visitor_is_sent_to_the_login_page(page, browser_site):
    page.goto(browser_site.url("/wells/"))
    assert page.url == browser_site.url("/login/?next=/wells/")
    assert page.locator("h1").inner_text().startswith("Log in to Web Test Energy")


def test_the_dashboard_and_a_well_page_with_its_production_chart(log_in, browser_site):
    page = log_in("MANAGER")
    assert page.locator("td[data-status=ACTIVE]").inner_text() == "32"
    oil_week = page.locator("td[data-product=OIL][data-period=week]").inner_text()
    assert re.fullmatch(r"[0-9,]+(\.[0-9]+)? BBL", oil_week) and oil_week != "0 BBL"  # at stored precision
    page.screenshot(path=str(SCREENSHOT_DIR / "pumpjack-dashboard.png"), full_page=True)

    page.click("header nav >> text=Wells")
    assert page.locator("#well-count").inner_text() == "40 wells"
    page.select_option("#id_lease", "Toyah Draw")
    page.click("button:has-text('Filter')")
    assert page.locator("#well-count").inner_text() == "13 wells"

    page.goto(browser_site.url(f"/wells/{browser_site.chart_well_id}/"))
    chart = page.locator("svg#production-chart")
    assert chart.is_visible()
    assert chart.get_attribute("role") == "img"
    assert chart.locator("title#production-chart-title").text_content().startswith("Daily production of")
    products = [line.get_attribute("data-product") for line in chart.locator("polyline.series").all()]
    assert products == ["OIL", "GAS", "WATER"]
    for line in chart.locator("polyline.series").all():
        assert len(line.get_attribute("points").split()) == 90
    assert chart.locator(".legend text").all_text_contents() == ["Oil (BBL/d)", "Gas (MCF/d)", "Water (BBL/d)"]
    assert chart.locator(".y-axis text").count() >= 3 and chart.locator(".x-axis text").count() >= 4
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    assert page.locator("#equipment ~ table tbody tr").count() >= 4
    assert page.locator("#records ~ table tbody tr").count() >= 1
    page.screenshot(path=str(SCREENSHOT_DIR / "pumpjack-well-detail.png"), full_page=True)


def test_an_operator_sees_only_their_route_and_gets_404_off_it(log_in, browser_site):
    page = log_in("OPERATOR")
    page.goto(browser_site.url("/wells/"))
    assert page.locator("h1").inner_text() == "Wells on your route"
    assert page.locator("#well-count").inner_text() == f"{len(browser_site.route_well_ids)} wells"
    links = page.locator("table a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(links) == sorted(f"/wells/{pk}/" for pk in browser_site.route_well_ids)

    response = page.goto(browser_site.url(f"/wells/{browser_site.off_route_well_id}/"))
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    response = page.goto(browser_site.url(f"/wells/{browser_site.route_well_ids[0]}/"))
    assert response.status == 200


def test_an_admin_rotates_a_secret_and_sees_it_only_once(log_in, browser_site):
    page = log_in("ADMIN")
    page.click("header nav >> text=Tenant secrets")
    assert page.locator("[data-secret-label=default]").count() == 1
    page.fill("#rotate-grace_hours", "2")
    page.fill("#rotate-label", "tablet fleet")
    page.click("button:has-text('Rotate secret')")
    # The confirm step (server-side): what will happen, then the same values posted again.
    assert "keeps working for 2 hours" in page.locator("#rotate-consequences").inner_text()
    page.click("button:has-text('Yes, rotate')")

    assert page.url == browser_site.url("/settings/secrets/new/")
    secret = page.locator("#tenant-secret").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert "stops working in 2 hours" in page.content()

    page.reload()
    assert page.locator("#tenant-secret").count() == 0
    assert page.locator("#no-secret").is_visible()
    assert secret not in page.content()

    page.goto(browser_site.url("/settings/secrets/"))
    assert secret not in page.content()
    assert page.locator("[data-secret-label='tablet fleet'] .badge").inner_text() == "active"


def test_the_shown_secret_copies_with_its_button_under_the_csp_and_has_a_qr_code(log_in, browser_site):
    page = log_in("ADMIN")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=browser_site.origin)
    page.goto(browser_site.url("/settings/secrets/"))
    assert page.locator("#rotate-grace_hours").input_value() == "24"  # the default grace period
    page.click("button:has-text('Rotate secret')")
    assert "keeps working for 24 hours" in page.locator("#rotate-consequences").inner_text()
    page.click("button:has-text('Yes, rotate')")
    assert page.url == browser_site.url("/settings/secrets/new/")
    secret = page.locator("#tenant-secret").inner_text()
    button = page.locator("#copy-secret")
    button.wait_for(state="visible")  # shown by the script: it ran under script-src 'self'
    button.click()
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    assert page.locator("#copy-status").inner_text() == "Copied."
    assert page.evaluate("navigator.clipboard.readText()") == secret
    qr = page.locator("#field-qr svg.field-qr")
    assert qr.count() == 1 and qr.bounding_box()["width"] >= 100

    # "Expire now" asks first (from a script file: an inline onsubmit would be blocked by the CSP).
    page.goto(browser_site.url("/settings/secrets/"))
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    active_before = page.locator(".badge.active").count()
    page.locator("form[data-confirm] button:has-text('Expire now')").first.click()
    page.wait_for_function("true")
    assert questions == ["Expire this secret now? Devices using it are refused at once."]
    assert page.url == browser_site.url("/settings/secrets/") and page.locator(".badge.active").count() == active_before
    assert problems == []
