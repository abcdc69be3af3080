"""A slow client must not stall its room: bounded backlog, then a close with 4008."""

import asyncio
import base64
import os
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path
from websockets.sync.client import connect

from site_config.realtime.consumer import HubConsumer
from site_config.realtime.events import publish
from site_config.realtime.hub import get_hub
from site_config.realtime.protocol import text_frame
from site_config.realtime.tasks import spawn
from site_config.realtime.transports import SLOW_CLOSE_CODE, daphne_protocol
from tests.support import ROOT, DaphneServer, server_env

ROOM = "slow_room"


@dataclass(frozen=True)
class Numbered:
    name: ClassVar[str] = "test.n"
    n: int

    def payload(self) -> dict[str, Any]:
        return {"type": "n", "n": self.n, "pad": "x" * 50}


@dataclass(frozen=True)
class Stop:
    name: ClassVar[str] = "test.stop"

    def payload(self) -> dict[str, Any]:
        return {"type": "stop"}


class RoomConsumer(HubConsumer):
    async def connect(self):
        await self.accept()
        await self.hub_join(ROOM)


class StuckConsumer(RoomConsumer):
    """A peer whose writes never complete (a full TCP buffer under backpressure)."""

    async def send(self, text_data=None, bytes_data=None, close=False):
        await asyncio.Event().wait()


class HookedConsumer(RoomConsumer):
    """Acts on one event by name (as the chat does when a room is closed)."""

    def on_hub_event(self, event, frame):
        if event == Stop.name:
            spawn(self.close(code=4100))
            return
        super().on_hub_event(event, frame)


class StuckHookedConsumer(HookedConsumer, StuckConsumer):
    pass


class SlowJoinConsumer(HubConsumer):
    """Joins, then holds hub events for a set-up that never finishes."""

    async def connect(self):
        await self.accept()
        self.hold_hub_events()
        await self.hub_join(ROOM)


app = URLRouter(
    [
        path("ws/room/", RoomConsumer.as_asgi()),
        path("ws/stuck/", StuckConsumer.as_asgi()),
        path("ws/hooked/", HookedConsumer.as_asgi()),
        path("ws/stuck-hooked/", StuckHookedConsumer.as_asgi()),
        path("ws/slow-join/", SlowJoinConsumer.as_asgi()),
    ]
)


async def open_socket(url):
    ws = WebsocketCommunicator(app, url)
    connected, _ = await ws.connect()
    assert connected
    return ws


