"""The socket path's message writer: persists chat messages in batches on the chat's
database thread (docs/adr/0005-batched-chat-inserts.md).

Every message that arrives while a batch is being written goes into the next batch
(one transaction, one room check), on one long-lived connection. The batch service
publishes each stored message on commit; the database thread sends them, in id
order, before the senders hear back. The event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from chat import services
from chat.services import MessageDraft
from site_config.realtime.tasks import DatabaseThread, per_loop

logger = logging.getLogger(__name__)

BATCH_MAX = 200

# Every database call of the chat's sockets runs here, in arrival order.
chat_db = DatabaseThread("chat-db")


class MessageWriter:
    """Per event loop: queued drafts, and the task that writes them."""

    def __init__(self) -> None:
        self.pending: list[tuple[MessageDraft, asyncio.Future[dict[str, Any]]]] = []
        self.task: asyncio.Task[None] | None = None

    def submit(self, draft: MessageDraft) -> asyncio.Future[dict[str, Any]]:
        """The draft's payload once stored; its ValidationError if refused."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.pending.append((draft, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self.run())
        return future

    async def run(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:BATCH_MAX], self.pending[BATCH_MAX:]
            results: list[services.PostResult] | list[Exception]
            try:
                results = await chat_db.run(
                    services.message_post_batch, drafts=[draft for draft, _ in batch]
                )
            except Exception as exc:  # the database, or publishing, failed
                logger.exception("chat writer: a batch of %d failed", len(batch))
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # the sender went away
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


writer = per_loop(MessageWriter)


async def message_post(draft: MessageDraft) -> dict[str, Any]:
    """Persist one message (published to its room on commit); returns its payload,
    or the original's for a client id used before.

    Raises ValidationError when the message is refused (nothing is published).
    """
    return await writer().submit(draft)
