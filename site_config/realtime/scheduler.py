"""Timers keyed by what they are for: one per key per process (e.g. one flag timer
per chess game, however many of its sockets this process holds).

A timer here only decides *when this process looks*; what is due lives in the
database (e.g. a game's `flag_at`), so any process, or a page load, reaches the same
result, and a process that dies loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

from site_config.realtime.outages import log_failure
from site_config.realtime.tasks import per_loop, spawn

logger = logging.getLogger(__name__)


class Scheduler:
    """Per event loop: at most one pending callback per key."""

    def __init__(self) -> None:
        self.timers: dict[Hashable, asyncio.TimerHandle] = {}

    def at(
        self, key: Hashable, delay: float, callback: Callable[[], Awaitable[None]]
    ) -> None:
        """Run `callback()` after `delay` seconds, replacing the key's pending one."""
        self.cancel(key)
        loop = asyncio.get_running_loop()
        self.timers[key] = loop.call_later(max(delay, 0.0), self._fire, key, callback)

    def cancel(self, key: Hashable) -> None:
        handle = self.timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    def pending(self, key: Hashable) -> bool:
        return key in self.timers

    def _fire(self, key: Hashable, callback: Callable[[], Awaitable[None]]) -> None:
        self.timers.pop(key, None)
        spawn(self._run(key, callback))

    async def _run(
        self, key: Hashable, callback: Callable[[], Awaitable[None]]
    ) -> None:
        try:
            await callback()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the next state or page load looks again
            log_failure(logger, f"timer {key!r} failed", error)


scheduler = per_loop(Scheduler)