def test_text_frame_matches_rfc_6455_lengths():
    assert text_frame(b"hi") == b"\x81\x02hi"
    assert text_frame(b"x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert text_frame(b"x" * 70_000)[:10] == b"\x81\x7f" + struct.pack("!Q", 70_000)


def test_no_daphne_protocol_behind_a_plain_send():
    async def send(message):
        return None

    assert daphne_protocol(send) is None


async def test_stuck_member_is_closed_with_4008_and_the_room_keeps_going(settings):
    settings.PARLOUR_WS_MAX_BACKLOG_BYTES = 4000
    fast, stuck = await open_socket("/ws/room/"), await open_socket("/ws/stuck/")
    assert get_hub().local_count(ROOM) == 2
    for n in range(200):
        await publish(ROOM, Numbered(n))
    got = [(await fast.receive_json_from())["n"] for _ in range(200)]
    assert got == list(range(200))
    closed = await stuck.receive_output(timeout=2)
    assert closed["type"] == "websocket.close"
    assert closed["code"] == SLOW_CLOSE_CODE
    for _ in range(100):  # the slow member's leave runs as a task
        if get_hub().local_count(ROOM) == 1:
            break
        await asyncio.sleep(0.01)
    assert get_hub().local_count(ROOM) == 1
    await fast.disconnect()
    await stuck.disconnect()


async def test_hooks_see_hub_events_and_a_stuck_member_cannot_stall_the_room(
    settings,
):
    settings.PARLOUR_WS_MAX_BACKLOG_BYTES = 4000
    fast = await open_socket("/ws/room/")
    hooked = await open_socket("/ws/hooked/")
    stuck = await open_socket("/ws/stuck-hooked/")
    for n in range(100):
        await publish(ROOM, Numbered(n))
    await publish(ROOM, Stop())
    for ws in (fast, hooked):
        assert [(await ws.receive_json_from())["n"] for _ in range(100)] == list(
            range(100)
        )
    assert (await fast.receive_json_from())["type"] == "stop"
    assert (await hooked.receive_output())["code"] == 4100
    assert (await stuck.receive_output(timeout=2))["code"] == SLOW_CLOSE_CODE
    for ws in (fast, hooked, stuck):
        await ws.disconnect()


async def test_events_held_during_a_slow_set_up_count_towards_the_limit(settings):
    settings.PARLOUR_WS_MAX_BACKLOG_BYTES = 4000
    fast, joining = await open_socket("/ws/room/"), await open_socket("/ws/slow-join/")
    for n in range(200):
        await publish(ROOM, Numbered(n))
    assert [(await fast.receive_json_from())["n"] for _ in range(200)] == list(
        range(200)
    )
    closed = await joining.receive_output(timeout=2)
    assert (closed["type"], closed["code"]) == ("websocket.close", SLOW_CLOSE_CODE)
    await fast.disconnect()
    await joining.disconnect()


async def test_a_member_within_the_limit_is_not_closed(settings):
    settings.PARLOUR_WS_MAX_BACKLOG_BYTES = 1_000_000
    sockets = [await open_socket("/ws/room/") for _ in range(3)]
    for n in range(300):
        await publish(ROOM, Numbered(n))
    for ws in sockets:
        assert [(await ws.receive_json_from())["n"] for _ in range(300)] == list(
            range(300)
        )
        assert await ws.receive_nothing(timeout=0.05)
    for ws in sockets:
        await ws.disconnect()


# --- against a real daphne: the direct-write path and the Twisted backlog ---------


def raw_handshake(port: int, path_: str) -> socket.socket:
    """A client that completes the handshake and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path_} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    return sock


def close_code_or_end(sock: socket.socket, timeout: float = 20) -> int | None:
    """Read everything the server sends; the close frame's code, or None at EOF."""
    sock.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buf += chunk
            while len(buf) >= 2:
                opcode, size = buf[0] & 0x0F, buf[1] & 0x7F
                start = 2
                if size == 126:
                    size, start = struct.unpack("!H", buf[2:4])[0], 4
                elif size == 127:
                    size, start = struct.unpack("!Q", buf[2:10])[0], 10
                if len(buf) < start + size:
                    break
                if opcode == 8:
                    return struct.unpack("!H", buf[start : start + 2])[0]
                buf = buf[start + size :]
    except ConnectionResetError:
        return None
    raise AssertionError("the slow connection was never closed")


@pytest.mark.timeout(120)
def test_slow_reader_on_daphne_is_cut_off_while_a_reader_gets_everything(tmp_path):
    # The bench's hub room (bench/baseline): a room on site_config.realtime, no DB.
    server = DaphneServer(env=server_env(DJANGO_SETTINGS_MODULE=None))
    log = (tmp_path / "daphne.log").open("wb")
    server.process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(server.port),
            "bench.baseline.asgi:application",
        ],
        cwd=ROOT,
        env=server.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", server.port), 1).close()
                break
            except OSError:
                time.sleep(0.1)
        room = f"/ws/hub/slow{server.port}/"
        slow = raw_handshake(server.port, room)
        body = "y" * 60_000
        count = 120  # about 7 MB: far over the 1 MiB backlog plus kernel buffers
        with connect(
            f"{server.ws_url}{room}", origin=server.url, max_size=2**22
        ) as fast:
            time.sleep(0.3)
            received = 0
            for n in range(count):
                fast.send(f'{{"type": "message", "body": "{n}:{body}"}}')
                while True:  # read as we go: the fast client keeps up
                    try:
                        frame = fast.recv(timeout=0 if n < count - 1 else 10)
                    except TimeoutError:
                        break
                    assert f'"body":"{received}:' in frame
                    received += 1
                    if received == count:
                        break
            deadline = time.monotonic() + 20
            while received < count and time.monotonic() < deadline:
                frame = fast.recv(timeout=10)
                assert f'"body":"{received}:' in frame
                received += 1
            assert received == count
        code = close_code_or_end(slow)
        assert code in (SLOW_CLOSE_CODE, None)
        slow.close()
    finally:
        server.stop()
        log.close()
    assert b"Traceback" not in (tmp_path / "daphne.log").read_bytes()
