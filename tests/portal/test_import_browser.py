"""The CSV upload page in headless Chromium at a phone's width (390 px): from the wells list to
the upload form, a preview with a create and an update (long values included) and a file with
errors, none of them wider than the viewport (screenshots in /tmp/screens/). Nothing is applied: the browser tenant is shared
by the other browser tests (the Django-client tests in test_import_pages.py apply imports)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.factories import PASSWORD
from tests.portal.test_browser_widths import OVERFLOW, SCREENS

pytestmark = pytest.mark.live
WIDTH = 390


@pytest.fixture(scope="module")
def known_well(browser_site, django_db_blocker):
    """An existing well of the browser tenant (read before the browser starts)."""
    from wells.models import Well

    with django_db_blocker.unblock(), schema_context(browser_site.handle.tenant.schema_name):
        well = Well.objects.filter(deleted_at__isnull=True).order_by("api_number").first()
        return well.api_number, well.name


@pytest.fixture
def phone(known_well, browser, browser_site):
    context = browser.new_context(viewport={"width": WIDTH, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(browser_site.url("/login/"))
    page.fill("#email", browser_site.handle.users["MANAGER"])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Log in')")
    try:
        yield page
    finally:
        context.close()


def assert_fits(page) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["client"] and not found["wide"], found


def choose_file(page, text: str) -> None:
    page.select_option("#id_kind", "wells")
    page.set_input_files("#id_file", files=[{"name": "wells.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    with page.expect_navigation():
        page.click("#preview-import")


def test_the_upload_page_previews_and_lists_errors_within_390_px(phone, browser_site, known_well):
    api_number, name = known_well
    phone.goto(browser_site.url("/wells/"))
    with phone.expect_navigation():
        phone.click("#import-link")
    assert phone.url == browser_site.url("/imports/")
    assert_fits(phone)

    long_name = "Westbrook Operating Partners Consolidated Unit " * 3
    choose_file(phone, f"apiNumber,name,field\n{api_number},{name} renamed,{long_name}\n"
                       f"42-317-99991-00-00,{long_name.strip()},Spraberry Trend Area\n")
    assert phone.locator("#count-create").inner_text() == "1"
    assert phone.locator("#count-update").inner_text() == "1"
    assert phone.locator("#preview-update").inner_text().count("renamed") == 1
    assert phone.locator("#confirm-import").is_visible()
    assert_fits(phone)
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENS / "import-preview-390.png"), full_page=True)

    choose_file(phone, "apiNumber,name,state,colourOfTheDerrickAsPaintedInTheYard\n42-000,,ZZ,red\n")
    assert phone.locator("#import-errors").is_visible()
    assert phone.locator("#confirm-import").count() == 0
    assert_fits(phone)
    choose_file(phone, f"apiNumber,name,state\n42-000,,ZZ\n{api_number},{long_name},QQ\n")
    assert "2 rows have errors" in phone.locator("#import-errors").inner_text()
    assert_fits(phone)
    phone.screenshot(path=str(SCREENS / "import-errors-390.png"), full_page=True)
