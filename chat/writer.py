"""The socket path's message writer: persists chat messages in batches on the chat's
database thread, then publishes them in id order.

Every message that arrives while a batch is being written goes into the next batch
(one transaction, one room check), on one long-lived connection (see
`site_config.dbthread` for why not `database_sync_to_async` per message). The event
loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from django.core.exceptions import ValidationError

from chat import services
from chat.models import room_group
from chat.services import MessageDraft
from site_config.dbthread import DatabaseThread
from site_config.realtime import publish

logger = logging.getLogger(__name__)

BATCH_MAX = 200

chat_db = DatabaseThread("chat-db")
close_connection = chat_db.close_connection


class MessageWriter:
    """Per event loop: queued drafts, and the task that writes and publishes them."""

    def __init__(self) -> None:
        self.pending: list[tuple[MessageDraft, asyncio.Future[dict[str, Any]]]] = []
        self.task: asyncio.Task[None] | None = None

    def submit(self, draft: MessageDraft) -> asyncio.Future[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.pending.append((draft, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self.run())
        return future

    async def run(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:BATCH_MAX], self.pending[BATCH_MAX:]
            try:
                results = await chat_db.run(
                    services.message_post_batch, drafts=[draft for draft, _ in batch]
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
