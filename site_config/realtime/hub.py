"""The per-process fan-out hub.

With plain Channels every member of a group has its own layer channel, so one room
event becomes N layer messages, N dispatches and N JSON encodings, and the layer
silently drops messages for a channel over its capacity. Here each process joins a
group once, with one channel of its own: an event is encoded once, crosses the layer
once per process, and reaches each local socket as the same encoded frame
(docs/adr/0001-per-process-hub.md).

The hub also knows whether the layer works. Every few seconds (and after a publish
failed) it sends a probe to its own channel and waits for it to come back; while
probes fail (Redis down) its sockets are closed with the "try again" code and new
joins are refused, so no socket sits open missing events. The first probe that
comes back ends the outage; clients reconnect and catch up (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from typing import Any, Protocol

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings

from site_config.realtime.events import HUB_MESSAGE

logger = logging.getLogger(__name__)


# The layer message a hub sends itself to learn whether the layer works.
PROBE_MESSAGE = "hub.probe"
# How long a probe may take to come back before the layer counts as down.
PROBE_TIMEOUT_SECONDS = 2.0


class LayerUnavailable(Exception):
    """The channel layer cannot carry events right now (e.g. Redis is down)."""


class Member(Protocol):
    """What the hub delivers to. `hub_event` must not wait: one slow socket must
    never stall the room. `layer_lost` is called once when the layer stops
    carrying events; the member must close (its client reconnects later)."""

    def hub_event(self, event: str, frame: str) -> None: ...

    def layer_lost(self) -> None: ...


def probe_interval() -> float:
    """Seconds between two probes of the layer while the hub has members; 0: only
    after a failed publish."""
    return float(getattr(settings, "PARLOUR_LAYER_PROBE_SECONDS", 2.0))


class Hub:
    """Per event loop and channel layer: which local sockets are in which group."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[Member]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.prober: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        # False from a failed probe or publish until a probe comes back.
        self.healthy = True
        self.probes: dict[str, asyncio.Future[None]] = {}

    async def join(self, group: str, member: Member) -> None:
        """Add a local member to `group`; LayerUnavailable while the layer is down
        (the caller closes its socket with the "try again" code)."""
        async with self.lock:
            try:
                await self._open()
                if not self.healthy:
                    # Known down: a subscription may "succeed" on a dead
                    # connection, so only a probe that comes back ends the outage.
                    await self._probe()
                    self._mark_healthy()
                members = self.members.get(group)
                if members is None:
                    await self.layer.group_add(group, self.channel)
                    members = self.members[group] = set()
            except LayerUnavailable:
                raise
            except Exception as exc:
                self._mark_down(f"joining {group} failed: {exc!r}")
                raise LayerUnavailable(str(exc)) from exc
            members.add(member)

    async def _open(self) -> None:
        """This hub's own channel, and the tasks that read and probe it."""
        if self.channel is None:
            # The default prefix: the Redis core layer serves every process-local
            # channel from one list per prefix, so a custom prefix never arrives.
            self.channel = await self.layer.new_channel()
        loop = asyncio.get_running_loop()
        if self.reader is None or self.reader.done():
            self.reader = loop.create_task(self.read())
        if probe_interval() > 0 and (self.prober is None or self.prober.done()):
            self.prober = loop.create_task(self.watch())

    async def check(self) -> None:
        """A round trip through the layer (the readiness probe); raises
        LayerUnavailable if it does not come back."""
        async with self.lock:
            try:
                await self._open()
            except Exception as exc:
                raise LayerUnavailable(str(exc)) from exc
            await self._probe()
            self._mark_healthy()

    async def _probe(self) -> None:
        """Send a probe to this hub's channel and wait for the reader to see it."""
        assert self.channel is not None
        token = secrets.token_hex(8)
        arrived = self.probes[token] = asyncio.get_running_loop().create_future()
        try:
            await self.layer.send(self.channel, {"type": PROBE_MESSAGE, "token": token})
            await asyncio.wait_for(arrived, PROBE_TIMEOUT_SECONDS)
        except Exception as exc:
            raise LayerUnavailable(f"probe failed: {exc!r}") from exc
        finally:
            self.probes.pop(token, None)

    async def watch(self) -> None:
        """While the hub has members: probe the layer every few seconds."""
        while True:
            await asyncio.sleep(probe_interval())
            if not self.members:
                continue
            try:
                await self._probe()
            except LayerUnavailable as exc:
                self._mark_down(str(exc))
            else:
                self._mark_healthy()

    def publish_failed(self, error: BaseException) -> None:
        """A publish through the layer failed: treat the layer as down now."""
        self._mark_down(f"publishing failed: {error!r}")

    def _mark_down(self, why: str) -> None:
        """Close every local member with "try again" (once per outage): an open
        socket would silently miss what other processes publish meanwhile."""
        was_healthy, self.healthy = self.healthy, False
        if not was_healthy:
            return  # its members were told; no new ones joined since
        members = {member for group in self.members.values() for member in group}
        logger.warning(
            "channel layer unavailable (%s); closing %d sockets with try again",
            why,
            len(members),
        )
        for member in members:
            try:
                member.layer_lost()
            except Exception:  # one broken socket must not keep the others open
                logger.exception("closing a member after a layer outage failed")

    def _mark_healthy(self) -> None:
        if not self.healthy:
            self.healthy = True
            logger.warning("channel layer available again")

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
                if self.prober is not None:
                    self.prober.cancel()
                    self.prober = None
                # A cancelled receive makes the Pub/Sub layer unsubscribe and forget
                # the channel; the next join must take a new one.
                self.channel = None
            if channel is not None:
                try:
                    await self.layer.group_discard(group, channel)
                except Exception as exc:  # expected during an outage: one line
                    logger.warning("could not leave %s on the layer: %r", group, exc)

    def local_count(self, group: str) -> int:
        return len(self.members.get(group, ()))

    async def read(self) -> None:
        assert self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the layer is down (the core Redis layer)
                self._mark_down(f"receiving failed: {exc!r}")
                await asyncio.sleep(0.5)
                continue
            kind = message.get("type")
            if kind == HUB_MESSAGE:
                self.deliver(message["group"], message["event"], message["frame"])
            elif kind == PROBE_MESSAGE:
                arrived = self.probes.get(message.get("token", ""))
                if arrived is not None and not arrived.done():
                    arrived.set_result(None)

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
