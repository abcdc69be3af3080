"""The socket path's message writer: persists chat messages in batches on one
dedicated thread, then publishes them in id order.

Why not `database_sync_to_async` per message: with CONN_MAX_AGE = 0 (Django's advice
under ASGI) every call opens and closes a database connection, which costs more than
the insert itself, and one transaction per message caps a room at a few dozen
messages a second. Here one thread per process owns one long-lived connection, and
every message that arrives while a batch is being written goes into the next batch
(one transaction, one room check). The event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection

from chat import services
from chat.models import room_group
from chat.services import MessageDraft
from site_config.realtime import publish

logger = logging.getLogger(__name__)

BATCH_MAX = 200
# The writer's connection is closed after this many idle seconds, so a quiet
# process holds no database connection (and a test database can be dropped).
IDLE_CLOSE_SECONDS = 5.0

_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        # One thread: batches are written in order, and its connection is reused.
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-writer")
    return _executor


def _close_own_connection() -> None:
    # Runs on the writer thread: `connection` resolves to that thread's own.
    connection.close()


def close_connection() -> None:
    """Close the writer thread's database connection now (waits for it)."""
    if _executor is not None:
        _executor.submit(_close_own_connection).result(timeout=10)


def write_batch(drafts: list[MessageDraft]) -> list[dict[str, Any] | ValidationError]:
    """Runs on the writer thread. A dropped connection (database restart, idle
    timeout) is replaced once; anything else fails the batch."""
    try:
        return services.message_post_batch(drafts=drafts)
    except (OperationalError, InterfaceError):
        logger.warning("chat writer: database connection lost; reconnecting")
        connection.close()
        return services.message_post_batch(drafts=drafts)


class MessageWriter:
    """Per event loop: queued drafts, and the task that writes and publishes them."""

    def __init__(self) -> None:
        self.pending: list[tuple[MessageDraft, asyncio.Future[dict[str, Any]]]] = []
        self.task: asyncio.Task[None] | None = None
        self.idle: asyncio.TimerHandle | None = None

    def submit(self, draft: MessageDraft) -> asyncio.Future[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.pending.append((draft, future))
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        if self.task is None or self.task.done():
            self.task = loop.create_task(self.run())
        return future

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.pending:
            batch, self.pending = self.pending[:BATCH_MAX], self.pending[BATCH_MAX:]
            try:
                results = await loop.run_in_executor(
                    executor(), write_batch, [draft for draft, _ in batch]
                )
            except Exception as exc:
                logger.exception("chat writer: a batch of %d failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (draft, future), result in zip(batch, results, strict=True):
                if isinstance(result, ValidationError):
                    if not future.done():
                        future.set_exception(result)
                    continue
                # Persisted first, then published, in id order within the process.
                try:
                    await publish(room_group(draft.room_id), result)
                except Exception as exc:  # the layer is down: tell the sender
                    logger.exception("chat writer: publish failed")
                    if not future.done():
                        future.set_exception(exc)
                    continue
                if not future.done():
                    future.set_result(result)
        self.idle = loop.call_later(IDLE_CLOSE_SECONDS, self.close_if_idle, loop)

    def close_if_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        self.idle = None
        if not self.pending and (self.task is None or self.task.done()):
            loop.run_in_executor(executor(), _close_own_connection)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MessageWriter] = (
    weakref.WeakKeyDictionary()
)


async def message_post(draft: MessageDraft) -> dict[str, Any]:
    """Persist and publish one message; returns its payload once it is out.

    Raises ValidationError when the message is refused (nothing is published).
    """
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = MessageWriter()
    return await writer.submit(draft)
