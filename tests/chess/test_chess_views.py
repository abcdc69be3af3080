"""Chess pages: lobby and create (PRG), game page, join, no-JS commands, PGN, JSON."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from chess import services
from chess.models import Game, Status
from site_config.visitors.identity import SESSION_NAME_KEY
from tests.chess.chess_support import FOOLS_MATE, play, seat_game
from tests.visitor_support import client_visitor_id

pytestmark = pytest.mark.django_db


def named_client(name: str) -> Client:
    client = Client()
    client.get("/")
    session = client.session
    session[SESSION_NAME_KEY] = name
    session.save()
    return client


def key(client: Client) -> str:
    return client_visitor_id(client)


def test_lobby_lists_games_and_offers_the_form():
    services.game_create(visitor_id="x", name="Opal", colour="white")
    response = named_client("Ann").get(reverse("chess:lobby"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Opal (white)" in html and 'name="colour"' in html
    assert "/ws/chess/lobby/" in html or "chess/lobby.js" in html


def test_lobby_asks_for_a_name_before_creating():
    client = Client()
    html = client.get(reverse("chess:lobby")).content.decode()
    assert "Pick a display name" in html
    response = client.post(reverse("chess:lobby"), {"colour": "white"})
    assert response.status_code == 302 and response.url.startswith("/name/")
    assert not Game.objects.exists()


def test_create_redirects_to_the_new_game():
    client = named_client("Ann")
    response = client.post(reverse("chess:lobby"), {"colour": "black"})
    game = Game.objects.get()
    assert response.status_code == 302 and response.url == game.get_absolute_url()
    assert game.black_visitor == key(client) and game.black_name == "Ann"


def test_create_with_a_bad_colour_rerenders_the_form():
    response = named_client("Ann").post(reverse("chess:lobby"), {"colour": "green"})
    assert response.status_code == 200 and not Game.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def test_game_page_renders_the_board_as_buttons_and_the_config():
    client = named_client("Ann")
    client.post(reverse("chess:lobby"), {"colour": "black"})
    game = Game.objects.get()
    html = client.get(game.get_absolute_url()).content.decode()
    assert html.count('class="sq ') == 64
    assert 'aria-label="e1, white king"' in html
    assert '<button type="button" class="sq dark" data-sq="a1"' in html
    assert '<button type="button" class="sq light" data-sq="h1"' in html
    assert "board flipped" in html  # Black sees the board from its side
    assert 'id="chess-config"' in html and "You play Black." in html
    assert "Join as" not in html


def test_visitor_sees_join_and_joining_starts_the_game():
    services.game_create(visitor_id="x", name="Opal", colour="white")
    game = Game.objects.get()
    bob = named_client("Bob")
    assert "Join as Black" in bob.get(game.get_absolute_url()).content.decode()
    response = bob.post(reverse("chess:join", args=[game.public_id]))
    assert response.status_code == 302
    game.refresh_from_db()
    assert game.status == Status.ACTIVE and game.black_visitor == key(bob)
    carl = named_client("Carl")
    carl.post(reverse("chess:join", args=[game.public_id]))
    game.refresh_from_db()
    assert game.black_name == "Bob"


def test_join_without_a_name_asks_for_one():
    game = services.game_create(visitor_id="x", name="Opal", colour="white")
    response = Client().post(reverse("chess:join", args=[game.public_id]))
    assert response.status_code == 302 and response.url.startswith("/name/")


def test_join_without_a_name_comes_back_to_the_game_after_picking_one():
    game = services.game_create(visitor_id="x", name="Opal", colour="white")
    client = Client()
    response = client.post(reverse("chess:join", args=[game.public_id]))
    query = parse_qs(urlsplit(response.url).query)
    assert query["next"] == [reverse("chess:join", args=[game.public_id])]
    # The name form sends the visitor there with a GET: it leads to the game page
    # (and its Join button) without taking the seat.
    back = named_client("Ann").get(query["next"][0])
    assert back.status_code == 302 and back.url == game.get_absolute_url()
    game.refresh_from_db()
    assert game.black_visitor == ""


def test_lobby_post_without_a_name_comes_back_to_the_lobby():
    response = Client().post(reverse("chess:lobby"), {"colour": "white"})
    query = parse_qs(urlsplit(response.url).query)
    assert query["next"] == [reverse("chess:lobby")]


def test_unknown_game_is_404():
    assert Client().get("/chess/nosuchgame/").status_code == 404


def test_no_js_move_and_resign_commands():
    ann, bob = named_client("Ann"), named_client("Bob")
    table = seat_game(key(ann), key(bob))
    url = reverse("chess:command", args=[table.game_id])
    ann.post(url, {"command": "move", "uci": "e2e4", "ply": 0})
    follow = bob.post(url, {"command": "move", "uci": "e7e4", "ply": 1}, follow=True)
    assert "Illegal move" in follow.content.decode()
    bob.post(url, {"command": "move", "uci": "bad", "ply": 1})
    game = Game.objects.get(public_id=table.game_id)
    assert game.moves_uci == "e2e4"
    bob.post(url, {"command": "resign"})
    game.refresh_from_db()
    assert game.result == "1-0" and game.termination == "resignation"


def test_command_from_a_spectator_changes_nothing():
    table = seat_game("w", "b")
    client = named_client("Eve")
    url = reverse("chess:command", args=[table.game_id])
    page = client.post(url, {"command": "resign"}, follow=True).content.decode()
    assert "you are watching" in page
    assert Game.objects.get(public_id=table.game_id).status == Status.ACTIVE


def test_pgn_download():
    table = seat_game("w", "b")
    play(table, FOOLS_MATE)
    response = Client().get(reverse("chess:pgn", args=[table.game_id]))
    assert response["Content-Type"].startswith("application/x-chess-pgn")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert '[Result "0-1"]' in text and "2. g4 Qh4# 0-1" in text
    assert '[White "Ann"]' in text


def test_state_json_matches_the_socket_payload():
    table = seat_game("w", "b")
    play(table, ["e2e4"])
    data = Client().get(reverse("chess:state", args=[table.game_id])).json()
    assert data["type"] == "state" and data["moves"] == ["e2e4"]
    assert data["version"] == 3 and data["you"] is None


def test_home_page_shows_chess_figures():
    services.game_create(visitor_id="x", name="Opal", colour="white")
    html = Client().get("/").content.decode()
    assert "1 open game, 0 in progress" in html


def test_every_state_says_which_controls_each_seat_sees():
    """The live page shows exactly what the server rendered (no rules in JS)."""
    table = seat_game("white-key", "black-key")
    state = services.game_state(game_id=table.game_id)
    assert state["controls"] == {
        "w": ["resign", "draw_offer", "abort"],
        "b": ["resign", "draw_offer", "abort"],
    }
    play(table, ["e2e4", "e7e5"])
    change = services.draw_offer(game_id=table.game_id, visitor_ids=["white-key"])
    assert change.state["controls"] == {
        "w": ["resign", "draw_pending"],
        "b": ["resign", "draw_answer"],
    }
    change = services.game_resign(game_id=table.game_id, visitor_ids=["black-key"])
    assert change.state["controls"] == {"w": ["rematch"], "b": ["rematch"]}
    html = Client().get(reverse("chess:game", args=[table.game_id])).content.decode()
    assert 'data-control="rematch" hidden' in html  # a spectator sees none
