"""The bad-input table for the chess sockets (game and lobby), in process through
the full ASGI stack: every refused frame or command gets a readable error, the
socket stays usable, the game is unchanged, the opponent hears nothing, and
nothing crashes."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chess.models import Game
from tests.bad_input import BAD_FRAMES, BAD_TEXT_JSON, frame_with
from tests.chess.chess_support import receive_type

pytestmark = pytest.mark.django_db(transaction=True)

# Field errors and domain refusals of the game socket's client messages, sent by
# White at the start (ply 0, White to move) unless the row says the spectator.
BAD_COMMANDS = [
    pytest.param(
        "white", {"type": "move", "ply": 0}, "Missing field 'uci'", id="no-uci"
    ),
    pytest.param(
        "white", {"type": "move", "uci": "e2e4"}, "Missing field 'ply'", id="no-ply"
    ),
    pytest.param(
        "white", {"type": "move", "uci": 42, "ply": 0}, "wrong type", id="uci-int"
    ),
    pytest.param(
        "white", {"type": "move", "uci": "e2e4", "ply": "0"}, "wrong type", id="ply-str"
    ),
    pytest.param(
        "white",
        {"type": "move", "uci": "e2e4", "ply": None},
        "wrong type",
        id="ply-null",
    ),
    pytest.param(
        "white",
        {"type": "move", "uci": "e2e4", "ply": -1},
        "Malformed",
        id="ply-negative",
    ),
    pytest.param(
        "white",
        {"type": "move", "uci": "e2e4e2e4", "ply": 0},
        "Malformed",
        id="uci-long",
    ),
    pytest.param(
        "white",
        {"type": "move", "uci": "e2e5", "ply": 0},
        "Illegal move",
        id="illegal-move",
    ),
    pytest.param(
        "white",
        {"type": "move", "uci": "zz", "ply": 0},
        "Illegal move",
        id="uci-garbage",
    ),
    pytest.param(
        "white", {"type": "move", "uci": "e2e4", "ply": 7}, "Stale move", id="wrong-ply"
    ),
    pytest.param(
        "black",
        {"type": "move", "uci": "e7e5", "ply": 0},
        "not your turn",
        id="out-of-turn",
    ),
    pytest.param(
        "watcher",
        {"type": "move", "uci": "e2e4", "ply": 0},
        "Spectators",
        id="spectator-move",
    ),
    pytest.param("watcher", {"type": "resign"}, "watching", id="spectator-resign"),
    pytest.param("watcher", {"type": "abort"}, "watching", id="spectator-abort"),
    pytest.param(
        "white", {"type": "draw_accept"}, "no draw offer", id="accept-no-offer"
    ),
    pytest.param(
        "white", {"type": "draw_decline"}, "no draw offer", id="decline-no-offer"
    ),
    pytest.param("white", {"type": "draw_claim"}, "", id="claim-no-draw"),
    pytest.param("white", {"type": "flag"}, "no clock", id="flag-untimed"),
    pytest.param(
        "white", {"type": "rematch"}, "when the game is over", id="rematch-active"
    ),
    pytest.param(
        "white", {"type": "gone_claim", "outcome": "loss"}, "outcome", id="gone-outcome"
    ),
    pytest.param(
        "white", {"type": "gone_claim", "outcome": 1}, "outcome", id="gone-outcome-int"
    ),
    pytest.param("white", {"type": "gone_claim"}, "", id="gone-opponent-here"),
]


def all_present(presence: dict) -> bool:
    return bool(presence["white"] and presence["black"] and presence["spectators"])


@pytest.fixture
async def game_trio(live_table, communicator, no_tracebacks):
    """White, Black and a spectator on one started game, their opening frames
    read; the game's version before the bad input."""
    sockets = {}
    for seat in ("white", "black", "watcher"):
        ws = communicator(f"/ws/chess/{live_table['game']}/", live_table[seat])
        connected, _ = await ws.connect()
        assert connected
        await receive_type(ws, "state")
        sockets[seat] = ws
    for ws in sockets.values():
        # Up to the presence frame that counts all three (the spectator's
        # arrival, the last), so no late presence frame is mistaken for a leak.
        while not all_present(await receive_type(ws, "presence")):
            pass
    yield sockets, live_table["game"]
    for ws in sockets.values():
        await ws.disconnect()


async def game_version(game_id: str) -> int:
    game = await database_sync_to_async(Game.objects.get)(public_id=game_id)
    return game.version


async def assert_refused_harmlessly(sockets, game_id, sender, frame, error) -> None:
    version = await game_version(game_id)
    ws = sockets[sender]
    await ws.send_to(text_data=frame)
    reply = await receive_type(ws, "error")
    assert reply["message"].strip() and error in reply["message"], reply
    assert await game_version(game_id) == version
    others = [other for seat, other in sockets.items() if seat != sender]
    for other in others:
        assert await other.receive_nothing(timeout=0.05)
    # The socket still works, and the game goes on for everyone.
    await ws.send_json_to({"type": "sync"})
    assert (await receive_type(ws, "state"))["version"] == version
    await sockets["white"].send_json_to({"type": "move", "uci": "e2e4", "ply": 0})
    for each in sockets.values():
        # A stale move is answered with the state too: skip to the new one.
        while (await receive_type(each, "state"))["moves"] != ["e2e4"]:
            pass


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_on_the_game_socket(game_trio, frame, error):
    await assert_refused_harmlessly(*game_trio, "white", frame, error)


@pytest.mark.parametrize(("sender", "content", "error"), BAD_COMMANDS)
async def test_bad_commands_on_the_game_socket(game_trio, sender, content, error):
    await assert_refused_harmlessly(*game_trio, sender, frame_with(content), error)


@pytest.mark.parametrize(("text", "error"), BAD_TEXT_JSON)
async def test_bad_text_in_a_move(game_trio, text, error):
    """A move's `uci` is no free text, but hostile text in it must still be
    refused with an error that can be encoded (no traceback)."""
    frame = frame_with({"type": "move", "uci": text[:5], "ply": 0})
    await assert_refused_harmlessly(*game_trio, "white", frame, "")


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_on_the_lobby_socket(
    communicator, no_tracebacks, frame, error
):
    ws = communicator("/ws/chess/lobby/")
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "lobby"
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from()
    assert reply["type"] == "error" and error in reply["message"]
    await ws.send_to(text_data='{"type": "sync"}')
    assert "Unknown message type" in (await ws.receive_json_from())["message"]
    await ws.disconnect()
