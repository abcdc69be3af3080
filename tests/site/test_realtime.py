"""The shared consumer base: fan-out through the hub and error frames for bad input."""

import json

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from site_config.realtime import (
    JsonHubConsumer,
    ProtocolError,
    get_hub,
    publish,
    require_field,
)


class RoomConsumer(JsonHubConsumer):
    async def connect(self):
        await self.accept()
        await self.hub_join("test_room")

    async def handle_say(self, content):
        text = require_field(content, "text", str)
        if not text:
            raise ProtocolError("Say something.")
        await publish("test_room", {"type": "said", "text": text})


app = URLRouter([path("ws/test/", RoomConsumer.as_asgi())])


async def open_socket():
    ws = WebsocketCommunicator(app, "/ws/test/")
    connected, _ = await ws.connect()
    assert connected
    return ws


async def test_publish_reaches_every_member_once():
    first, second = await open_socket(), await open_socket()
    assert get_hub().local_count("test_room") == 2
    await first.send_json_to({"type": "say", "text": "hi"})
    for ws in (first, second):
        assert await ws.receive_json_from() == {"type": "said", "text": "hi"}
        assert await ws.receive_nothing(timeout=0.05)
    await first.disconnect()
    await second.disconnect()
    assert get_hub().local_count("test_room") == 0


async def test_many_events_arrive_in_order_without_loss():
    sockets = [await open_socket() for _ in range(5)]
    for n in range(300):
        await publish("test_room", {"type": "n", "n": n})
    for ws in sockets:
        got = [(await ws.receive_json_from())["n"] for _ in range(300)]
        assert got == list(range(300))
    for ws in sockets:
        await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "must be JSON objects"),
        ("[1, 2]", "must be JSON objects"),
        ("[" * 5000, "must be JSON objects"),
        ('{"a":' * 5000, "must be JSON objects"),
        ('{"text": "no type"}', "Unknown message type"),
        ('{"type": "dance"}', "Unknown message type"),
        ('{"type": 7}', "Unknown message type"),
        ('{"type": "say"}', "Missing field 'text'"),
        ('{"type": "say", "text": 5}', "wrong type"),
        ('{"type": "say", "text": ""}', "Say something."),
        (json.dumps({"type": "say", "text": "x" * 70_000}), "Frame too large"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(frame, error):
    ws = await open_socket()
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from()
    assert reply["type"] == "error"
    assert error in reply["message"]
    await ws.send_json_to({"type": "say", "text": "still here"})
    assert (await ws.receive_json_from())["text"] == "still here"
    await ws.disconnect()


async def test_binary_frames_get_an_error():
    ws = await open_socket()
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.receive_json_from())["type"] == "error"
    await ws.disconnect()


class FailingConsumer(JsonHubConsumer):
    async def connect(self):
        await self.accept()
        await self.hub_join("test_failing")
        raise RuntimeError("the database is down")


async def test_a_connect_that_fails_after_joining_leaves_the_hub():
    failing = URLRouter([path("ws/fail/", FailingConsumer.as_asgi())])
    ws = WebsocketCommunicator(failing, "/ws/fail/")
    connected, _ = await ws.connect()  # the accept arrives before the failure
    assert connected
    with pytest.raises(RuntimeError):
        await ws.wait(timeout=1)
    assert get_hub().local_count("test_failing") == 0
