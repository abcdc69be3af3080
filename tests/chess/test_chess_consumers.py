"""The game and lobby sockets through the full ASGI stack (origin, session, auth):
fan-out to players and spectators, refusals as error frames, presence, resync."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from chess import services
from chess.models import Game
from site_config.visitors.models import AccountVisitor
from tests.chess.chess_support import receive_type

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket(communicator, game_id, session_key):
    comm = communicator(f"/ws/chess/{game_id}/", session_key)
    connected, _ = await comm.connect()
    assert connected
    state = await receive_type(comm, "state")
    return comm, state


@pytest.fixture
async def trio(live_table, communicator):
    """White, Black and a spectator connected to one started game."""
    t = live_table
    white, state = await open_socket(communicator, t["game"], t["white"])
    black, _ = await open_socket(communicator, t["game"], t["black"])
    watcher, _ = await open_socket(communicator, t["game"], t["watcher"])
    assert state["status"] == "active" and state["players"]["black"] == "Bob"
    for comm in (white, black, watcher):
        await settle(comm)
    yield white, black, watcher
    for comm in (white, black, watcher):
        await comm.disconnect()


async def settle(comm):
    """Skip the presence frames sent while the others connected, up to the one
    that counts all three (the spectator's arrival, the last)."""
    while True:
        frame = await comm.receive_json_from(timeout=5)
        if frame["type"] == "presence" and (
            frame["white"] and frame["black"] and frame["spectators"] == 1
        ):
            return


async def expect_error(comm, match: str) -> dict:
    message = await receive_type(comm, "error")
    assert match in message["message"], message
    return message


async def still_usable(comm) -> None:
    await comm.send_json_to({"type": "sync"})
    assert (await receive_type(comm, "state"))["type"] == "state"


async def test_first_frame_is_the_full_state(live_table, communicator):
    comm, state = await open_socket(
        communicator, live_table["game"], live_table["white"]
    )
    assert state["version"] == 2 and state["fen"].startswith("rnbqkbnr/")
    assert len(state["legal"]) == 20 and state["moves"] == []
    presence = await receive_type(comm, "presence")
    assert presence["white"] is True and presence["black"] is False
    await comm.disconnect()


async def test_a_move_reaches_both_players_and_the_spectator(trio):
    white, black, watcher = trio
    await white.send_json_to({"type": "move", "uci": "e2e4", "ply": 0})
    for comm in trio:
        state = await receive_type(comm, "state")
        assert state["moves"] == ["e2e4"] and state["san"] == ["e4"]
        assert state["version"] == 3 and state["turn"] == "b"
    await black.send_json_to({"type": "move", "uci": "e7e5", "ply": 1})
    for comm in trio:
        assert (await receive_type(comm, "state"))["last_move"] == "e7e5"


async def test_move_out_of_turn_is_an_error_to_the_sender_only(trio):
    white, black, watcher = trio
    await black.send_json_to({"type": "move", "uci": "e7e5", "ply": 0})
    error = await expect_error(black, "not your turn")
    assert error["command"] == "move"
    assert await white.receive_nothing(timeout=0.1)
    await still_usable(black)


async def test_spectator_moves_are_refused(trio):
    white, black, watcher = trio
    await watcher.send_json_to({"type": "move", "uci": "e2e4", "ply": 0})
    await expect_error(watcher, "Spectators cannot move")
    await watcher.send_json_to({"type": "resign"})
    await expect_error(watcher, "watching")
    assert await white.receive_nothing(timeout=0.1)


async def test_stale_ply_is_refused_and_the_sender_gets_the_state(trio):
    white, black, watcher = trio
    await white.send_json_to({"type": "move", "uci": "e2e4", "ply": 0})
    await receive_type(white, "state")
    await white.send_json_to({"type": "move", "uci": "e2e4", "ply": 0})  # duplicate
    await expect_error(white, "Stale move")
    state = await receive_type(white, "state")
    assert state["moves"] == ["e2e4"] and state["version"] == 3
    game = await database_sync_to_async(Game.objects.get)(public_id=state["game"])
    assert game.ply == 1


async def test_illegal_move_is_refused(trio):
    white, black, watcher = trio
    await white.send_json_to({"type": "move", "uci": "e2e5", "ply": 0})
    await expect_error(white, "Illegal move")
    await still_usable(white)


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        ("not json at all", "JSON"),
        ("[1, 2, 3]", "JSON objects"),
        (json.dumps({"type": "teleport"}), "Unknown message type"),
        (json.dumps({"uci": "e2e4"}), "Unknown message type"),
        (json.dumps({"type": "move", "ply": 0}), "Missing field 'uci'"),
        (json.dumps({"type": "move", "uci": "e2e4"}), "Missing field 'ply'"),
        (json.dumps({"type": "move", "uci": 42, "ply": 0}), "wrong type"),
        (json.dumps({"type": "move", "uci": "e2e4", "ply": "0"}), "wrong type"),
        (json.dumps({"type": "move", "uci": "e2e4", "ply": True}), "wrong type"),
        (json.dumps({"type": "move", "uci": "e2e4", "ply": 1.5}), "wrong type"),
        (json.dumps({"type": "move", "uci": "e2e4" * 10, "ply": 0}), "Malformed"),
        (json.dumps({"type": "move", "uci": "e2e4", "ply": -1}), "Malformed"),
        (json.dumps({"type": "move", "uci": "x" * 100 * 1024, "ply": 0}), "too large"),
    ],
    ids=[
        "non-json",
        "array",
        "unknown-type",
        "no-type",
        "no-uci",
        "no-ply",
        "uci-int",
        "ply-str",
        "ply-bool",
        "ply-float",
        "uci-long",
        "ply-negative",
        "100KiB",
    ],
)
async def test_malformed_frames_get_an_error_and_keep_the_connection(
    trio, frame, match
):
    white, black, watcher = trio
    await white.send_to(text_data=frame)
    await expect_error(white, match)
    await still_usable(white)
    await white.send_json_to({"type": "move", "uci": "e2e4", "ply": 0})
    assert (await receive_type(black, "state"))["moves"] == ["e2e4"]


