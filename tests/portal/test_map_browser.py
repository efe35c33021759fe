"""The dashboard map and the chart's tooltip in headless Chromium.

A second test server runs with a tile server configured (PORTAL_MAP_TILE_URL) whose requests the
browser aborts (Playwright route abort: every request off the site's origin fails, as offline):
the wells' markers must still be drawn, one per well with coordinates, coloured as the page's
data says; a marker's popup links to its well's page; nothing is wider than 390 px. The chart's
day figures show on hover, on a tap and from the keyboard."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import PASSWORD
from tests.portal.conftest import serve

pytestmark = pytest.mark.live
TILE_HOST = "tiles.pumpjack-offline.example"
TILE_URL = f"https://{{s}}.{TILE_HOST}/{{z}}/{{x}}/{{y}}.png"

# The marker whose centre is not covered by another one (a click there reaches it).
UNCOVERED_MARKER = """() => {
  for (const path of document.querySelectorAll('#well-map path.well-marker')) {
    const box = path.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    if (hit === path) return path.getAttribute('data-well');
  }
  return null;
}"""


@pytest.fixture(scope="module")
def tiled_origin(browser_site, live_env):
    """The browser tenant served by a second server that has a tile server configured."""
    env = {**live_env.env, "PORTAL_MAP_TILE_URL": TILE_URL, "PORTAL_MAP_TILE_ATTRIBUTION": "Test tiles"}
    with serve(env) as port:
        yield f"http://{browser_site.handle.host}:{port}"


@pytest.fixture
def offline_page(browser, browser_site):
    """``offline_page(origin, width, role, touch=False)``: logged in; every request off ``origin`` aborted."""
    contexts = []

    def _open(origin: str, width: int, role: str, touch: bool = False):
        context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=touch)
        context.set_default_timeout(15_000)
        contexts.append(context)
        blocked: list[str] = []

        def route(request_route):
            if request_route.request.url.startswith(origin + "/"):
                request_route.continue_()
            else:
                blocked.append(request_route.request.url)
                request_route.abort("internetdisconnected")

        context.route("**/*", route)
        page = context.new_page()
        page.blocked = blocked
        page.goto(origin + "/login/")
        page.fill("#email", browser_site.handle.users[role])
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Log in')")
        assert page.url == origin + "/", page.url
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.mark.parametrize(("role", "width"), [("MANAGER", 1366), ("OPERATOR", 390)])
def test_markers_are_drawn_with_the_tiles_blocked_and_link_to_their_well(offline_page, tiled_origin, role, width):
    page = offline_page(tiled_origin, width, role)
    with page.expect_event("requestfailed", lambda r: TILE_HOST in r.url):
        page.reload()
    page.wait_for_selector("#well-map[data-ready=true]")
    assert any(TILE_HOST in url for url in page.blocked)  # the tiles were asked for, and failed

    data = json.loads(page.locator("#well-map-data").text_content())
    assert len(data["markers"]) == (40 if role == "MANAGER" else 12)  # the demo set: every well placed
    drawn = page.locator("#well-map path.well-marker")
    assert drawn.count() == len(data["markers"])
    for colour in {m["colour"] for m in data["markers"]}:
        expected = sum(1 for m in data["markers"] if m["colour"] == colour)
        assert page.locator(f"#well-map path.well-marker-{colour}").count() == expected, colour
    # Every marker is inside the map's box (fitted to the wells), and painted in its colour.
    box = page.locator("#well-map").bounding_box()
    first = data["markers"][0]
    marker = page.locator(f'#well-map path[data-well="{first["id"]}"]')
    assert marker.get_attribute("fill") == data["colours"][first["colour"]]
    for path_box in (drawn.nth(i).bounding_box() for i in range(drawn.count())):
        assert box["x"] <= path_box["x"] and path_box["x"] + path_box["width"] <= box["x"] + box["width"] + 1

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert box["x"] + box["width"] <= width

    page.locator("#well-map").scroll_into_view_if_needed()  # elementFromPoint sees the viewport only
    well_id = page.evaluate(UNCOVERED_MARKER)
    assert well_id, "every marker is covered by another"
    page.locator(f'#well-map path[data-well="{well_id}"]').click()
    link = page.locator(f'.leaflet-popup a[data-well-link="{well_id}"]')
    link.wait_for()
    # The popup pans the map into view: click once that animation is over.
    page.wait_for_function("() => !document.querySelector('#well-map .leaflet-map-pane')"
                           ".classList.contains('leaflet-pan-anim')")
    link.click()
    page.wait_for_url(f"{tiled_origin}/wells/{well_id}/", wait_until="domcontentloaded")
    assert page.url == f"{tiled_origin}/wells/{well_id}/"
    assert page.locator("h1").inner_text().startswith(next(m["name"] for m in data["markers"] if m["id"] == well_id))


def _tip(page) -> str:
    tip = page.locator("#production-chart-tip")
    tip.wait_for(state="visible")
    return tip.inner_text()


def test_the_chart_shows_a_day_s_figures_on_hover_tap_and_keys(offline_page, browser_site, tiled_origin):
    url = f"{tiled_origin}/wells/{browser_site.chart_well_id}/"
    page = offline_page(tiled_origin, 1366, "MANAGER")
    page.goto(url)
    assert page.locator("#production-chart-tip").is_hidden()
    days = page.locator("#production-chart rect.day")
    assert days.count() == 90
    target = days.nth(60)
    target.hover()
    expected = target.get_attribute("data-label")
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}: oil [\d,.]+ BBL, gas [\d,.]+ MCF, water [\d,.]+ BBL", expected)
    assert _tip(page) == expected
    tip_box = page.locator("#production-chart-tip").bounding_box()
    target_box = target.bounding_box()
    assert abs((tip_box["x"] + tip_box["width"] / 2) - (target_box["x"] + target_box["width"] / 2)) < 2
    assert page.locator("#production-chart g.day-marker").get_attribute("display") is None

    # Keyboard: focus the chart, step a day back with the left arrow.
    page.focus("#production-chart")
    page.keyboard.press("ArrowLeft")
    assert _tip(page) == days.nth(59).get_attribute("data-label")
    page.keyboard.press("End")
    assert _tip(page) == days.nth(89).get_attribute("data-label")

    # A tap at 390 px (the chart scrolls inside its card), and the page stays 390 px wide.
    phone = offline_page(tiled_origin, 390, "MANAGER", touch=True)
    phone.goto(url)
    phone.locator("#production-chart rect.day").nth(10).tap()
    assert _tip(phone) == phone.locator("#production-chart rect.day").nth(10).get_attribute("data-label")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    label_px = phone.evaluate("parseFloat(getComputedStyle(document.getElementById('production-chart-tip')).fontSize)")
    assert label_px >= 11
