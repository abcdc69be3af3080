"""The chat sockets: `/ws/chat/<room>/` for a room and `/ws/chat/` for the room list.

The consumer is an adapter: it checks frames, calls `chat.services` off the event
loop, and publishes the returned events through the hub (encoded once per event,
one channel-layer message per process). See docs/protocol.md for every frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from chat import conf, events, selectors, services, writer
from chat.models import LOBBY_GROUP, room_group
from chat.services import MessageDraft
from site_config.dbthread import spawn
from site_config.identity import Identity, identity_from_scope
from site_config.realtime import JsonHubConsumer, ProtocolError, publish, require_field

logger = logging.getLogger(__name__)

CLOSE_NO_NAME = 4403
CLOSE_NO_ROOM = 4404
CLOSE_ROOM_CLOSED = 4410
CLIENT_ID_MAX = 64
# A join that failed on our side (database or channel layer down): retry later.
# Not 1013 (Try Again Later): daphne's autobahn lets applications send only 1000
# and 3000-4999.
CLOSE_TRY_AGAIN = 4503
UNAVAILABLE = "The chat is unavailable right now; reconnecting shortly."


class PresenceHeartbeat:
    """One task per event loop (i.e. per process) that keeps this process's presence
    rows fresh with a single UPDATE per interval and sweeps rows of dead processes."""

    def __init__(self) -> None:
        # Open sockets of this process: enough to recreate a swept presence row.
        self.connections: dict[str, services.OpenConnection] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, connection: str, room_id: int, identity: Identity) -> None:
        self.connections[connection] = services.OpenConnection(room_id, identity)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def discard(self, connection: str) -> None:
        self.connections.pop(connection, None)
        if not self.connections and self.task is not None:
            self.task.cancel()
            self.task = None

    async def run(self) -> None:
        while self.connections:
            await asyncio.sleep(conf.get("CHAT_PRESENCE_HEARTBEAT"))
            try:
                beating = dict(self.connections)
                changes = await database_sync_to_async(services.presence_heartbeat)(
                    connections=beating
                )
                for change in changes:
                    await events.presence_publish(change)
                # A socket that closed during the beat may just have had its row
                # recreated: remove it again (a no-op if disconnect() did).
                for connection in beating.keys() - self.connections.keys():
                    left = await database_sync_to_async(services.presence_leave)(
                        connection=connection
                    )
                    if left is not None:
                        await events.presence_publish(left)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly unavailable; try later
                logger.exception("presence heartbeat failed")


_heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceHeartbeat] = (
    weakref.WeakKeyDictionary()
)


def heartbeat() -> PresenceHeartbeat:
    loop = asyncio.get_running_loop()
    beat = _heartbeats.get(loop)
    if beat is None:
        beat = _heartbeats[loop] = PresenceHeartbeat()
    return beat


class ChatConsumer(JsonHubConsumer):
    """One visitor's connection to one room."""

    room_id: int | None = None
    connection: str | None = None
    room_closing = False
    accepted = False
    identity: Identity

    async def connect(self) -> None:
        try:
            await self.join_room()
        except Exception:
            # E.g. the database or the channel layer is down. Without this the
            # socket would die with 1011 and leave its hub membership and presence
            # row behind; instead undo them and ask the client to come back later.
            logger.exception("joining a chat room failed")
            await self.abandon_join()

    async def join_room(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["room"]
        self.sent: list[float] = []  # send times, for flood control
        self.last_typing = 0.0
        self.identity = await identity_from_scope(self.scope)
        room = await database_sync_to_async(selectors.room_get)(slug=slug)
        await self.accept()
        self.accepted = True
        # Refusals accept first so the client gets a readable reason it can show.
        if room is None:
            await self.refuse(CLOSE_NO_ROOM, "There is no such room.")
            return
        if room.is_closed:
            await self.refuse(CLOSE_ROOM_CLOSED, "This room is closed.")
            return
        if not self.identity.has_name:
            await self.refuse(CLOSE_NO_NAME, "Pick a display name first.")
            return
        self.room_id = room.pk
        self.group = room_group(room.pk)
        # Join the group before anything is read, so no event falls between the
        # client's resume query and the live stream (duplicates are dropped by id).
        await self.hub_join(self.group)
        self.connection = uuid.uuid4().hex
        change = await database_sync_to_async(services.presence_enter)(
            room_id=room.pk, connection=self.connection, identity=self.identity
        )
        heartbeat().add(self.connection, room.pk, self.identity)
        await self.send_json(
            {
                "type": "welcome",
                "room": room.slug,
                "name": self.identity.name,
                "members": change.members,
            }
        )
        await events.presence_publish(change)

    async def abandon_join(self) -> None:
        """Undo what a failed join did (each step may fail again), then close with
        CLOSE_TRY_AGAIN: the client reconnects and resumes."""
        connection, self.connection = self.connection, None
        self.room_id = None
        if connection is not None:
            heartbeat().discard(connection)
            try:
                await database_sync_to_async(services.presence_leave)(
                    connection=connection
                )
            except Exception:  # the row expires after CHAT_PRESENCE_TTL
                logger.warning("could not remove the presence of a failed join")
        for group in list(getattr(self, "hub_groups", ())):
            try:
                await self.hub_leave(group)
            except Exception:
                logger.warning("could not leave %s after a failed join", group)
        if self.closed:
            return
        if not self.accepted:
            await self.accept()
        await self.refuse(CLOSE_TRY_AGAIN, UNAVAILABLE)

    async def refuse(self, code: int, reason: str) -> None:
        await self.send_error(reason, code=code)
        await self.close(code=code, reason=reason)  # flushes the error frame first
        self.closed = True

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.connection is None:
            return
        heartbeat().discard(self.connection)
        change = await database_sync_to_async(services.presence_leave)(
            connection=self.connection
        )
        self.connection = None
        if change is not None:
            await events.presence_publish(change)

    def push_frame(
        self, frame: str, wire: bytes | None = None, limit: int | None = None
    ) -> bool:
        """Hub deliveries land here (see site_config.realtime); the one that
        says the room was closed also ends the connection once it is out."""
        written = super().push_frame(frame, wire, limit)
        if frame.startswith(events.ROOM_CLOSED_PREFIX) and not self.room_closing:
            self.room_closing = True
            spawn(self.close_room())
        return written

    async def close_room(self) -> None:
        # On servers other than daphne the frame may still wait in the outbox;
        # let its writer finish (bounded) so the reason arrives before the close.
        writer = getattr(self, "writer", None)
        if writer is not None and not writer.done():
            await asyncio.wait({writer}, timeout=2)
        if not self.closed:
            await self.close(code=CLOSE_ROOM_CLOSED, reason="This room is closed.")
            self.closed = True  # nothing more goes out; disconnect() cleans up

    # --- client messages ----------------------------------------------------------

    def joined_room(self) -> int:
        """The room id; frames that race a refusal's close get an error instead."""
        if self.room_id is None:
            raise ProtocolError("Not connected to a room.")
        return self.room_id

    async def handle_message(self, content: dict[str, Any]) -> None:
        # An optional client-chosen id, echoed to the sender alone: in a `sent`
        # acknowledgement or in the error that refused the message, so a client
        # with several messages in flight knows which one each answer is about.
        client_id = content.get("client_id")
        if client_id is not None and not (
            isinstance(client_id, str) and 1 <= len(client_id) <= CLIENT_ID_MAX
        ):
            raise ProtocolError(
                f"Field 'client_id' must be a string of 1 to {CLIENT_ID_MAX} "
                "characters."
            )
        try:
            payload = await self.post_message(content)
        except ProtocolError as exc:
            if client_id is None:
                raise
            await self.send_error(str(exc), client_id=client_id)
            return
        except Exception:
            if client_id is None:
                raise
            logger.exception("posting a chat message failed")
            await self.send_error(
                "Something went wrong; please try again.", client_id=client_id
            )
            return
        if client_id is not None:
            await self.send_json(
                {"type": "sent", "client_id": client_id, "id": payload["id"]}
            )

    async def post_message(self, content: dict[str, Any]) -> dict[str, Any]:
        room_id = self.joined_room()
        body = require_field(content, "body", str)
        self.check_flood()
        try:
            # Cheap checks first, on the loop: a refused body never queues.
            services.message_body_clean(body)
            payload = await writer.message_post(
                MessageDraft(room_id=room_id, identity=self.identity, body=body)
            )  # persisted, then published to the room (this socket included)
        except ValidationError as exc:
            raise ProtocolError(exc.messages[0]) from exc
        self.sent.append(time.monotonic())
        return payload

    def check_flood(self) -> None:
        wait = services.flood_wait(self.sent, time.monotonic())
        if wait:
            raise ProtocolError(services.flood_message(wait))

    async def handle_resume(self, content: dict[str, Any]) -> None:
        room_id = self.joined_room()
        after = require_field(content, "after", int)
        if after < 0:
            raise ProtocolError("Field 'after' must be a message id (0 or more).")
        messages, has_more = await database_sync_to_async(selectors.messages_after)(
            room_id=room_id,
            after=after,
            limit=conf.get_int("CHAT_RESUME_BATCH"),
        )
        await self.send_json(
            {
                "type": "backlog",
                "after": after,
                "messages": messages,
                "has_more": has_more,
            }
        )

    async def handle_history(self, content: dict[str, Any]) -> None:
        room_id = self.joined_room()
        before = require_field(content, "before", int)
        if before < 1:
            raise ProtocolError("Field 'before' must be a message id (1 or more).")
        messages, has_more = await database_sync_to_async(selectors.messages_before)(
            room_id=room_id,
            before=before,
            limit=conf.get_int("CHAT_PAGE_SIZE"),
        )
        await self.send_json(
            {
                "type": "history",
                "before": before,
                "messages": messages,
                "has_more": has_more,
            }
        )

    async def handle_typing(self, content: dict[str, Any]) -> None:
        # Relayed at most once per interval per connection whatever the client
        # sends; excess notices are dropped silently (they carry no content).
        self.joined_room()
        now = time.monotonic()
        if now - self.last_typing < conf.get("CHAT_TYPING_INTERVAL"):
            return
        self.last_typing = now
        await publish(self.group, {"type": "typing", "name": self.identity.name})


class ChatLobbyConsumer(JsonHubConsumer):
    """The room list's socket: receives head-count updates, sends nothing."""

    async def connect(self) -> None:
        await self.accept()
        await self.hub_join(LOBBY_GROUP)
