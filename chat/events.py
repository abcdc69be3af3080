"""The chat's domain events, each the JSON object of one server-to-client frame
(docs/protocol.md), and the presence listener that announces arrivals and
departures.

Services hand events to `site_config.realtime.events.publish_on_commit`; the
consumer reacts to some of them by name (`RoomClosed.name`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from chat.models import LOBBY_GROUP, Message, Room, room_id_of
from site_config.realtime.events import publish_on_commit
from site_config.realtime.presence import PresenceChange


def member_list(names: Iterable[str]) -> list[str]:
    """Names as clients show them: each once, sorted case-insensitively."""
    return sorted(set(names), key=str.casefold)


@dataclass(frozen=True)
class MessagePosted:
    """A stored message; also the shape of each message in pages and backlogs."""

    name: ClassVar[str] = "chat.message"
    id: int
    author: str
    body: str
    created: datetime

    @classmethod
    def of(cls, message: Message) -> MessagePosted:
        return cls(message.pk, message.author, message.body, message.created)

    def payload(self) -> dict[str, Any]:
        return {
            "type": "message",
            "id": self.id,
            "author": self.author,
            "body": self.body,
            "created": self.created.isoformat(),
        }


@dataclass(frozen=True)
class MessageDeleted:
    name: ClassVar[str] = "chat.deleted"
    id: int

    def payload(self) -> dict[str, Any]:
        return {"type": "deleted", "id": self.id}


@dataclass(frozen=True)
class RoomClosed:
    """The room takes no more messages; its sockets close with code 4410."""

    name: ClassVar[str] = "chat.closed"
    message: str = "A moderator closed this room."

    def payload(self) -> dict[str, Any]:
        return {"type": "closed", "message": self.message}


@dataclass(frozen=True)
class MemberJoined:
    """Someone's first socket in the room opened; `online` is the head count after.

    A delta, not the list: with the whole list in every notice, N people arriving
    cost every socket N frames of N names (500 people: about 3 MB each, enough to
    close late joiners as too slow). The welcome frame carries the full list.
    """

    name: ClassVar[str] = "chat.join"
    member: str
    online: int

    def payload(self) -> dict[str, Any]:
        kind = self.name.removeprefix("chat.")
        return {"type": kind, "name": self.member, "online": self.online}


@dataclass(frozen=True)
class MemberLeft(MemberJoined):
    """Someone's last socket in the room closed (or their process died)."""

    name: ClassVar[str] = "chat.leave"


@dataclass(frozen=True)
class RoomCount:
    """For the room list: how many people a room has now."""

    name: ClassVar[str] = "chat.count"
    room: str  # the slug
    online: int

    def payload(self) -> dict[str, Any]:
        return {"type": "count", "room": self.room, "online": self.online}


@dataclass(frozen=True)
class Typing:
    name: ClassVar[str] = "chat.typing"
    member: str

    def payload(self) -> dict[str, Any]:
        return {"type": "typing", "name": self.member}


def presence_changed(changes: list[PresenceChange]) -> None:
    """Presence listener (chat.apps): announce each arrival and departure to its
    room, and the room's new head count to the room list. Runs on the database
    thread, inside the presence write's transaction when there is one."""
    notable = [
        (room_id, change)
        for change in changes
        if (change.joined or change.left)
        and (room_id := room_id_of(change.group)) is not None
    ]
    if not notable:
        return
    slugs = dict(
        Room.objects.filter(pk__in={room_id for room_id, _ in notable}).values_list(
            "pk", "slug"
        )
    )
    for room_id, change in notable:
        online = len(change.members)
        notice = MemberJoined if change.joined else MemberLeft
        publish_on_commit(change.group, notice(change.member, online))
        if room_id in slugs:
            publish_on_commit(LOBBY_GROUP, RoomCount(slugs[room_id], online))
