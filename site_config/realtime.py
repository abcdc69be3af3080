"""Realtime plumbing shared by every consumer: a per-process fan-out hub and a JSON
consumer base that validates frames and answers bad input with error frames.

Why a hub: with plain Channels every member of a group has its own layer channel, so
one room event becomes N layer messages, N dispatches and N JSON encodings, and the
layer silently drops messages for any channel over its capacity. Here each process
joins a group once, with one channel of its own; an event is encoded once, crosses
the layer once per process, and is written to that process's local sockets as the
same pre-encoded text frame.

Under daphne the frame is even framed once: a server-to-client WebSocket frame is the
same bytes for every recipient (no masking, no compression negotiated by daphne), so
the hub writes those bytes straight to each connection's Twisted transport instead of
going through Channels' send, daphne's reply path and autobahn's framing once per
member (the profile in docs/performance.md). The same spot enforces the slow-client
rule: a connection whose unsent backlog exceeds PARLOUR_WS_MAX_BACKLOG_BYTES is closed
with code 4008 (SLOW_CLOSE_CODE) instead of buffering without bound or stalling the
room; the client reconnects and catches up. On other ASGI servers each connection
gets a bounded outbox drained by its own writer task, with the same rule.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import struct
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

HUB_EVENT = "hub.frame"

# Close code for a connection that cannot keep up (application range 4000-4999):
# "too slow, reconnect and catch up".
SLOW_CLOSE_CODE = 4008
SLOW_CLOSE_REASON = "Too slow to keep up; reconnect to catch up."
DEFAULT_MAX_BACKLOG_BYTES = 1024 * 1024


def max_backlog_bytes() -> int:
    """Unsent bytes one connection may queue before it is closed as too slow."""
    return int(
        getattr(settings, "PARLOUR_WS_MAX_BACKLOG_BYTES", DEFAULT_MAX_BACKLOG_BYTES)
    )


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked, uncompressed WebSocket text frame (RFC 6455 5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class ProtocolError(Exception):
    """Bad client input: answered with an error frame, the connection stays open."""


class FrameSink(Protocol):
    """What the hub delivers to: anything with `send_frame(text)`.

    Sinks that also have a synchronous `push_frame(text, wire)` (JsonHubConsumer)
    get that instead: it never waits, so one slow socket cannot stall the room.
    """

    async def send_frame(self, frame: str) -> None: ...


class Hub:
    """Per event loop and channel layer: which local sockets are in which group."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[FrameSink]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()

    async def join(self, group: str, sink: FrameSink) -> None:
        async with self.lock:
            if self.channel is None:
                # The default prefix: the Redis core layer serves every process-local
                # channel from one list per prefix, so a custom prefix never arrives.
                self.channel = await self.layer.new_channel()
            members = self.members.get(group)
            if members is None:
                await self.layer.group_add(group, self.channel)
                members = self.members[group] = set()
            members.add(sink)
            if self.reader is None or self.reader.done():
                self.reader = asyncio.get_running_loop().create_task(self.read())

    async def leave(self, group: str, sink: FrameSink) -> None:
        async with self.lock:
            members = self.members.get(group)
            if members is None:
                return
            members.discard(sink)
            if members:
                return
            del self.members[group]
            if self.channel is not None:
                await self.layer.group_discard(group, self.channel)
            if not self.members and self.reader is not None:
                self.reader.cancel()
                self.reader = None
                # A cancelled receive makes the Pub/Sub layer unsubscribe and forget
                # the channel; the next join must take a new one.
                self.channel = None

    def local_count(self, group: str) -> int:
        return len(self.members.get(group, ()))

    async def read(self) -> None:
        assert self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a layer hiccup (e.g. Redis reconnecting)
                logger.exception("hub receive failed; retrying")
                await asyncio.sleep(0.1)
                continue
            if message.get("type") == HUB_EVENT:
                await self.deliver(message["group"], message["frame"])

    async def deliver(self, group: str, frame: str) -> None:
        members = self.members.get(group)
        if not members:
            return
        wire = text_frame(frame.encode())  # framed once, written to every member
        limit = max_backlog_bytes()  # settings read once per event, not per member
        for sink in list(members):
            try:
                if getattr(type(sink), "send_frame", None) is BASE_SEND_FRAME:
                    sink.push_frame(frame, wire, limit)  # type: ignore[attr-defined]
                elif isinstance(sink, JsonHubConsumer):
                    # A subclass hooks send_frame (e.g. to act on some events): call
                    # it, and let the base class queue the frame without waiting.
                    sink.hub_delivery = (wire, limit)
                    try:
                        await sink.send_frame(frame)
                    finally:
                        sink.hub_delivery = None
                else:
                    await sink.send_frame(frame)
            except Exception:  # one broken socket must not stall the room
                logger.exception("delivery to a member of %s failed", group)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Hub]] = (
    weakref.WeakKeyDictionary()
)


