"""A chat message stored while the channel layer is down is never reported as
failed, and sending it again with its client id stores it once (the live version
is in tests/site/test_faults.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from redis.exceptions import ConnectionError as RedisConnectionError

from chat.models import Message
from site_config.realtime import events
from site_config.realtime.outages import CLOSE_TRY_AGAIN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def lounge(make_room):
    return await database_sync_to_async(make_room)("Lounge")


async def test_a_message_stored_while_publishing_fails_is_not_an_error(
    lounge, chat_sockets, monkeypatch
):
    ann = await chat_sockets(lounge.slug, "Ann")
    real_send = events.send

    async def layer_down(*args: Any) -> None:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(events, "send", layer_down)
    await ann.send_json_to({"type": "message", "body": "stored", "client_id": "a-1"})
    frames = []
    while (frame := await ann.receive_output(timeout=2))["type"] == "websocket.send":
        frames.append(json.loads(frame["text"]))
    assert (frame["type"], frame["code"]) == ("websocket.close", CLOSE_TRY_AGAIN)
    # The sender sees its message; the only error is the socket's "try again".
    assert frames[0]["type"] == "message" and frames[0]["body"] == "stored"
    errors = [f for f in frames if f["type"] == "error"]
    assert errors == [{"type": "error", "message": errors[0]["message"], "code": 4503}]
    await ann.disconnect()

    # Back online, the client sends it again with the same id: stored once.
    monkeypatch.setattr(events, "send", real_send)
    again = await chat_sockets(lounge.slug, "Ann", session=ann.session_key)
    await again.send_json_to({"type": "message", "body": "stored", "client_id": "a-1"})
    for _ in range(5):
        answer = await again.receive_json_from(timeout=2)
        if answer["type"] == "sent":
            break
    assert answer == {"type": "sent", "client_id": "a-1", "id": frames[0]["id"]}
    assert await database_sync_to_async(Message.objects.count)() == 1
