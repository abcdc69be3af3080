"""The shared consumer base: fan-out through the hub, one hook for hub events, and
error frames for bad input."""

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from site_config.realtime.consumer import CLOSE_TRY_AGAIN, HubConsumer
from site_config.realtime.events import publish
from site_config.realtime.hub import get_hub
from site_config.realtime.protocol import ProtocolError, require_field


@dataclass(frozen=True)
class Said:
    name: ClassVar[str] = "test.said"
    text: str

    def payload(self) -> dict[str, Any]:
        return {"type": "said", "text": self.text}


@dataclass(frozen=True)
class Numbered:
    name: ClassVar[str] = "test.n"
    n: int

    def payload(self) -> dict[str, Any]:
        return {"type": "n", "n": self.n}


class RoomConsumer(HubConsumer):
    async def connect(self):
        await self.accept()
        await self.hub_join("test_room")

    async def handle_say(self, content):
        text = require_field(content, "text", str)
        if not text:
            raise ProtocolError("Say something.")
        await publish("test_room", Said(text))


class CountingConsumer(RoomConsumer):
    """Sees each hub event by name, before the default push."""

    seen: list[str]

    async def connect(self):
        self.seen = []
        await super().connect()

    def on_hub_event(self, event, frame):
        self.seen.append(event)
        if event == Said.name:
            self.push_frame(json.dumps({"type": "seen", "events": self.seen}))
        super().on_hub_event(event, frame)


app = URLRouter(
    [
        path("ws/test/", RoomConsumer.as_asgi()),
        path("ws/counting/", CountingConsumer.as_asgi()),
    ]
)


async def open_socket(url="/ws/test/"):
    ws = WebsocketCommunicator(app, url)
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


async def test_the_hook_sees_the_event_name_and_the_frame_follows():
    hooked = await open_socket("/ws/counting/")
    await publish("test_room", Numbered(1))
    await publish("test_room", Said("hello"))
    assert await hooked.receive_json_from() == {"type": "n", "n": 1}
    assert await hooked.receive_json_from() == {
        "type": "seen",
        "events": ["test.n", "test.said"],
    }
    assert await hooked.receive_json_from() == {"type": "said", "text": "hello"}
    await hooked.disconnect()


async def test_many_events_arrive_in_order_without_loss():
    sockets = [await open_socket() for _ in range(5)]
    for n in range(300):
        await publish("test_room", Numbered(n))
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
        ('{"type": "no-such"}', "Unknown message type"),
        ('{"type": 7}', "Unknown message type"),
        ('{"type": "say"}', "Missing field 'text'"),
        ('{"type": "say", "text": 5}', "wrong type"),
        ('{"type": "say", "text": true}', "wrong type"),
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


class FailingConsumer(HubConsumer):
    async def connect(self):
        await self.accept()
        await self.hub_join("test_failing")
        raise RuntimeError("the database is down")


async def test_a_connect_that_fails_after_joining_leaves_the_hub_and_says_try_again():
    failing = URLRouter([path("ws/fail/", FailingConsumer.as_asgi())])
    ws = WebsocketCommunicator(failing, "/ws/fail/")
    connected, _ = await ws.connect()  # the accept arrives before the failure
    assert connected
    error = await ws.receive_json_from()
    assert (error["type"], error["code"]) == ("error", CLOSE_TRY_AGAIN)
    closed = await ws.receive_output()
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_TRY_AGAIN)
    assert get_hub().local_count("test_failing") == 0


class LayerDownConsumer(HubConsumer):
    async def connect(self):
        await self.accept()
        await self.hub_join("test_layer_down")


async def test_a_layer_outage_while_joining_closes_with_try_again(monkeypatch):
    """The lobby sockets only join a group: with Redis down they must not die
    with 1011 and a traceback."""
    from channels.layers import get_channel_layer

    async def refuse(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(get_channel_layer(), "group_add", refuse)
    app = URLRouter([path("ws/down/", LayerDownConsumer.as_asgi())])
    ws = WebsocketCommunicator(app, "/ws/down/")
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["code"] == CLOSE_TRY_AGAIN
    assert (await ws.receive_output())["code"] == CLOSE_TRY_AGAIN
    assert get_hub().local_count("test_layer_down") == 0


async def test_disconnect_survives_a_layer_outage(monkeypatch):
    from channels.layers import get_channel_layer

    ws = await open_socket()
    hub = get_hub()
    assert hub.local_count("test_room") == 1

    async def refuse(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(get_channel_layer(), "group_discard", refuse)
    await ws.disconnect()
    assert hub.local_count("test_room") == 0


async def test_lone_surrogates_are_refused_before_any_handler():
    ws = await open_socket()
    await ws.send_to(text_data='{"type": "say", "text": "\\ud800"}')
    reply = await ws.receive_json_from()
    assert reply["type"] == "error" and "lone surrogates" in reply["message"]
    await ws.send_to(text_data='{"type": "say", "text": "\\u00e9t\\u00e9"}')
    assert (await ws.receive_json_from())["text"] == "été"
    await ws.disconnect()
