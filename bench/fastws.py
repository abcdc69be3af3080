"""A minimal WebSocket client (RFC 6455) for the chat load's receivers.

At 500 clients and 100 messages/s the chat load receives 50,000 frames a second in one
process, on the same cores as the servers it measures. The `websockets` client spends
about 20 us of CPU per received frame (its frame parser, a queue, a task wake-up per
frame); at that cost the load generator, not the server, caps the deliveries per
second (one core at 50,000/s) and takes the CPU the servers need. This client parses
frames straight out of the bytes the transport hands over (several frames per read)
and gives each text frame's payload, as bytes, to a callback: a few us per frame.

Scope, on purpose: a client for 127.0.0.1 (no TLS), no extensions (no compression,
as daphne negotiates none), text and binary frames (fragmented ones reassembled),
ping answered with pong, the close handshake. Frames it sends are masked as the RFC
requires. Stdlib only.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (FIN set)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    if n:
        key = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(
            n, "big"
        )
    else:
        masked = b""
    return head + mask + masked


class FastSocket(asyncio.Protocol):
    """One client connection. `on_message(payload, arrived_ns)` is called for every
    complete text or binary message, in order, from the event loop."""

    def __init__(
        self,
        request: bytes,
        on_message: Callable[[bytes, int], None] | None,
        max_size: int,
    ) -> None:
        self.request = request
        self.on_message = on_message
        self.max_size = max_size
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self.upgraded = False
        self.buf = bytearray()
        self.fragments: list[bytes] = []
        self.close_sent = False
        # the code of a close the server started (None while open or if we closed)
        self.server_close_code: int | None = None
        self.close_code: int | None = None

    # -- asyncio.Protocol --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    self._fail(ConnectionError("handshake response too long"))
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            del self.buf[: end + 4]
            status = head.split("\r\n", 1)[0].split()
            if len(status) < 2 or status[1] != "101":
                self._fail(ConnectionError(f"handshake refused: {head[:200]!r}"))
                return
            self.upgraded = True
            if not self.opened.done():
                self.opened.set_result(None)
        self._frames(time.monotonic_ns())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_code is None:
            self.close_code = 1006
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("connection lost"))
        if not self.lost.done():
            self.lost.set_result(None)

    # -- frames ------------------------------------------------------------------

    def _frames(self, arrived: int) -> None:
        buf = self.buf
        while True:
            n = len(buf)
            if n < 2:
                return
            b0, b1 = buf[0], buf[1]
            length = b1 & 0x7F
            pos = 2
            if length == 126:
                if n < 4:
                    return
                length = int.from_bytes(buf[2:4], "big")
                pos = 4
            elif length == 127:
                if n < 10:
                    return
                length = int.from_bytes(buf[2:10], "big")
                pos = 10
            if length > self.max_size:
                self._fail(ConnectionError(f"frame of {length} bytes"))
                return
            mask = b""
            if b1 & 0x80:  # servers must not mask; accept it anyway
                if n < pos + 4:
                    return
                mask = bytes(buf[pos : pos + 4])
                pos += 4
            end = pos + length
            if n < end:
                return
            payload = bytes(buf[pos:end])
            del buf[:end]
            if mask:
                key = (mask * (length // 4 + 1))[:length]
                payload = (
                    int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")
                ).to_bytes(length, "big")
            opcode = b0 & 0x0F
            if opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                if not b0 & 0x80:  # not the last fragment
                    self.fragments.append(payload)
                    continue
                if self.fragments:
                    payload = b"".join([*self.fragments, payload])
                    self.fragments.clear()
                if self.on_message is not None:
                    self.on_message(payload, arrived)
            elif opcode == OP_PING:
                self._write(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close_code = code
                if not self.close_sent:
                    self.server_close_code = code
                    self._write(OP_CLOSE, payload[:2])
                    self.close_sent = True
                if self.transport is not None:
                    self.transport.close()
                return

    def _write(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(opcode, payload))

    def _fail(self, exc: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    # -- API -----------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return (
            self.upgraded
            and not self.close_sent
            and self.transport is not None
            and not self.transport.is_closing()
        )

    async def send(self, text: str) -> None:
        if not self.is_open:
            raise ConnectionError("the socket is closed")
        self._write(OP_TEXT, text.encode())

    async def close(self, code: int = 1000, wait: float = 5.0) -> None:
        """The close handshake: send a close frame, wait for the server's, hang up."""
        if self.is_open:
            self._write(OP_CLOSE, code.to_bytes(2, "big"))
            self.close_sent = True
        try:
            await asyncio.wait_for(asyncio.shield(self.lost), wait)
        except TimeoutError:
            pass
        finally:
            if self.transport is not None:
                self.transport.abort()


async def connect(
    url: str,
    *,
    origin: str,
    cookie: str | None = None,
    on_message: Callable[[bytes, int], None] | None = None,
    open_timeout: float = 60.0,
    max_size: int = 2**22,
) -> FastSocket:
    """Open `url` (ws://host:port/path) and return the upgraded connection."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {origin}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(
        loop.create_connection(
            lambda: FastSocket(request, on_message, max_size), host, port
        ),
        open_timeout,
    )
    try:
        await asyncio.wait_for(asyncio.shield(proto.opened), open_timeout)
    except BaseException:
        if proto.transport is not None:
            proto.transport.abort()
        raise
    return proto
