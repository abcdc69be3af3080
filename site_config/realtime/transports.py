"""How a consumer's frames reach its socket: the one module that may use private
internals of daphne, Twisted and autobahn (docs/adr/0002-daphne-direct-write.md).

Two transports, one rule: `push(frame)` never waits, and a connection whose unsent
backlog exceeds PARLOUR_WS_MAX_BACKLOG_BYTES is closed with code 4008 ("too slow,
reconnect and catch up") instead of buffering without bound or stalling the room.

- `OutboxTransport` (any ASGI server): a bounded per-connection outbox drained by one
  writer task through Channels' public `send`.
- `DaphneDirectTransport` (daphne, plain TCP, no compression): a server-to-client
  frame is the same bytes for every recipient, so the hub's one framing is written
  straight to the connection's Twisted transport, batched per loop pass, instead of
  going through Channels, daphne's reply path and autobahn's framing once per member.
  It reads autobahn's `_perMessageCompress` and Twisted's `dataBuffer`, `offset`,
  `_tempDataLen` and `socket`: pinned versions (pyproject.toml), a switch
  (PARLOUR_WS_DIRECT_WRITE=0), a start-up log line naming the active path, and a live
  test (tests/site/test_transports_live.py) that fails when it silently goes inactive.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

from django.conf import settings

from site_config.realtime.protocol import wire_bytes

logger = logging.getLogger(__name__)

# Application close code for a connection that cannot keep up (4000-4999 range).
SLOW_CLOSE_CODE = 4008
SLOW_CLOSE_REASON = "Too slow to keep up; reconnect to catch up."

# The versions whose internals DaphneDirectTransport was written and tested against;
# outside them it stays off (and says so at start-up). Keep in step with pyproject.
SUPPORTED = {
    "daphne": ((4, 2), (4, 3)),
    "twisted": ((24, 3), (27, 0)),
    "autobahn": ((23, 0), (27, 0)),
}

DIRECT = "daphne-direct"
OUTBOX = "outbox"


def max_backlog_bytes() -> int:
    """Unsent bytes one connection may queue before it is closed as too slow."""
    return int(settings.PARLOUR_WS_MAX_BACKLOG_BYTES)


def _version(package: str) -> tuple[int, ...] | None:
    try:
        raw = metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
    parts: list[int] = []
    for piece in raw.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@functools.cache
def direct_write_blocker() -> str | None:
    """Why the daphne direct-write path is off in this process, or None if on."""
    if not settings.PARLOUR_WS_DIRECT_WRITE:
        return "switched off (PARLOUR_WS_DIRECT_WRITE=0)"
    for package, (low, high) in SUPPORTED.items():
        found = _version(package)
        if found is None:
            return f"{package} is not installed"
        if not low <= found < high:
            shown = ".".join(map(str, found))
            return f"{package} {shown} is outside the tested range"
    return None


def log_configuration() -> None:
    """The start-up line naming the active path."""
    blocker = direct_write_blocker()
    if blocker is None:
        versions = ", ".join(f"{name} {metadata.version(name)}" for name in SUPPORTED)
        logger.info(
            "realtime transport: %s under daphne, %s elsewhere (%s)",
            DIRECT,
            OUTBOX,
            versions,
        )
    else:
        logger.info("realtime transport: %s (%s is off: %s)", OUTBOX, DIRECT, blocker)


_reported: set[str] = set()


def _report_once(name: str, detail: str) -> None:
    """Log the first connection's transport: the proof that the path is active."""
    if name not in _reported:
        _reported.add(name)
        logger.info("realtime transport for WebSockets: %s (%s)", name, detail)


class Transport(ABC):
    """Frames to one socket, in order; `push` never waits."""

    name = OUTBOX
    closed = False

    def __init__(self, on_slow: Callable[[], None]) -> None:
        self.on_slow = on_slow

    @abstractmethod
    def push(self, frame: str) -> None:
        """Queue `frame`, or close the connection as too slow; never waits."""

    @abstractmethod
    async def flush(self) -> None:
        """Let frames pushed so far leave before a close (bounded wait)."""

    def close_slow(self) -> bool:
        """Close with SLOW_CLOSE_CODE at transport level; False if the caller must."""
        return False

    @abstractmethod
    def release(self) -> None:
        """The socket is gone: drop what waits."""


class OutboxTransport(Transport):
    """Any ASGI server: a bounded outbox drained by one writer task."""

    def __init__(
        self, send: Callable[[str], Awaitable[None]], on_slow: Callable[[], None]
    ) -> None:
        super().__init__(on_slow)
        self.send = send
        self.outbox: deque[str] = deque()
        self.outbox_bytes = 0
        self.writer: asyncio.Task[None] | None = None
        self.limit = max_backlog_bytes()

    def push(self, frame: str) -> None:
        if self.closed:
            return
        self.outbox.append(frame)
        self.outbox_bytes += len(frame)
        if self.outbox_bytes > self.limit:
            self.on_slow()
            return
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self.drain())

    async def drain(self) -> None:
        while self.outbox and not self.closed:
            frame = self.outbox.popleft()
            self.outbox_bytes -= len(frame)
            try:
                await self.send(frame)
            except Exception:  # the socket went away; disconnect() follows
                logger.debug("frame not sent: the socket is gone", exc_info=True)
                break
        self.release()

    async def flush(self) -> None:
        writer = self.writer
        if writer is not None and not writer.done():
            await asyncio.wait({writer}, timeout=2)

    def release(self) -> None:
        self.outbox.clear()
        self.outbox_bytes = 0
        if self.closed and self.writer is not None:
            self.writer.cancel()


