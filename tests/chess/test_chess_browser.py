"""Two real Chromium visitors play a live game (castling, en passant, promotion,
checkmate) while a third watches; every move appears everywhere without a reload."""

from __future__ import annotations

import re

import pytest

from tests.chess.chess_support import FEATURE_GAME

pytestmark = pytest.mark.browser


def visitor(new_page, base: str, name: str):
    page = new_page()
    page.goto(f"{base}/name/")
    page.get_by_label("Display name").fill(name)
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url(f"{base}/")
    return page


def wait_live(page) -> None:
    page.wait_for_selector("#connection[data-state='connected']")


def wait_plies(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#move-list .mv').length === n", arg=count
    )


def play(page, uci: str, *, drag: bool = False) -> None:
    source = page.locator(f"#board [data-sq='{uci[:2]}']")
    target = page.locator(f"#board [data-sq='{uci[2:4]}']")
    if drag:
        source.drag_to(target)
    else:
        source.click()
        target.click()
    if len(uci) == 5:
        page.locator(f"#promotion [data-promo='{uci[4]}']").click()


def test_two_browsers_play_a_full_game_live(daphne_server, new_page):
    base = daphne_server.url
    ann = visitor(new_page, base, "Ann Board")
    ann.goto(f"{base}/chess/")
    ann.get_by_label("White").check()
    ann.get_by_role("button", name="Create game").click()
    ann.wait_for_url(re.compile(r"/chess/[a-z0-9]+/$"))
    game_url = ann.url
    wait_live(ann)
    assert "Waiting for an opponent" in ann.locator("#status-line").inner_text()

    bob = visitor(new_page, base, "Bob Board")
    bob.goto(game_url)
    bob.get_by_role("button", name="Join as Black").click()
    bob.wait_for_selector("text=You play Black.")
    wait_live(bob)
    # Ann's page learns about the opponent without a reload.
    ann.wait_for_function(
        "() => document.getElementById('name-b').textContent === 'Bob Board'"
    )
    ann.wait_for_selector("#online-b[data-online='true']")
    assert bob.locator("#board").get_attribute("class").endswith("flipped")

    cy = new_page()
    cy.goto(game_url)
    wait_live(cy)
    ann.wait_for_function(
        "() => document.getElementById('spectators').textContent === '1'"
    )

    # Legal-move dots come from the server's list.
    ann.locator("#board [data-sq='e2']").click()
    assert ann.locator("#board .sq.target").count() == 2
    ann.locator("#board [data-sq='e2']").click()  # put it back

    for ply, uci in enumerate(FEATURE_GAME):
        mover = ann if ply % 2 == 0 else bob
        play(mover, uci, drag=uci == "g1f3")
        for page in (ann, bob, cy):
            wait_plies(page, ply + 1)

    for page in (ann, bob, cy):
        page.wait_for_function(
            "() => document.getElementById('status-line')"
            ".textContent.includes('Checkmate')"
        )
        moves = page.locator("#move-list").inner_text()
        assert "exd6" in moves and "cxb8=Q" in moves and "O-O" in moves
        assert "Bxf7#" in moves
    assert "White wins" in bob.locator("#status-line").inner_text()
    assert ann.locator("#board .sq.check").count() == 1
    assert ann.locator("#fen").input_value().startswith("1rbqkbnr/")
    # The finished game can be stepped through from the move list.
    cy.locator("#move-list .mv", has_text="exd6").click()
    assert cy.locator("#history-nav").is_visible()
    assert cy.locator("#board [data-sq='d6'] .pc-w").count() == 1
    assert cy.locator("#board [data-sq='d5'] .pc").count() == 0
    cy.get_by_role("button", name="Back to the game").click()
    assert cy.locator("#board [data-sq='f7'] .pc-w").count() == 1


def status_shows(page, text: str) -> None:
    page.wait_for_function(
        "t => document.getElementById('status-line').textContent.includes(t)", arg=text
    )


