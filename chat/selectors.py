"""Reads of the chat app: rooms, message pages, who is present, and the home card
figures.

Everything returns plain data (dicts, lists), never lazy querysets, so that async
callers and templates rendered off the event loop never touch the database by accident.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.functions import Lower

from chat.events import MessagePosted, member_list
from chat.models import Message, Room, room_group
from site_config.realtime import presence
from site_config.realtime.models import Presence


def _payloads(messages: Iterable[Message]) -> list[dict[str, Any]]:
    return [MessagePosted.of(message).payload() for message in messages]


def room_get(*, slug: str) -> Room | None:
    return Room.objects.filter(slug=slug).first()


def room_list() -> list[dict[str, Any]]:
    """Open rooms, busiest first, each with the number of people in it now."""
    rooms = list(Room.objects.filter(is_closed=False).order_by(Lower("name"), "pk"))
    online = presence.counts(room.group for room in rooms)
    listed: list[dict[str, Any]] = [
        {
            "id": room.pk,
            "name": room.name,
            "slug": room.slug,
            "url": room.get_absolute_url(),
            "online": online[room.group],
        }
        for room in rooms
    ]
    listed.sort(key=lambda room: -room["online"])  # stable: names stay in order
    return listed


def room_members(*, room_id: int) -> list[str]:
    """Names of the people connected to the room now, alphabetically."""
    return member_list(presence.members(room_group(room_id)))


def messages_latest(*, room_id: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The last `limit` messages, oldest first, and whether older ones exist."""
    rows = list(Message.objects.filter(room_id=room_id).order_by("-id")[: limit + 1])
    return _payloads(reversed(rows[:limit])), len(rows) > limit


def messages_before(
    *, room_id: int, before: int, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` messages with ids below `before`, oldest first, and whether
    there are more before those."""
    rows = list(
        Message.objects.filter(room_id=room_id, id__lt=before).order_by("-id")[
            : limit + 1
        ]
    )
    return _payloads(reversed(rows[:limit])), len(rows) > limit


def messages_after(
    *, room_id: int, after: int, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` messages with ids above `after`, in order, and whether
    more follow."""
    rows = list(
        Message.objects.filter(room_id=room_id, id__gt=after).order_by("id")[
            : limit + 1
        ]
    )
    return _payloads(rows[:limit]), len(rows) > limit


def home_stats() -> dict[str, int]:
    """Figures for the home card: open rooms, and people present across them."""
    groups = [
        room_group(pk)
        for pk in Room.objects.filter(is_closed=False).values_list("pk", flat=True)
    ]
    online = (
        Presence.objects.filter(group__in=groups, last_seen__gte=presence.cutoff())
        .values("member")
        .distinct()
        .count()
    )
    return {"rooms": len(groups), "online": online}
