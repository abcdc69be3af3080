"""A real Chromium at the table: chips, clicks on the layout, spin, rebet, double."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def number(page, testid: str) -> int:
    return int(page.get_by_test_id(testid).inner_text())


def click(page, name: str) -> None:
    """Click a spot or button by its accessible name and wait for the PRG reload."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_place_bets_by_clicking_the_layout_then_spin_rebet_and_double(
    daphne_server, new_page
):
    page = new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{daphne_server.url}/roulette/")
    assert number(page, "bankroll") == 1000

    # Chip 5 is selected by default; inside bets on a number, a line and a crossing.
    click(page, "Straight 17, pays 35 to 1")
    click(page, "Split 17/20, pays 17 to 1")
    click(page, "Corner 13/14/16/17, pays 8 to 1")
    click(page, "Street 31/32/33, pays 11 to 1")
    # A bigger chip for the outside bets.
    with page.expect_navigation():
        page.locator("label.rl-chip span", has_text=re.compile(r"^25$")).click()
        page.get_by_role("button", name="Red, pays 1 to 1", exact=True).click()
    click(page, "Dozen 2 (13-24), pays 2 to 1")
    # The second click on 17 stacks a chip of 25 on it.
    click(page, "Straight 17, pays 35 to 1, 5 chips on it")

    rows = page.get_by_test_id("open-bets").locator("tbody tr")
    assert rows.count() == 6
    staked = 5 * 4 + 25 * 3
    assert number(page, "on-table") == staked
    assert number(page, "bankroll") == 1000 - staked
    assert (
        "30"
        in page.get_by_role("button", name=re.compile("^Straight 17,")).inner_text()
    )

    click(page, "Spin")
    pocket = page.get_by_test_id("winning-pocket").inner_text()
    assert re.fullmatch(r"00|[0-9]|[12][0-9]|3[0-6]", pocket)
    net = int(
        page.get_by_test_id("spin-net").inner_text().split()[-1].replace("\u2212", "-")
    )
    assert number(page, "bankroll") == 1000 + net
    assert number(page, "on-table") == 0
    assert page.locator(".rl-result tbody tr").count() == 6
    assert page.locator(".flash li").first.inner_text().startswith("The ball lands on")

    click(page, "Rebet")
    assert number(page, "on-table") == staked
    click(page, "Double")
    assert number(page, "on-table") == 2 * staked
    assert number(page, "bankroll") == 1000 + net - 2 * staked
    click(page, "Undo last")
    assert number(page, "on-table") == staked
    assert errors == []


def test_keyboard_and_scroll_position(daphne_server, new_page):
    page = new_page(viewport={"width": 360, "height": 640})
    page.goto(f"{daphne_server.url}/roulette/")
    # Arrow keys walk the numbers (JavaScript enhancement); Enter places the chip.
    page.get_by_role("button", name="Straight 17, pays 35 to 1", exact=True).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Straight 21, pays 35 to 1"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert number(page, "on-table") == 5
    # The page comes back where it was after the round trip.
    column = page.get_by_role("button", name="Column 3, pays 2 to 1", exact=True)
    column.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    assert before > 0
    with page.expect_navigation():
        column.click()
    page.wait_for_function("() => window.scrollY > 0")
    assert abs(page.evaluate("window.scrollY") - before) < 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
