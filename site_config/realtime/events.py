"""The one event pipeline: services return domain events and hand them to
`publish_on_commit`, which encodes each once and sends it to the hub after COMMIT.

A domain event is a plain dataclass with a class-level `name` (`"<app>.<event>"`)
and a `payload()` giving the JSON object clients receive. Where the committed work
ran decides how the frame leaves: on a socket path's database thread
(`tasks.run_in_db`) frames are collected and published by the event loop once the
call returns; anywhere else (an HTTP view, the admin, a management command) they
are sent through the channel layer from that thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Protocol

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from site_config.realtime.protocol import encode

logger = logging.getLogger(__name__)

# The channel-layer message type of every hub envelope.
HUB_MESSAGE = "hub.frame"


class Event(Protocol):
    """What services return and publish: a named, JSON-serialisable fact."""

    name: ClassVar[str]

    def payload(self) -> dict[str, Any]: ...


# (group, event name, encoded frame) waiting for the event loop to send.
Outgoing = tuple[str, str, str]

_local = threading.local()


@contextmanager
def collecting() -> Iterator[list[Outgoing]]:
    """Collect, instead of sending, what this thread publishes inside the block."""
    outer = getattr(_local, "collector", None)
    collected: list[Outgoing] = []
    _local.collector = collected
    try:
        yield collected
    finally:
        _local.collector = outer


def envelope(group: str, name: str, frame: str) -> dict[str, str]:
    """The typed channel-layer message the hub of every process reads."""
    return {"type": HUB_MESSAGE, "group": group, "event": name, "frame": frame}


def publish_on_commit(group: str, event: Event, *, using: str | None = None) -> None:
    """Publish `event` to every socket of `group`, once the current transaction
    commits (at once outside one); dropped if it rolls back."""
    frame = encode(event.payload())
    outgoing = (group, event.name, frame)
    transaction.on_commit(lambda: _send(outgoing), using=using)


def _send(outgoing: Outgoing) -> None:
    collector = getattr(_local, "collector", None)
    if collector is not None:
        collector.append(outgoing)
        return
    try:
        async_to_sync(send)(*outgoing)
    except Exception as error:
        # The write is committed; a layer outage must not turn it into a failure.
        # Sockets catch up when they reconnect or resync. One line, no traceback.
        logger.warning(
            "could not publish %s to %s (%s: %s)",
            outgoing[1],
            outgoing[0],
            type(error).__name__,
            " ".join(str(error).split())[:300],
        )


async def send(group: str, name: str, frame: str) -> None:
    """Hand one encoded event to the hub of every process (async code)."""
    await get_channel_layer().group_send(group, envelope(group, name, frame))


async def publish(group: str, event: Event) -> None:
    """Publish from async code with nothing to commit (e.g. a typing notice)."""
    await send(group, event.name, encode(event.payload()))


async def send_all(outgoing: list[Outgoing]) -> None:
    """Send what a database call collected, in the order it was committed."""
    for item in outgoing:
        await send(*item)
