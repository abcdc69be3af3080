"""Reads of the chat app: rooms, message pages, presence, and the home card figures.

Everything returns plain data (dicts, lists), never lazy querysets, so that async
callers and templates rendered off the event loop never touch the database by accident.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone

from chat import conf
from chat.models import Message, Presence, Room


def presence_cutoff(now: datetime | None = None) -> datetime:
    """Presence rows last refreshed before this instant are ghosts of a dead process."""
    return (now or timezone.now()) - timedelta(seconds=conf.get("CHAT_PRESENCE_TTL"))


def message_payload(message: Message) -> dict[str, Any]:
    """The wire and template shape of a message (see docs/protocol.md)."""
    return {
        "type": "message",
        "id": message.pk,
        "author": message.author,
        "body": message.body,
        "created": message.created.isoformat(),
    }


def room_get(*, slug: str) -> Room | None:
    return Room.objects.filter(slug=slug).first()


def room_list() -> list[dict[str, Any]]:
    """Open rooms, busiest first, each with the number of people in it now."""
    cutoff = presence_cutoff()
    rooms = (
        Room.objects.filter(is_closed=False)
        .annotate(
            online=Count(
                "presences__name",
                filter=Q(presences__last_seen__gte=cutoff),
                distinct=True,
            )
        )
        .order_by("-online", Lower("name"), "pk")
    )
    return [
        {
            "id": room.pk,
            "name": room.name,
            "slug": room.slug,
            "url": room.get_absolute_url(),
            "online": room.online,
        }
        for room in rooms
    ]


def room_members(*, room_id: int) -> list[str]:
    """Names of the people connected to the room now, alphabetically."""
    names = (
        Presence.objects.filter(room_id=room_id, last_seen__gte=presence_cutoff())
        .values_list("name", flat=True)
        .distinct()
    )
    return sorted(set(names), key=str.casefold)


def messages_latest(*, room_id: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The last `limit` messages, oldest first, and whether older ones exist."""
    rows = list(Message.objects.filter(room_id=room_id).order_by("-id")[: limit + 1])
    return [message_payload(m) for m in reversed(rows[:limit])], len(rows) > limit


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
    return [message_payload(m) for m in reversed(rows[:limit])], len(rows) > limit


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
    return [message_payload(m) for m in rows[:limit]], len(rows) > limit


def home_stats() -> dict[str, int]:
    """Figures for the home card: open rooms, and people present across them."""
    return {
        "rooms": Room.objects.filter(is_closed=False).count(),
        "online": Presence.objects.filter(
            last_seen__gte=presence_cutoff(), room__is_closed=False
        )
        .values("name")
        .distinct()
        .count(),
    }
