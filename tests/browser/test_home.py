"""A real Chromium opens the home page and picks a display name."""

import pytest

pytestmark = pytest.mark.browser


def test_home_page_and_pick_a_name(daphne_server, new_page):
    page = new_page()
    page.goto(daphne_server.url + "/")
    assert page.title().startswith("Welcome")
    page.get_by_role("link", name="Pick a display name").click()
    page.get_by_label("Display name").fill("Browser Bea")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url(daphne_server.url + "/")
    assert page.get_by_text("Welcome, Browser Bea.").is_visible()
    assert page.locator(".who").inner_text() == "Browser Bea"


def test_name_errors_are_shown_in_the_form(daphne_server, new_page):
    page = new_page()
    page.goto(daphne_server.url + "/name/")
    page.get_by_label("Display name").fill("<b>bad</b>")
    page.get_by_role("button", name="Save name").click()
    assert page.get_by_role("alert").inner_text().startswith("Use only letters")
    assert page.url.endswith("/name/")
