"""A chess move stored while the channel layer is down is confirmed to the mover,
never reported as failed (the live version is in tests/site/test_faults.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from redis.exceptions import ConnectionError as RedisConnectionError

from chess.models import Move
from site_config.realtime import events
from site_config.realtime.outages import CLOSE_TRY_AGAIN
from tests.chess.chess_support import receive_type


@pytest.mark.django_db(transaction=True)
async def test_a_move_stored_while_publishing_fails_is_confirmed_to_the_mover(
    live_table, communicator, monkeypatch
):
    white = communicator(f"/ws/chess/{live_table['game']}/", live_table["white"])
    assert (await white.connect())[0]
    await receive_type(white, "state")
    await receive_type(white, "presence")

    async def layer_down(*args: Any) -> None:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(events, "send", layer_down)
    await white.send_json_to({"type": "move", "uci": "e2e4", "ply": 0})
    frames = []
    while (frame := await white.receive_output(timeout=2))["type"] == "websocket.send":
        frames.append(json.loads(frame["text"]))
    # The new state (the move is stored), then "try again" for the socket: never
    # an error about the move.
    assert [f["type"] for f in frames] == ["state", "error"]
    assert frames[0]["moves"] == ["e2e4"]
    assert frames[1]["code"] == CLOSE_TRY_AGAIN and "command" not in frames[1]
    assert (frame["type"], frame["code"]) == ("websocket.close", CLOSE_TRY_AGAIN)
    assert await database_sync_to_async(Move.objects.count)() == 1
    await white.disconnect()
