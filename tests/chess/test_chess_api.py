"""The bot API (`POST /chess/<game>/move.json`) and the time-control create form."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from chess import services
from chess.forms import GameCreateForm
from chess.models import Game, Move
from site_config.visitors.identity import SESSION_NAME_KEY
from tests.chess.chess_support import published, seat_game
from tests.visitor_support import client_visitor_id

pytestmark = pytest.mark.django_db


def session_client(**kwargs) -> Client:
    client = Client(**kwargs)
    client.get("/")
    session = client.session
    session[SESSION_NAME_KEY] = "Bot"
    session.save()
    return client


@pytest.fixture
def seated():
    """A started game; White and Black are clients holding the seats."""
    white, black = session_client(), session_client()
    table = seat_game(client_visitor_id(white), client_visitor_id(black))
    return table.game_id, white, black


def post_move(client: Client, game_id: str, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        reverse("chess:move_json", args=[game_id]),
        data=data,
        content_type="application/json",
        **extra,
    )


def test_move_answers_200_with_the_new_state_and_broadcasts(seated):
    game_id, white, _ = seated
    with published() as out:
        response = post_move(white, game_id, {"uci": "e2e4", "ply": 0})
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "state" and data["moves"] == ["e2e4"]
    assert data["you"] == "w" and data["turn"] == "b"
    assert Move.objects.filter(game__public_id=game_id).count() == 1
    # Same service, same after-commit publish as the socket.
    [(group, state)] = out.of("chess.state")
    assert group == f"chess_{game_id}" and state["moves"] == ["e2e4"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "must be JSON"),
        # Nesting too deep for the decoder (RecursionError, not a 500).
        pytest.param("[" * 5000, "must be JSON", id="nested-open-arrays"),
        pytest.param("[" * 50_000 + "]" * 50_000, "must be JSON", id="nested-arrays"),
        pytest.param('{"uci": ' * 5000, "must be JSON", id="nested-objects"),
        ([1, 2], "Malformed move"),
        ({"uci": "e2e4"}, "ply must be an integer"),
        ({"uci": "e2e4", "ply": True}, "ply must be an integer"),
        ({"uci": "e2e4", "ply": -1}, "ply must be an integer"),
        ({"uci": 42, "ply": 0}, "Malformed move"),
        ({"uci": "e2e4e5", "ply": 0}, "Malformed move"),
        ({"uci": "e2e5", "ply": 0}, "Illegal move"),
    ],
)
def test_bad_moves_answer_400_with_a_reason(seated, body, message):
    game_id, white, _ = seated
    response = post_move(white, game_id, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Game.objects.get(public_id=game_id).ply == 0


def test_stale_move_answers_400_with_the_current_state(seated):
    game_id, white, black = seated
    post_move(white, game_id, {"uci": "e2e4", "ply": 0})
    response = post_move(black, game_id, {"uci": "e7e5", "ply": 0})
    assert response.status_code == 400
    assert "Stale move" in response.json()["error"]
    assert response.json()["state"]["ply"] == 1


def test_not_your_seat_or_turn_answers_403(seated):
    game_id, _, black = seated
    response = post_move(session_client(), game_id, {"uci": "e2e4", "ply": 0})
    assert response.status_code == 403 and "watching" in response.json()["error"]
    response = post_move(black, game_id, {"uci": "e7e5", "ply": 0})
    assert response.status_code == 403 and "not your turn" in response.json()["error"]


def test_unknown_game_answers_404():
    response = post_move(session_client(), "nosuchgame", {"uci": "e2e4", "ply": 0})
    assert response.status_code == 404 and response.json()["error"] == "No such game."


def test_finished_game_answers_400(seated):
    game_id, white, _ = seated
    services.game_resign(game_id=game_id, visitor_ids=[client_visitor_id(white)])
    response = post_move(white, game_id, {"uci": "e2e4", "ply": 0})
    assert response.status_code == 400 and "over" in response.json()["error"]


def test_get_is_not_allowed(seated):
    game_id, white, _ = seated
    assert white.get(reverse("chess:move_json", args=[game_id])).status_code == 405


def test_csrf_token_from_state_json_is_required():
    """Cookie sessions need CSRF: a bot reads csrftoken (state.json sets it)."""
    white = session_client(enforce_csrf_checks=True)
    black = session_client(enforce_csrf_checks=True)
    table = seat_game(client_visitor_id(white), client_visitor_id(black))
    refused = post_move(white, table.game_id, {"uci": "e2e4", "ply": 0})
    assert refused.status_code == 403
    white.get(reverse("chess:state", args=[table.game_id]))
    token = white.cookies["csrftoken"].value
    response = post_move(
        white, table.game_id, {"uci": "e2e4", "ply": 0}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200 and response.json()["ply"] == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"colour": "white"}, (None, 0)),
        ({"colour": "white", "time_control": "none"}, (None, 0)),
        ({"colour": "white", "time_control": "3+2"}, (180, 2)),
        ({"colour": "white", "time_control": "15+10"}, (900, 10)),
        (
            {
                "colour": "white",
                "time_control": "custom",
                "base_minutes": "7",
                "increment_seconds": "3",
            },
            (420, 3),
        ),
        (
            {"colour": "white", "time_control": "custom", "base_minutes": "180"},
            (10800, 0),
        ),
    ],
)
def test_create_form_resolves_time_controls(data, expected):
    form = GameCreateForm(data)
    assert form.is_valid(), form.errors
    assert (
        form.cleaned_data["base_seconds"],
        form.cleaned_data["increment_seconds"],
    ) == expected


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"time_control": "custom"}, "base_minutes"),
        ({"time_control": "custom", "base_minutes": "0"}, "base_minutes"),
        ({"time_control": "custom", "base_minutes": "181"}, "base_minutes"),
        (
            {"time_control": "custom", "base_minutes": "5", "increment_seconds": "61"},
            "increment_seconds",
        ),
        ({"time_control": "2+1"}, "time_control"),
    ],
)
def test_create_form_reports_bad_time_controls(data, field):
    form = GameCreateForm({"colour": "white", **data})
    assert not form.is_valid() and field in form.errors


def test_lobby_creates_a_timed_game_and_the_page_shows_clocks():
    client = session_client()
    response = client.post(
        reverse("chess:lobby"), {"colour": "white", "time_control": "5+0"}
    )
    game = Game.objects.get()
    assert response.status_code == 302 and game.clock_base_s == 300
    html = client.get(game.get_absolute_url()).content.decode()
    assert 'id="clock-w"' in html and ">5:00<" in html and "5+0" in html
    lobby = client.get(reverse("chess:lobby")).content.decode()
    assert "5+0 · waiting since" in lobby
