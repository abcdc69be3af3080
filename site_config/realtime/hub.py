"""The per-process fan-out hub.

With plain Channels every member of a group has its own layer channel, so one room
event becomes N layer messages, N dispatches and N JSON encodings, and the layer
silently drops messages for a channel over its capacity. Here each process joins a
group once, with one channel of its own: an event is encoded once, crosses the layer
once per process, and reaches each local socket as the same encoded frame
(docs/adr/0001-per-process-hub.md).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Protocol

from channels.layers import BaseChannelLayer, get_channel_layer

from site_config.realtime.events import HUB_MESSAGE

logger = logging.getLogger(__name__)


class Member(Protocol):
    """What the hub delivers to. `hub_event` must not wait: one slow socket must
    never stall the room."""

    def hub_event(self, event: str, frame: str) -> None: ...


class Hub:
    """Per event loop and channel layer: which local sockets are in which group."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[Member]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()

    async def join(self, group: str, member: Member) -> None:
        async with self.lock:
            if self.channel is None:
                # The default prefix: the Redis core layer serves every process-local
                # channel from one list per prefix, so a custom prefix never arrives.
                self.channel = await self.layer.new_channel()
            members = self.members.get(group)
            if members is None:
                await self.layer.group_add(group, self.channel)
                members = self.members[group] = set()
            members.add(member)
            if self.reader is None or self.reader.done():
                self.reader = asyncio.get_running_loop().create_task(self.read())

    async def leave(self, group: str, member: Member) -> None:
        """Forget a local member; the last one of a group leaves the layer's group.

        Local state changes first, so a layer that fails (Redis down) costs only
        a stale subscription, never a member the hub keeps delivering to."""
        async with self.lock:
            members = self.members.get(group)
            if members is None:
                return
            members.discard(member)
            if members:
                return
            del self.members[group]
            channel = self.channel
            if not self.members and self.reader is not None:
                self.reader.cancel()
                self.reader = None
                # A cancelled receive makes the Pub/Sub layer unsubscribe and forget
                # the channel; the next join must take a new one.
                self.channel = None
            if channel is not None:
                try:
                    await self.layer.group_discard(group, channel)
                except Exception:
                    logger.warning(
                        "could not leave %s on the layer", group, exc_info=True
                    )

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
                logger.warning("hub receive failed; retrying", exc_info=True)
                await asyncio.sleep(0.1)
                continue
            if message.get("type") == HUB_MESSAGE:
                self.deliver(message["group"], message["event"], message["frame"])

    def deliver(self, group: str, event: str, frame: str) -> None:
        """Hand one event to every local member of `group`."""
        for member in list(self.members.get(group, ())):
            try:
                member.hub_event(event, frame)
            except Exception:  # one broken socket must not stall the room
                logger.exception("delivery to a member of %s failed", group)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Hub]] = (
    weakref.WeakKeyDictionary()
)


def get_hub(layer: Any = None) -> Hub:
    """This event loop's hub on `layer` (the default layer if None)."""
    layer = layer or get_channel_layer()
    per_loop = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = per_loop.get(id(layer))
    if hub is None or hub.layer is not layer:
        hub = per_loop[id(layer)] = Hub(layer)
    return hub
