"""Every portal page at a desktop width (1366 px) and a phone's (390 px), in headless Chromium:
no page's content may be wider than the viewport (tables stack or scroll inside their card), the
header's log-out stays on screen, and the production chart's labels are drawn at 11 px or more.
Screenshots of the dashboard and the wells list at 390 px go to /tmp/screens/.

Alerts are evaluated for the browser tenant (committed) before the browser starts, so the
dashboard and the alerts page have rows to lay out."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from tests.factories import PASSWORD

pytestmark = pytest.mark.live
SCREENS = Path("/tmp/screens")
WIDTHS = (1366, 390)
PAGES = {
    "ADMIN": ["/", "/wells/", "WELL", "/leases/", "LEASE", "/leases/form-pr/", "/alerts/", "/alerts/rules/", "/conflicts/",
              "/conflicts/?tab=auto", "/conflicts/?tab=history", "/team/", "/settings/secrets/"],
    "MANAGER": ["/", "/wells/", "WELL", "LEASE", "/leases/form-pr/", "/alerts/", "/alerts/rules/", "/conflicts/"],
    "OPERATOR": ["/", "/wells/", "WELL", "/leases/", "/alerts/"],
}
OVERFLOW = """() => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll('main *, header *')].filter(e => e.getBoundingClientRect().right
      > root.clientWidth + 1 && !e.closest('.card, .stack, .chart-scroll')).slice(0, 5)
      .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
  return {scroll: root.scrollWidth, client: root.clientWidth, wide};
}"""
# A label's drawn size: its font size times the scale the SVG is drawn at (rotation-proof).
SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('svg#production-chart text')].map(t => {
  const m = t.getScreenCTM();
  return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
}))"""


@pytest.fixture(scope="module")
def alerted_site(browser_site, django_db_blocker):
    """Alerts evaluated in the browser tenant (every rule, every well), committed; a lease id."""
    from wells.alerts.evaluation import alerts_evaluate
    from wells.models import Lease

    with django_db_blocker.unblock(), schema_context(browser_site.handle.tenant.schema_name):
        opened = alerts_evaluate(send=False).opened
        lease_id = str(Lease.objects.values_list("pk", flat=True).first() or "")
    return browser_site, len(opened), lease_id


@pytest.fixture
def sized_page(alerted_site, browser):
    contexts = []

    def _open(width: int, role: str):
        site = alerted_site[0]
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(site.url("/login/"))
        page.fill("#email", site.handle.users[role])
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Log in')")
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["ADMIN", "MANAGER", "OPERATOR"])
def test_no_page_is_wider_than_the_viewport(sized_page, alerted_site, role, width):
    site, _, lease_id = alerted_site
    page = sized_page(width, role)
    too_wide = []
    for path in PAGES[role]:
        path = {"WELL": f"/wells/{site.chart_well_id}/", "LEASE": f"/leases/{lease_id}/"}.get(path, path)
        if path == "/leases//":
            continue
        response = page.goto(site.url(path))
        assert response.status == 200, (path, response.status)
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["client"] or found["wide"]:
            too_wide.append((path, found))
        logout = page.locator("header button:has-text('Log out')").bounding_box()
        assert logout is not None and logout["x"] >= 0 and logout["x"] + logout["width"] <= width, (path, logout)
    assert too_wide == [], f"pages wider than {width} px: {too_wide}"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_chart_labels_are_at_least_11_px(sized_page, alerted_site, width):
    site = alerted_site[0]
    page = sized_page(width, "MANAGER")
    page.goto(site.url(f"/wells/{site.chart_well_id}/"))
    assert round(page.evaluate(SMALLEST_CHART_TEXT), 1) >= 11


def test_screenshots_at_390_px_and_open_alerts_first(sized_page, alerted_site):
    site, opened, _ = alerted_site
    SCREENS.mkdir(parents=True, exist_ok=True)
    page = sized_page(390, "MANAGER")
    assert page.locator("[data-figure=open-alerts]").inner_text() == str(opened)
    top_of_alerts = page.locator("#open-alerts-card").bounding_box()["y"]
    assert top_of_alerts < page.locator("#wells-by-status").bounding_box()["y"]
    page.screenshot(path=str(SCREENS / "dashboard-390.png"), full_page=True)
    page.goto(site.url("/wells/"))
    assert page.locator("#well-count").inner_text() == "40 wells"
    first_row = page.locator("table.stack-table tbody tr").first.bounding_box()
    assert first_row["width"] <= 390
    page.screenshot(path=str(SCREENS / "wells-390.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_before_login_fit_the_viewport(alerted_site, browser, width):
    """The login page with its "Forgot password?" link, the reset request and an unusable link's page."""
    site = alerted_site[0]
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        too_wide = []
        for path, status in (("/login/", 200), ("/password/forgot/", 200), ("/invitation/not-a-token/", 404),
                             ("/password/reset/not-a-token/", 404)):
            response = page.goto(site.url(path))
            assert response.status == status, (path, response.status)
            found = page.evaluate(OVERFLOW)
            if found["scroll"] > found["client"] or found["wide"]:
                too_wide.append((path, found))
        assert too_wide == [], f"pages wider than {width} px: {too_wide}"
        page.goto(site.url("/login/"))
        page.click("#forgot-password")
        assert page.url == site.url("/password/forgot/")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["MANAGER", "OPERATOR"])
def test_the_dashboard_map_fits_and_draws_its_markers_with_no_tiles(sized_page, alerted_site, role, width):
    """No tile server is configured for this server: the markers are drawn on a plain background,
    the map stays inside the viewport, and the alerted wells are the red ones."""
    page = sized_page(width, role)
    page.wait_for_selector("#well-map[data-ready=true]")
    assert page.locator("#well-map .leaflet-tile").count() == 0
    expected = int(page.locator("#well-map").get_attribute("data-marker-count"))
    assert expected == (40 if role == "MANAGER" else 12)
    assert page.locator("#well-map path.well-marker").count() == expected
    legend_alert = page.locator("[data-legend=alert]").inner_text()
    assert legend_alert.endswith(f"({page.locator('#well-map path.well-marker-alert').count()})")
    box = page.locator("#well-map").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 250
    assert page.evaluate("document.documentElement.scrollWidth") <= width