def test_draw_by_agreement_then_rematch_then_resignation(daphne_server, new_page):
    base = daphne_server.url
    lobby = new_page()
    lobby.goto(f"{base}/chess/")
    wait_live(lobby)
    ann = visitor(new_page, base, "Ann Draw")
    ann.goto(f"{base}/chess/")
    ann.get_by_label("White").check()
    ann.get_by_role("button", name="Create game").click()
    ann.wait_for_url(re.compile(r"/chess/[a-z0-9]+/$"))
    first_game = ann.url
    # The lobby lists the new game without a reload.
    lobby.get_by_role("link", name="Ann Draw (white)").wait_for()
    bob = visitor(new_page, base, "Bob Draw")
    bob.goto(first_game)
    bob.get_by_role("button", name="Join as Black").click()
    bob.wait_for_selector("text=You play Black.")
    wait_live(ann)
    wait_live(bob)
    ann.wait_for_function(
        "() => document.getElementById('name-b').textContent === 'Bob Draw'"
    )

    play(ann, "e2e4")
    wait_plies(bob, 1)
    bob.get_by_role("button", name="Offer draw").click()
    status_shows(ann, "Your opponent offers a draw.")
    ann.get_by_role("button", name="Accept draw").click()
    for page in (ann, bob):
        status_shows(page, "Draw by agreement")

    ann.get_by_role("button", name="Rematch").click()
    bob.get_by_role("button", name="Accept rematch").click()
    for page in (ann, bob):
        page.wait_for_url(lambda url: url != first_game and "/chess/" in url)
        wait_live(page)
    assert "You play White." in bob.content()
    bob.get_by_role("button", name="Resign").click()
    bob.get_by_role("button", name="Really resign?").click()
    for page in (ann, bob):
        status_shows(page, "White resigned. Black wins")


def test_timed_game_clocks_count_down_and_flag(daphne_server, new_page):
    """A 1+0 game: the clocks show and run; a clock that reaches zero ends the game
    on time on both screens (the page claims the flag, the server decides)."""
    import sqlite3
    from datetime import UTC, datetime

    base = daphne_server.url
    ann = visitor(new_page, base, "Ann Clock")
    ann.goto(f"{base}/chess/")
    ann.get_by_label("White").check()
    ann.get_by_label("1+0").check()
    ann.get_by_role("button", name="Create game").click()
    ann.wait_for_url(re.compile(r"/chess/[a-z0-9]+/$"))
    game_id = ann.url.rstrip("/").rsplit("/", 1)[-1]
    assert ann.locator("#clock-w").inner_text() == "1:00"
    bob = visitor(new_page, base, "Bob Clock")
    bob.goto(ann.url)
    bob.get_by_role("button", name="Join as Black").click()
    bob.wait_for_selector("text=You play Black.")
    wait_live(ann)
    wait_live(bob)
    ann.wait_for_function("() => document.getElementById('name-b').textContent !== ''")
    play(ann, "e2e4")
    wait_plies(bob, 1)
    play(bob, "e7e5")
    wait_plies(ann, 2)
    # White's clock runs now (both sides have moved) and counts down on its own.
    ann.wait_for_selector("#clock-w[data-running='true']")
    ann.wait_for_function(
        "() => document.getElementById('clock-w').textContent === '0:58'"
    )
    assert bob.locator("#clock-b").inner_text() == "1:00"

    # Leave White two seconds (in the live server's database) and reload: the
    # countdown reaches zero and the game ends on time everywhere.
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(daphne_server.env["PARLOUR_SQLITE_PATH"]) as db:
        db.execute(
            "UPDATE chess_game SET white_ms = 2000, clock_at = ? WHERE public_id = ?",
            (now, game_id),
        )
    ann.reload()
    wait_live(ann)
    for page in (ann, bob):
        status_shows(page, "White ran out of time. Black wins")
    assert ann.locator("#clock-w").inner_text() == "0.0"
