"""Clocks, flag timers, "opponent gone" claims, presence and the bot API, through
the game socket (full ASGI stack, in-memory layer)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chess import timers
from chess.models import Game
from chess.timers import timer_key
from site_config.realtime.hub import get_hub
from site_config.realtime.models import Presence
from site_config.realtime.presence import tracker
from site_config.realtime.scheduler import scheduler
from tests.chess.chess_support import Table, play, receive_type, seat_game
from tests.visitor_support import visitor_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def timed(transactional_db, make_session):
    """A 1+0 game where both sides have moved (White's clock runs); `white` and
    `black` are the players' session keys, for their sockets."""
    white, black = make_session("Ann"), make_session("Bob")
    table = seat_game(visitor_of(white), visitor_of(black), base_seconds=60)
    play(table, ["e2e4", "e7e5"])
    return Table(table.game_id, white, black)


def set_clock(game_id: str, *, white_ms: int, ago: float = 0) -> None:
    Game.objects.filter(public_id=game_id).update(
        white_ms=white_ms, clock_at=timezone.now() - timedelta(seconds=ago)
    )


async def connect(communicator, game_id, session_key):
    comm = communicator(f"/ws/chess/{game_id}/", session_key)
    connected, _ = await comm.connect()
    assert connected
    state = await receive_type(comm, "state")
    return comm, state


async def test_state_carries_both_clocks(timed, communicator):
    comm, state = await connect(communicator, timed.game_id, timed.black)
    clock = state["clock"]
    assert clock["running"] == "w" and clock["black"] == 60_000
    assert 55_000 < clock["white"] <= 60_000 and clock["initial"] == 60_000
    assert state["time_control"] == "1+0"
    await comm.disconnect()


async def test_server_flags_without_any_client_command(timed, communicator):
    await database_sync_to_async(set_clock)(timed.game_id, white_ms=300)
    black, state = await connect(communicator, timed.game_id, timed.black)
    assert state["status"] == "active"
    ended = await receive_type(black, "state", wait=3)
    assert ended["status"] == "finished" and ended["termination"] == "timeout"
    assert ended["result"] == "0-1" and ended["clock"]["white"] == 0
    await black.disconnect()


async def test_opening_a_game_whose_flag_fell_applies_it(timed, communicator):
    """Both players left; the clock ran out; the next visitor sees the result."""
    await database_sync_to_async(set_clock)(timed.game_id, white_ms=5_000, ago=60)
    comm, state = await connect(communicator, timed.game_id, None)
    if state["status"] == "active":  # the published end may follow the first frame
        state = await receive_type(comm, "state")
    assert state["termination"] == "timeout" and state["result"] == "0-1"
    await comm.disconnect()


async def test_flag_claims_over_the_socket(timed, communicator):
    black, _ = await connect(communicator, timed.game_id, timed.black)
    await black.send_json_to({"type": "flag"})
    error = await receive_type(black, "error")
    assert "time left" in error["message"] and error["command"] == "flag"
    await database_sync_to_async(set_clock)(timed.game_id, white_ms=-1)
    await black.send_json_to({"type": "flag"})
    state = await receive_type(black, "state")
    assert state["termination"] == "timeout"
    await black.disconnect()


async def test_a_move_after_the_time_ran_out_ends_the_game(timed, communicator):
    white, _ = await connect(communicator, timed.game_id, timed.white)
    black, _ = await connect(communicator, timed.game_id, timed.black)
    await database_sync_to_async(set_clock)(timed.game_id, white_ms=-1)
    await white.send_json_to({"type": "move", "uci": "g1f3", "ply": 2})
    state = await receive_type(white, "state")
    assert state["status"] == "finished" and state["ply"] == 2
    error = await receive_type(white, "error")  # after the final state
    assert "Time is up" in error["message"] and error["command"] == "move"
    assert (await receive_type(black, "state"))["result"] == "0-1"
    for comm in (white, black):
        await comm.disconnect()


async def test_gone_claim_over_the_socket(timed, communicator, settings):
    settings.CHESS_GONE_CLAIM_SECONDS = 0
    black, _ = await connect(communicator, timed.game_id, timed.black)
    await black.send_json_to({"type": "gone_claim"})
    assert "not been gone" in (await receive_type(black, "error"))["message"]
    white, _ = await connect(communicator, timed.game_id, timed.white)
    await white.disconnect()
    presence = await receive_type(black, "presence")
    while presence["white"]:
        presence = await receive_type(black, "presence")
    assert presence["gone_since"]["w"] is not None
    await black.send_json_to({"type": "gone_claim", "outcome": "maybe"})
    assert "outcome" in (await receive_type(black, "error"))["message"]
    await black.send_json_to({"type": "gone_claim", "outcome": "win"})
    state = await receive_type(black, "state")
    assert state["termination"] == "abandoned" and state["result"] == "0-1"
    await black.disconnect()


def add_dead_row(game_id: str, colour: str) -> None:
    """A socket of a process that died a minute ago without closing it."""
    Presence.objects.create(
        group=f"chess_{game_id}",
        connection="dead-process!abc",
        member=colour,
        last_seen=timezone.now() - timedelta(seconds=60),
    )


async def test_the_heartbeat_sweeps_a_crashed_process_player(
    timed, communicator, settings
):
    settings.PARLOUR_PRESENCE_HEARTBEAT_SECONDS = 0.1
    settings.PARLOUR_PRESENCE_TTL_SECONDS = 0.3
    await database_sync_to_async(add_dead_row)(timed.game_id, "w")
    black, _ = await connect(communicator, timed.game_id, timed.black)
    first = await receive_type(black, "presence")
    assert first["white"] is False and first["black"] is True  # stale: not counted
    swept = await receive_type(black, "presence", wait=2)
    assert swept["gone_since"]["w"] is not None
    rows = database_sync_to_async(
        lambda: list(Presence.objects.values_list("member", "last_seen"))
    )
    ((member, seen),) = await rows()
    assert member == "b"
    # The live socket's own row keeps being refreshed.
    for _ in range(200):
        ((_, now_seen),) = await rows()
        if now_seen > seen:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the heartbeat never refreshed the live row")
    await black.disconnect()


def flag_timers_of(game_id: str) -> list:
    """Every pending timer that concerns the game, whatever its key."""
    return [key for key in scheduler().timers if game_id in repr(key)]


async def test_one_flag_timer_per_game_per_process(timed, communicator, make_session):
    """However many of a game's sockets a process holds, it keeps one flag timer
    for the game, re-armed by each new state and gone with the last socket."""
    await database_sync_to_async(set_clock)(timed.game_id, white_ms=60_000)
    watcher_key = await database_sync_to_async(make_session)("Cy")
    sockets = [
        (await connect(communicator, timed.game_id, key))[0]
        for key in (timed.white, timed.black, watcher_key)
    ]
    assert len(flag_timers_of(timed.game_id)) == 1
    handle = scheduler().timers[timer_key(timed.game_id)]
    with mock.patch.object(timers, "deadline_of", wraps=timers.deadline_of) as parse:
        await sockets[0].send_json_to({"type": "move", "uci": "g1f3", "ply": 2})
        for comm in sockets:
            assert (await receive_type(comm, "state"))["clock"]["running"] == "b"
    assert parse.call_count == 1  # the state is read once, not once per socket
    assert len(flag_timers_of(timed.game_id)) == 1
    assert scheduler().timers[timer_key(timed.game_id)] is not handle  # re-armed
    for comm in sockets[:2]:
        await comm.disconnect()
    assert len(flag_timers_of(timed.game_id)) == 1  # the spectator is still here
    await sockets[2].disconnect()
    assert flag_timers_of(timed.game_id) == []


async def test_the_flag_timer_ends_the_game_for_every_socket(timed, communicator):
    await database_sync_to_async(set_clock)(timed.game_id, white_ms=400)
    white, _ = await connect(communicator, timed.game_id, timed.white)
    black, _ = await connect(communicator, timed.game_id, timed.black)
    for comm in (white, black):
        ended = await receive_type(comm, "state", wait=3)
        assert ended["termination"] == "timeout"
    assert flag_timers_of(timed.game_id) == []  # no clock runs: nothing to wait for
    for comm in (white, black):
        await comm.disconnect()


@pytest.mark.parametrize(
    "failing",
    [
        "chess.services.game_view",  # before the presence row is written
        "chess.services.presence.presence_summary",  # while it is written
    ],
)
async def test_a_failed_connect_leaves_no_hub_membership_or_presence_row(
    timed, communicator, failing
):
    group = f"chess_{timed.game_id}"
    comm = communicator(f"/ws/chess/{timed.game_id}/", timed.white)
    with mock.patch(failing, side_effect=DatabaseError("database is down")):
        connected, _ = await comm.connect()
        assert connected
        error = await receive_type(comm, "error")
        assert "Could not open the game" in error["message"]
        closed = await comm.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4503}
    await comm.wait()
    assert get_hub().local_count(group) == 0
    assert tracker().connections == {}
    assert flag_timers_of(timed.game_id) == []
    assert not await database_sync_to_async(Presence.objects.exists)()


async def test_bot_move_over_http_reaches_the_sockets(timed, communicator):
    black, _ = await connect(communicator, timed.game_id, timed.black)

    def bot_move() -> tuple[int, dict]:
        client = Client()
        client.cookies["sessionid"] = timed.white
        response = client.post(
            reverse("chess:move_json", args=[timed.game_id]),
            data=json.dumps({"uci": "g1f3", "ply": 2}),
            content_type="application/json",
        )
        return response.status_code, response.json()

    status, data = await sync_to_async(bot_move)()
    assert status == 200 and data["you"] == "w"
    state = await receive_type(black, "state")
    assert state["moves"][-1] == "g1f3" and state["clock"]["running"] == "b"
    await black.disconnect()