def get_hub(layer: BaseChannelLayer | None = None) -> Hub:
    layer = layer or get_channel_layer()
    per_loop = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = per_loop.get(id(layer))
    if hub is None or hub.layer is not layer:
        hub = per_loop[id(layer)] = Hub(layer)
    return hub


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


async def publish(group: str, payload: dict[str, Any] | str) -> None:
    """Send one event to every socket in `group`, on every process."""
    frame = payload if isinstance(payload, str) else encode(payload)
    await get_channel_layer().group_send(
        group, {"type": HUB_EVENT, "group": group, "frame": frame}
    )


def publish_sync(group: str, payload: dict[str, Any] | str) -> None:
    """`publish` for sync code: views, services after commit, admin actions."""
    async_to_sync(publish)(group, payload)


Handler = Callable[[dict[str, Any]], Awaitable[None]]


class JsonHubConsumer(AsyncWebsocketConsumer):
    """Base consumer: JSON frames in, `{"type": "error"}` frames for bad input.

    Subclasses set `handlers` by naming methods `handle_<type>` and join hub groups
    with `hub_join`. Frames over PARLOUR_MAX_FRAME_BYTES, non-JSON, non-objects,
    unknown types and handler `ProtocolError`s are answered with an error frame to
    the sender only; the connection stays open and nothing changes.
    """

    hub_groups: set[str]
    closed = False
    # daphne's protocol object for this connection (None on other servers).
    wire_protocol: Any = None
    # Generic-server path: frames waiting for the writer task, with their sizes.
    outbox: deque[tuple[str, asyncio.Future[None] | None]]
    outbox_bytes = 0
    writer: asyncio.Task[None] | None = None
    # daphne path: frames batched until the end of the current loop pass.
    wire_pending: list[bytes]
    wire_pending_bytes = 0
    flush_scheduled = False
    # Set by Hub.deliver around a subclass's send_frame override.
    hub_delivery: tuple[bytes, int] | None = None

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.hub_groups = set()
        self.outbox = deque()
        self.wire_pending = []
        self.wire_protocol = daphne_protocol(self.base_send)
        try:
            await super().websocket_connect(message)
        except BaseException:
            # connect() failed after joining: the hub must not keep delivering to
            # a consumer that will never be disconnected.
            self.closed = True
            for group in list(self.hub_groups):
                await self.hub_leave(group)
            raise

    # Channels runs close_old_connections() in a worker thread before every
    # handler: one thread hop (submit, wake-up, GIL hand-offs) per incoming frame,
    # 15% of the server's samples in the chat profile. Parlour consumers reach the
    # ORM only through database_sync_to_async, which does the same cleanup in its
    # own thread around each call, so the hop buys nothing. A subclass calling the
    # async ORM methods (`aget`, `acreate`...) directly sets this back to True.
    close_old_connections_per_message = False

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if self.close_old_connections_per_message:
            await aclose_old_connections()
        await handler(message)

    async def hub_join(self, group: str) -> None:
        await get_hub(self.channel_layer).join(group, self)
        self.hub_groups.add(group)

    async def hub_leave(self, group: str) -> None:
        self.hub_groups.discard(group)
        await get_hub(self.channel_layer).leave(group, self)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        for group in list(getattr(self, "hub_groups", ())):
            await self.hub_leave(group)
        if self.writer is not None:
            self.writer.cancel()
        if hasattr(self, "outbox"):
            self.release_outbox()

    async def send_frame(self, frame: str) -> None:
        """Send one text frame to this socket, in order with hub deliveries."""
        if self.closed:
            return
        delivery = self.hub_delivery
        if delivery is not None:  # from Hub.deliver: queue, never wait
            self.hub_delivery = None
            self.push_frame(frame, *delivery)
            return
        if self.outbox or not self.push_frame(frame):
            done = asyncio.get_running_loop().create_future()
            self.enqueue(frame, done)
            await done

    def push_frame(
        self, frame: str, wire: bytes | None = None, limit: int | None = None
    ) -> bool:
        """Write a frame now if the server allows it (daphne); never waits.

        Returns False when the frame was not written and the caller must queue it.
        Hub deliveries land here; a connection over its backlog limit is closed.
        """
        if self.closed:
            return True
        protocol = self.wire_protocol
        if protocol is None or self.outbox:
            if wire is not None:  # a hub delivery: queue it, never wait
                self.enqueue(frame, None)
                return True
            return False
        if protocol.state != protocol.STATE_OPEN or protocol._perMessageCompress:
            if protocol.state == protocol.STATE_OPEN:  # compressed: autobahn frames
                self.wire_protocol = None
                return self.push_frame(frame, wire)
            if protocol.state == protocol.STATE_CONNECTING:
                return self.queue_or_refuse(frame, wire)
            return True  # closing: the client catches up when it reconnects
        if wire is None:
            wire = text_frame(frame.encode())
        pending = self.wire_pending_bytes + len(wire)
        if transport_backlog(protocol.transport) + pending > (
            limit or max_backlog_bytes()
        ):
            self.drop_slow()
            return True
        # Batch: frames pushed during one pass of the event loop leave in one
        # write (one syscall per socket per burst, not one per frame).
        self.wire_pending.append(wire)
        self.wire_pending_bytes = pending
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush_wire)
        return True

    def flush_wire(self) -> None:
        """Write the batched frames straight to the socket (daphne path)."""
        self.flush_scheduled = False
        chunks, self.wire_pending = self.wire_pending, []
        self.wire_pending_bytes = 0
        protocol = self.wire_protocol
        # Frames accepted before a close still go out; after the close frame (state
        # CLOSING) nothing may, and the client catches up when it reconnects.
        if not chunks or protocol.state != protocol.STATE_OPEN:
            return
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        transport = protocol.transport
        if transport_backlog(transport) == 0 and transport.connected:
            # Nothing queued in Twisted: hand the bytes to the kernel now instead
            # of arming a writer callback (two epoll_ctl calls and a loop pass).
            try:
                sent = transport.socket.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                sent = 0  # Twisted's own write below reports the broken socket
            if sent == len(data):
                return
            data = data[sent:]
        transport.write(data)

    def queue_or_refuse(self, frame: str, wire: bytes | None) -> bool:
        if wire is None:
            return False
        self.enqueue(frame, None)
        return True

    def enqueue(self, frame: str, done: asyncio.Future[None] | None) -> None:
        """Generic-server path: bounded per-connection outbox, one writer task."""
        self.outbox.append((frame, done))
        self.outbox_bytes += len(frame)
        if self.outbox_bytes > max_backlog_bytes():
            self.drop_slow()
            return
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self.drain())

    async def drain(self) -> None:
        while self.outbox and not self.closed:
            frame, done = self.outbox.popleft()
            self.outbox_bytes -= len(frame)
            try:
                await self.send(text_data=frame)
            except Exception:  # the socket went away; disconnect() follows
                logger.debug("frame not sent: the socket is gone", exc_info=True)
                break
            finally:
                if done is not None and not done.done():
                    done.set_result(None)
        self.release_outbox()

    def release_outbox(self) -> None:
        while self.outbox:
            _, done = self.outbox.popleft()
            if done is not None and not done.done():
                done.set_result(None)
        self.outbox_bytes = 0

    def drop_slow(self) -> None:
        """Close a connection that cannot keep up; the room goes on without it."""
        if self.closed:
            return
        self.closed = True
        logger.info("closing a slow WebSocket (backlog over the limit)")
        self.release_outbox()
        self.wire_pending = []
        self.wire_pending_bytes = 0
        loop = asyncio.get_running_loop()
        protocol = self.wire_protocol
        if protocol is not None and protocol.state == protocol.STATE_OPEN:
            # autobahn queues the close frame and aborts the connection if the
            # client does not answer within its close handshake timeout.
            protocol.sendClose(code=SLOW_CLOSE_CODE, reason=SLOW_CLOSE_REASON)
        else:
            if self.writer is not None:
                self.writer.cancel()
            loop.create_task(self.close_slow())
        for group in list(self.hub_groups):
            loop.create_task(self.hub_leave(group))

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        if getattr(self, "wire_pending", None):
            self.flush_wire()  # frames pushed before the close go out before it
        await super().close(code=code, reason=reason)

    async def close_slow(self) -> None:
        await self.close(code=SLOW_CLOSE_CODE, reason=SLOW_CLOSE_REASON)

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send_frame(encode(payload))

    async def send_error(self, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "message": message, **extra})

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        limit = settings.PARLOUR_MAX_FRAME_BYTES
        if text_data is None:
            await self.send_error("Send JSON text frames, not binary frames.")
            return
        if len(text_data) > limit:  # characters >= bytes/4; exact check below
            await self.send_error(f"Frame too large (limit {limit} bytes).")
            return
        if len(text_data.encode()) > limit:
            await self.send_error(f"Frame too large (limit {limit} bytes).")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # deep nesting: a few KB of "["
            await self.send_error("Frames must be JSON objects.")
            return
        if not isinstance(content, dict):
            await self.send_error("Frames must be JSON objects.")
            return
        kind = content.get("type")
        handler = (
            getattr(self, f"handle_{kind}", None) if isinstance(kind, str) else None
        )
        if handler is None or not kind.isidentifier():
            await self.send_error(f"Unknown message type: {str(kind)[:40]!r}.")
            return
        try:
            await handler(content)
        except ProtocolError as exc:
            await self.send_error(str(exc))
        except Exception:
            # The socket stays open: one bad command must not cost the player the
            # connection (an uncaught exception would close it with 1011).
            logger.exception("handler %s failed", kind)
            await self.send_error("Something went wrong; please try again.")

    # Messages for this consumer's own channel (not via the hub) land here.
    async def hub_frame(self, event: dict[str, Any]) -> None:
        await self.send_frame(event["frame"])


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


def transport_backlog(transport: Any) -> int:
    """Bytes a Twisted transport holds that the kernel has not accepted yet."""
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    except AttributeError:
        return 0


BASE_SEND_FRAME = JsonHubConsumer.send_frame


def require_field(content: dict[str, Any], name: str, kind: type | tuple) -> Any:
    """Return `content[name]`, or raise ProtocolError if absent or of the wrong type."""
    if name not in content:
        raise ProtocolError(f"Missing field {name!r}.")
    value = content[name]
    # bool is an int in Python, never in our protocol.
    if isinstance(value, bool) and bool not in (
        kind if isinstance(kind, tuple) else (kind,)
    ):
        raise ProtocolError(f"Field {name!r} has the wrong type.")
    if not isinstance(value, kind):
        raise ProtocolError(f"Field {name!r} has the wrong type.")
    return value