async def test_binary_frames_are_refused(trio):
    white, _, _ = trio
    await white.send_to(bytes_data=b"\x00\x01")
    await expect_error(white, "binary")
    await still_usable(white)


async def test_resign_over_the_socket_ends_the_game_for_everyone(trio):
    white, black, watcher = trio
    await black.send_json_to({"type": "resign"})
    for comm in trio:
        state = await receive_type(comm, "state")
        assert (state["status"], state["result"]) == ("finished", "1-0")
        assert state["termination"] == "resignation" and state["legal"] == []


async def test_draw_offer_and_accept_over_the_socket(trio):
    white, black, watcher = trio
    await white.send_json_to({"type": "draw_offer"})
    assert (await receive_type(black, "state"))["draw_offer"] == "w"
    await white.send_json_to({"type": "draw_accept"})
    await expect_error(white, "no draw offer")
    await black.send_json_to({"type": "draw_accept"})
    state = await receive_type(watcher, "state")
    state = await receive_type(watcher, "state")  # offer, then agreement
    assert (state["result"], state["termination"]) == ("1/2-1/2", "agreement")


async def test_abort_and_claim_over_the_socket(trio):
    white, black, watcher = trio
    await white.send_json_to({"type": "draw_claim"})
    await expect_error(white, "No draw can be claimed")
    await black.send_json_to({"type": "abort"})
    state = await receive_type(white, "state")
    assert state["status"] == "aborted"


async def test_presence_tracks_spectators_and_players(live_table, communicator):
    t = live_table
    white, _ = await open_socket(communicator, t["game"], t["white"])
    await receive_type(white, "presence")
    watcher, _ = await open_socket(communicator, t["game"], t["watcher"])
    presence = await receive_type(white, "presence")
    assert {k: presence[k] for k in ("type", "white", "black", "spectators")} == {
        "type": "presence",
        "white": True,
        "black": False,
        "spectators": 1,
    }
    await watcher.disconnect()
    presence = await receive_type(white, "presence")
    assert presence["spectators"] == 0
    await white.disconnect()


async def test_reconnecting_player_keeps_the_seat(live_table, communicator):
    t = live_table
    white, _ = await open_socket(communicator, t["game"], t["white"])
    await white.disconnect()
    again, state = await open_socket(communicator, t["game"], t["white"])
    await again.send_json_to({"type": "move", "uci": "d2d4", "ply": state["ply"]})
    state = await receive_type(again, "state")
    assert state["moves"] == ["d2d4"]
    await again.disconnect()


