"""Parts the fault tests break on purpose: a Redis server of the test's own and a TCP
forwarder in front of PostgreSQL that the test can cut and restore."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from tests.support import DaphneServer, LiveClient, free_port

T = TypeVar("T")

CLOSE_TRY_AGAIN = 4503


def wait_for(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class OwnRedis:
    """`redis-server` on a spare port, stopped (by its PID) and restarted on the
    same port, so daphne's REDIS_URL stays valid across the outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is not installed"
        self.process = subprocess.Popen(
            [
                executable,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 10, "redis-server to listen")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_for(lambda: not port_open(self.port), 10, "redis-server to stop")


class TcpCut:
    """A TCP forwarder to `target` on a port of its own, run by an asyncio loop in
    a thread. `cut()` closes the listener and every forwarded connection (the
    database looks unreachable); `restore()` listens on the same port again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.thread.start()

    @classmethod
    def to_url(cls, url: str) -> tuple[TcpCut, str]:
        """A forwarder to the server of `url`, and `url` through it."""
        parsed = urlparse(url)
        proxy = cls(parsed.hostname or "127.0.0.1", parsed.port or 5432)
        netloc = parsed.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{proxy.port}"
        through = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
        return proxy, parsed._replace(netloc=through).geturl()

    def _run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer)
        )
        self.writers -= {writer, up_writer}

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def start(self) -> TcpCut:
        self._run(self._listen())
        return self

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    def close(self) -> None:
        self._run(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def full_log(server: DaphneServer) -> str:
    assert server.log_path is not None
    return Path(server.log_path).read_text(errors="replace")


def assert_no_tracebacks(*servers: DaphneServer) -> None:
    for server in servers:
        log = full_log(server)
        assert "Traceback" not in log, log[-6000:]


def open_until_accepted(
    client: LiveClient,
    path: str,
    first: Callable[[dict[str, Any]], bool],
    timeout: float,
) -> tuple[ClientConnection, dict[str, Any]]:
    """Reconnect as a client does (a 4503 close means: try again) until the first
    frame satisfies `first`; returns the socket and that frame."""
    deadline = time.monotonic() + timeout
    while True:
        ws = client.websocket(path)
        try:
            frame = json.loads(ws.recv(timeout=10))
            if first(frame):
                return ws, frame
            assert frame.get("code") == CLOSE_TRY_AGAIN, frame
        except ConnectionClosed:
            pass
        ws.close()
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was not accepted in {timeout} s")
        time.sleep(0.2)


def refused_with_try_again(ws: ClientConnection) -> dict[str, Any]:
    """The frames of a socket refused with "try again": an error frame naming 4503,
    then the close with 4503."""
    frame = json.loads(ws.recv(timeout=10))
    assert (frame["type"], frame.get("code")) == ("error", CLOSE_TRY_AGAIN), frame
    closed_with(ws, CLOSE_TRY_AGAIN)
    return frame


def closed_with(ws: ClientConnection, code: int, timeout: float = 10) -> list[dict]:
    """Read until the server closes the socket; assert its code. The frames read."""
    frames = []
    try:
        while True:
            frames.append(json.loads(ws.recv(timeout=timeout)))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == code, (closed, frames)
    return frames
