"""Chat events as they go on the wire, and helpers that publish them from sync code.

Each builder returns the JSON payload of one server-to-client frame documented in
docs/protocol.md; `publish`/`publish_sync` encode it once for every recipient.
"""

from __future__ import annotations

from typing import Any

from chat.models import LOBBY_GROUP, room_group
from chat.services import PresenceChange
from site_config.realtime import publish, publish_sync

ROOM_CLOSED_TYPE = "closed"
# Frames are encoded compactly with "type" first, so the consumer can recognise
# the closing event without parsing every frame it relays.
ROOM_CLOSED_PREFIX = '{"type":"closed"'


def presence_event(change: PresenceChange) -> dict[str, Any]:
    return {
        "type": "join" if change.joined else "leave",
        "name": change.name,
        "members": change.members,
    }


def room_count_event(change: PresenceChange) -> dict[str, Any]:
    return {"type": "count", "room": change.slug, "online": len(change.members)}


def deleted_event(message_id: int) -> dict[str, Any]:
    return {"type": "deleted", "id": message_id}


def closed_event() -> dict[str, Any]:
    return {"type": ROOM_CLOSED_TYPE, "message": "A moderator closed this room."}


async def presence_publish(change: PresenceChange) -> None:
    """Announce a join or leave to the room, and the new head count to the lobby."""
    if change.joined or change.left:
        await publish(room_group(change.room_id), presence_event(change))
        await publish(LOBBY_GROUP, room_count_event(change))


def message_publish_sync(room_id: int, payload: dict[str, Any]) -> None:
    publish_sync(room_group(room_id), payload)


def deleted_publish_sync(pairs: list[tuple[int, int]]) -> None:
    for room_id, message_id in pairs:
        publish_sync(room_group(room_id), deleted_event(message_id))


def closed_publish_sync(room_id: int) -> None:
    publish_sync(room_group(room_id), closed_event())