class DaphneDirectTransport(Transport):
    """daphne, plain TCP: the hub's bytes straight to the Twisted transport."""

    name = DIRECT

    def __init__(self, protocol: Any, on_slow: Callable[[], None]) -> None:
        super().__init__(on_slow)
        self.protocol = protocol
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.flush_scheduled = False
        self.limit = max_backlog_bytes()

    def usable(self) -> bool:
        protocol = self.protocol
        return protocol.state == protocol.STATE_OPEN and not getattr(
            protocol, "_perMessageCompress", None
        )

    def push(self, frame: str) -> None:
        if self.closed:
            return
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return  # closing: the client catches up when it reconnects
        wire = wire_bytes(frame)
        pending = self.pending_bytes + len(wire)
        if backlog(protocol.transport) + pending > self.limit:
            self.on_slow()
            return
        # Frames pushed during one pass of the event loop leave in one write (one
        # syscall per socket per burst, not one per frame).
        self.pending.append(wire)
        self.pending_bytes = pending
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.write_pending)

    def write_pending(self) -> None:
        self.flush_scheduled = False
        chunks, self.pending = self.pending, []
        self.pending_bytes = 0
        protocol = self.protocol
        # After the close frame (state CLOSING) nothing more may go out.
        if not chunks or protocol.state != protocol.STATE_OPEN:
            return
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        transport = protocol.transport
        if backlog(transport) == 0 and transport.connected:
            # Nothing queued in Twisted: hand the bytes to the kernel now instead
            # of arming a writer callback (two epoll_ctl calls and a loop pass).
            try:
                sent = transport.socket.send(data)
            except OSError:
                sent = 0  # Twisted's own write below reports a broken socket
            if sent == len(data):
                return
            data = data[sent:]
        transport.write(data)

    async def flush(self) -> None:
        if self.pending:
            self.write_pending()

    def close_slow(self) -> bool:
        self.pending, self.pending_bytes = [], 0
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return False
        # autobahn queues the close frame and aborts the connection if the client
        # does not answer within its close handshake timeout.
        protocol.sendClose(code=SLOW_CLOSE_CODE, reason=SLOW_CLOSE_REASON)
        return True

    def release(self) -> None:
        self.pending, self.pending_bytes = [], 0


def backlog(transport: Any) -> int:
    """Bytes a Twisted transport holds that the kernel has not accepted yet."""
    try:
        return int(
            len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        )
    except AttributeError:
        return 0


def daphne_protocol(send: Any) -> Any:
    """The daphne WebSocket protocol behind an ASGI `send`, or None.

    daphne passes `partial(server.handle_reply, protocol)`; Channels' session
    middleware wraps it in a bound method whose object keeps it as `real_send`.
    Only a plain TCP transport qualifies: behind TLS the backlog is not visible.
    """
    for _ in range(8):
        if isinstance(send, functools.partial):
            for arg in send.args:
                transport = getattr(arg, "transport", None)
                if (
                    hasattr(arg, "sendClose")
                    and hasattr(arg, "STATE_OPEN")
                    and getattr(transport, "TLS", True) is False
                    and hasattr(transport, "socket")
                    and hasattr(transport, "_tempDataLen")
                    and hasattr(transport, "dataBuffer")
                ):
                    return arg
            return None
        inner = getattr(getattr(send, "__self__", None), "real_send", None)
        if inner is None:
            return None
        send = inner
    return None


def served_by_daphne(send: Any) -> bool:
    """Whether daphne is the server behind `send` (whatever we can reach of it)."""
    for _ in range(8):
        if isinstance(send, functools.partial):
            return "daphne" in type(getattr(send.func, "__self__", None)).__module__
        inner = getattr(getattr(send, "__self__", None), "real_send", None)
        if inner is None:
            return False
        send = inner
    return False


def transport_for(
    base_send: Any,
    send_text: Callable[[str], Awaitable[None]],
    on_slow: Callable[[], None],
) -> Transport:
    """The transport of a new connection: direct under daphne when allowed."""
    if direct_write_blocker() is None:
        protocol = daphne_protocol(base_send)
        if protocol is not None:
            transport = DaphneDirectTransport(protocol, on_slow)
            if transport.usable():
                _report_once(DIRECT, "frames written straight to Twisted")
                return transport
        elif served_by_daphne(base_send) and not _reported & {DIRECT, "inactive"}:
            # Expected to work here and does not: say so, loudly, once.
            _reported.add("inactive")
            logger.warning(
                "realtime transport: %s is on but inactive under daphne "
                "(internals changed?); using the %s",
                DIRECT,
                OUTBOX,
            )
    _report_once(OUTBOX, "Channels' send, one writer task per socket")
    return OutboxTransport(send_text, on_slow)
