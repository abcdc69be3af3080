"""Realtime plumbing shared by every consumer: a per-process fan-out hub and a JSON
consumer base that validates frames and answers bad input with error frames.

Why a hub: with plain Channels every member of a group has its own layer channel, so
one room event becomes N layer messages, N dispatches and N JSON encodings, and the
layer silently drops messages for any channel over its capacity. Here each process
joins a group once, with one channel of its own; an event is encoded once, crosses
the layer once per process, and is written to that process's local sockets as the
same pre-encoded text frame.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

HUB_EVENT = "hub.frame"


class ProtocolError(Exception):
    """Bad client input: answered with an error frame, the connection stays open."""


class FrameSink(Protocol):
    """What the hub delivers to: anything with `send_frame(text)`."""

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
                self.channel = await self.layer.new_channel(prefix="hub")
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
        for sink in list(self.members.get(group, ())):
            try:
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

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.hub_groups = set()
        await super().websocket_connect(message)

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

    async def send_frame(self, frame: str) -> None:
        if not self.closed:
            await self.send(text_data=frame)

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
        except ValueError:
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
