"""The chat sockets: `/ws/chat/<room>/` for a room and `/ws/chat/` for the room list.

The consumer is an adapter: it checks frames, runs `chat.services` and
`chat.selectors` on the chat's database thread, and answers the sender; the
services publish what the room sees. See docs/protocol.md for every frame.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from django.core.exceptions import ValidationError

from chat import conf, selectors, services
from chat.events import RoomClosed, Typing, member_list
from chat.models import CLIENT_ID_MAX, LOBBY_GROUP, room_group
from chat.services import MessageDraft
from chat.writer import chat_db, message_post
from site_config.realtime import presence
from site_config.realtime.consumer import TRY_AGAIN, HubConsumer
from site_config.realtime.events import publish
from site_config.realtime.outages import log_failure
from site_config.realtime.protocol import ProtocolError, require_field
from site_config.realtime.tasks import spawn
from site_config.text import refused_character
from site_config.visitors.identity import Identity, identity_from_scope

logger = logging.getLogger(__name__)

CLOSE_NO_NAME = 4403
CLOSE_NO_ROOM = 4404
CLOSE_ROOM_CLOSED = 4410
ROOM_IS_CLOSED = "This room is closed."
UNAVAILABLE = "The chat is unavailable right now; reconnecting shortly."


def client_id_clean(content: dict[str, Any]) -> str | None:
    """The frame's optional `client_id`, or ProtocolError if it is malformed."""
    client_id = content.get("client_id")
    if client_id is not None and not (
        isinstance(client_id, str)
        and 1 <= len(client_id) <= CLIENT_ID_MAX
        and refused_character(client_id) is None
    ):
        raise ProtocolError(
            f"Field 'client_id' must be a string of 1 to {CLIENT_ID_MAX} characters."
        )
    return client_id


class ChatConsumer(HubConsumer):
    """One visitor's connection to one room."""

    room_id: int | None = None
    group = ""
    connection: str | None = None
    room_closing = False
    accepted = False
    identity: Identity
    member_name = ""  # the display name, once admitted

    async def connect(self) -> None:
        try:
            await self.join_room()
        except Exception as error:
            # E.g. the database or the channel layer is down. Without this the
            # socket would die with 1011 and leave its hub membership and presence
            # row behind; instead undo them and ask the client to come back later.
            log_failure(logger, "joining a chat room failed", error)
            await self.abandon_join()

    async def join_room(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["room"]
        self.sent: list[float] = []  # send times, for flood control
        self.last_typing = 0.0
        self.identity = await identity_from_scope(self.scope)
        room = await chat_db.run(selectors.room_get, slug=slug)
        await self.accept()
        self.accepted = True
        # Refusals accept first so the client gets a readable reason it can show.
        if room is None:
            await self.refuse(CLOSE_NO_ROOM, "There is no such room.")
            return
        if room.is_closed:
            await self.refuse(CLOSE_ROOM_CLOSED, ROOM_IS_CLOSED)
            return
        if not self.identity.has_name:
            await self.refuse(CLOSE_NO_NAME, "Pick a display name first.")
            return
        self.member_name = self.identity.name or ""
        self.room_id = room.pk
        self.group = room_group(room.pk)
        # Join the group before anything is read, so no event falls between the
        # client's resume query and the live stream (duplicates are dropped by id).
        self.hold_hub_events()
        await self.hub_join(self.group)
        self.connection = uuid.uuid4().hex
        # Records the socket; the presence listener announces the join (and the
        # head count) once the row is committed.
        change = await presence.tracker().join(
            group=self.group, connection=self.connection, member=self.member_name
        )
        await self.send_json(
            {
                "type": "welcome",
                "room": room.slug,
                "name": self.member_name,
                "members": member_list(change.members),
            }
        )
        self.release_hub_events()

    async def abandon_join(self) -> None:
        """Undo what a failed join did (each step may fail again), then close with
        4503: the client reconnects and resumes."""
        connection, self.connection = self.connection, None
        self.room_id = None
        self.held = None
        if connection is not None:
            try:
                await presence.tracker().part(connection)
            except Exception:  # the row expires after PARLOUR_PRESENCE_TTL_SECONDS
                logger.warning("could not remove the presence of a failed join")
        for group in list(self.hub_groups):
            try:
                await self.hub_leave(group)
            except Exception:
                logger.warning("could not leave %s after a failed join", group)
        if self.closed:
            return
        if not self.accepted:
            await self.accept()
        await self.close_try_again(UNAVAILABLE)

    async def refuse(self, code: int, reason: str) -> None:
        await self.send_error(reason, code=code)
        await self.close(code=code, reason=reason)  # flushes the error frame first
        self.closed = True

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            await presence.tracker().part(connection)
        except Exception:  # the row expires after PARLOUR_PRESENCE_TTL_SECONDS
            logger.warning("could not remove the presence of a closed socket")

    def on_hub_event(self, event: str, frame: str) -> None:
        """Room events go to the client; the room's closing also ends the
        connection, once the frame is out."""
        self.push_frame(frame)
        if event == RoomClosed.name and not self.room_closing:
            self.room_closing = True
            spawn(self.close_room())

    async def close_room(self) -> None:
        if not self.closed:
            await self.close(code=CLOSE_ROOM_CLOSED, reason=ROOM_IS_CLOSED)
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
        # Sent again with a retry, it also keeps the message from being stored
        # twice.
        client_id = client_id_clean(content)
        try:
            payload = await self.post_message(content, client_id)
        except ProtocolError as exc:
            if client_id is None:
                raise
            await self.send_error(str(exc), client_id=client_id)
            return
        except Exception as error:
            if client_id is None:
                raise
            log_failure(logger, "posting a chat message failed", error)
            await self.send_error(TRY_AGAIN, client_id=client_id)
            return
        if client_id is not None:
            await self.send_json(
                {"type": "sent", "client_id": client_id, "id": payload["id"]}
            )

    async def post_message(
        self, content: dict[str, Any], client_id: str | None
    ) -> dict[str, Any]:
        room_id = self.joined_room()
        body = require_field(content, "body", str)
        self.check_flood()
        try:
            # Cheap checks first, on the loop: a refused body never queues.
            services.message_body_clean(body)
            payload = await message_post(
                MessageDraft(room_id, self.identity, body, client_id)
            )  # stored and published to the room (this socket included)
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
        messages, has_more = await chat_db.run(
            selectors.messages_after,
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
        messages, has_more = await chat_db.run(
            selectors.messages_before,
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
        await publish(self.group, Typing(self.member_name))


class ChatLobbyConsumer(HubConsumer):
    """The room list's socket: receives head-count updates, sends nothing. It is
    not a member of anything, so it tracks no presence."""

    async def connect(self) -> None:
        await self.accept()
        await self.hub_join(LOBBY_GROUP)
