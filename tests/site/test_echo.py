"""The echo socket: in process, through a real daphne, and its origin check."""

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support import LiveClient


async def test_echo_in_process(communicator):
    ws = communicator("/ws/echo/")
    connected, _ = await ws.connect()
    assert connected
    await ws.send_to(text_data="hello")
    assert await ws.receive_from() == "hello"
    await ws.disconnect()


async def test_cross_origin_websocket_is_refused_in_process(communicator):
    ws = communicator("/ws/echo/", origin=b"https://evil.example")
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


def test_echo_through_live_daphne(daphne_server):
    client = LiveClient(daphne_server.url)
    with client.websocket("/ws/echo/") as ws:
        for text in ("ping", "ünïcødé ✓", json.dumps({"type": "probe"})):
            ws.send(text)
            assert ws.recv(timeout=5) == text
        ws.send("x" * (70 * 1024))
        reply = json.loads(ws.recv(timeout=5))
        assert reply["type"] == "error"
        ws.send("still open")
        assert ws.recv(timeout=5) == "still open"


def test_cross_origin_websocket_is_refused_by_live_daphne(daphne_server):
    with pytest.raises(InvalidStatus) as excinfo:
        connect(
            f"{daphne_server.ws_url}/ws/echo/",
            additional_headers={"Origin": "https://evil.example"},
            open_timeout=5,
        )
    assert excinfo.value.response.status_code == 403


def test_unknown_websocket_path_is_refused(daphne_server):
    with pytest.raises(InvalidStatus):
        LiveClient(daphne_server.url).websocket("/ws/nowhere/")
