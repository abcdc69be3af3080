"""The embedded mode's channel layer: Channels' in-memory layer, with its housekeeping
paced.

Channels' `InMemoryChannelLayer` sweeps every channel and every group for expired
messages and memberships on each `group_send` and `receive`, and fans a group send
out through one task per member. With the hub (one layer channel per process) every
room event costs two such sweeps over all of the process's channels: 20% of the event
loop's time in the chess move profile (docs/performance.md). Here the sweep runs at
most once per `clean_interval` seconds (expiry is in tens of seconds, so it is at
most that much late), and a group send puts the message on each member's queue
directly, in order, then yields once to let the receivers run. Capacity, expiry
and the `ChannelFull` rule are Channels' own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from channels import layers
from channels.exceptions import ChannelFull


class InMemoryChannelLayer(layers.InMemoryChannelLayer):
    clean_interval = 1.0
    _cleaned_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            # As in Channels' layer, a member whose queue is full misses it.
            with contextlib.suppress(ChannelFull):
                await self.send(channel, message)
        # Let the receivers run, as Channels' task-per-member send does: a burst of
        # sends from one coroutine interleaves with their delivery.
        await asyncio.sleep(0)

    async def flush(self) -> None:
        await super().flush()
        self._cleaned_at = float("-inf")