async def test_an_anonymous_spectator_watches_without_a_session(
    live_table, communicator
):
    """No cookie at all: the socket opens, follows the game and is refused as a
    spectator, and no session is created for it."""
    t = live_table
    sessions = await Session.objects.acount()
    anonymous, state = await open_socket(communicator, t["game"], None)
    assert state["type"] == "state"
    white, _ = await open_socket(communicator, t["game"], t["white"])
    await white.send_json_to({"type": "move", "uci": "e2e4", "ply": 0})
    assert (await receive_type(anonymous, "state"))["moves"] == ["e2e4"]
    await anonymous.send_json_to({"type": "move", "uci": "e7e5", "ply": 1})
    await expect_error(anonymous, "Spectators cannot move")
    assert await Session.objects.acount() == sessions
    for comm in (anonymous, white):
        await comm.disconnect()


async def test_an_account_plays_its_seat_from_a_browser_signed_in_elsewhere(
    live_table, communicator
):
    """A session signed in without the site's login view (here `force_login`) is
    linked to the account's visitor id when its socket opens: it holds the seat."""
    user = await get_user_model().objects.acreate(username="wes")
    await AccountVisitor.objects.acreate(user=user, visitor_id="wes-account-id")
    game = await database_sync_to_async(services.game_create)(
        visitor_id="wes-account-id", name="wes", colour="white"
    )
    await database_sync_to_async(services.game_join)(
        game_id=game.public_id, visitor_ids=["someone-else"], name="Bob"
    )
    laptop = Client()
    await sync_to_async(laptop.force_login)(user)
    key = laptop.cookies["sessionid"].value
    white, state = await open_socket(communicator, game.public_id, key)
    await white.send_json_to({"type": "move", "uci": "e2e4", "ply": state["ply"]})
    assert (await receive_type(white, "state"))["moves"] == ["e2e4"]
    await white.disconnect()


@pytest.mark.parametrize("game_id", ["doesnotexist", "x" * 200])
async def test_unknown_game_closes_with_4404(transactional_db, communicator, game_id):
    comm = communicator(f"/ws/chess/{game_id}/")
    connected, _ = await comm.connect()
    assert connected
    await expect_error(comm, "No such game")
    closed = await comm.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4404}


def lobby_lists() -> tuple[str, str]:
    """What the lobby page fetches: (the lists' version, the lists)."""
    response = Client().get(reverse("chess:lobby_lists"))
    assert response.status_code == 200
    return response["X-Lobby-Version"], response.content.decode()


async def test_lobby_socket_announces_versions_and_the_lists_follow(
    transactional_db, communicator
):
    lobby = communicator("/ws/chess/lobby/")
    connected, _ = await lobby.connect()
    assert connected
    first = await receive_type(lobby, "lobby")  # on connect: the current version
    assert first == {"type": "lobby", "version": first["version"]}
    game = await database_sync_to_async(services.game_create)(
        visitor_id="k", name="Dora", colour="white"
    )
    message = await receive_type(lobby, "lobby")
    assert message["version"] == first["version"] + 1
    version, html = await sync_to_async(lobby_lists)()
    assert version == str(message["version"])
    assert game.public_id in html and "Dora" in html
    await lobby.send_json_to({"type": "move"})
    await expect_error(lobby, "Unknown message type")
    await lobby.disconnect()


async def test_game_end_is_announced_to_the_lobby(trio, communicator):
    white, black, watcher = trio
    lobby = communicator("/ws/chess/lobby/")
    await lobby.connect()
    version = (await receive_type(lobby, "lobby"))["version"]
    await white.send_json_to({"type": "resign"})
    assert (await receive_type(lobby, "lobby"))["version"] == version + 1
    assert "Resignation" in (await sync_to_async(lobby_lists)())[1]
    await lobby.disconnect()


async def test_rematch_over_the_socket_names_the_next_game(trio):
    white, black, watcher = trio
    await white.send_json_to({"type": "resign"})
    await receive_type(black, "state")
    await black.send_json_to({"type": "rematch"})
    await receive_type(white, "state")  # the resignation
    assert (await receive_type(white, "state"))["rematch_offer"] == "b"
    await white.send_json_to({"type": "rematch"})
    for _ in range(3):  # resignation, offer, rematch
        state = await receive_type(watcher, "state")
    game = await database_sync_to_async(Game.objects.get)(public_id=state["rematch"])
    assert game.white_name == "Bob" and game.status == "active"
