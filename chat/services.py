"""Writes of the chat app: rooms, messages, moderation and presence.

Services validate, write, and return plain data; they never publish. Callers publish
the returned events (`chat.events`): the consumer with `await publish(...)` on its
event loop, views and the admin with `publish_sync(...)` after the write committed.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from chat import conf
from chat.models import ROOM_NAME_MAX, Message, Presence, Room
from chat.selectors import message_payload, presence_cutoff, room_members
from site_config.identity import Identity

SLUG_MAX = 50


def room_name_clean(name: str) -> str:
    """Collapse whitespace and check the length (1..40 characters)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Enter a room name.", code="required")
    if len(name) > ROOM_NAME_MAX:
        raise ValidationError(
            f"Use at most {ROOM_NAME_MAX} characters.", code="max_length"
        )
    return name


def _unique_slug(name: str) -> str:
    base = slugify(name)[:SLUG_MAX].strip("-") or "room"
    slug, n = base, 1
    while Room.objects.filter(slug=slug).exists():
        n += 1
        suffix = f"-{n}"
        slug = f"{base[: SLUG_MAX - len(suffix)]}{suffix}"
    return slug


def room_create(*, name: str, identity: Identity) -> Room:
    """Create an open room named `name` with a unique slug.

    Raises ValidationError for a blank or too long name, or one already in use
    (case-insensitively).
    """
    name = room_name_clean(name)
    if Room.objects.filter(name__iexact=name).exists():
        raise ValidationError("A room with that name already exists.", code="taken")
    try:
        with transaction.atomic():
            return Room.objects.create(
                name=name,
                slug=_unique_slug(name),
                created_by_id=identity.user_id,
                created_by_name=identity.name or "",
            )
    except IntegrityError as exc:  # lost a race for the same name or slug
        raise ValidationError(
            "A room with that name already exists.", code="taken"
        ) from exc


def room_close(*, room_id: int) -> bool:
    """Close a room; True if it was open. Its history stays readable."""
    return bool(
        Room.objects.filter(pk=room_id, is_closed=False).update(
            is_closed=True, closed_at=timezone.now()
        )
    )


def message_body_clean(body: str) -> str:
    """Trim and check the length: 1..CHAT_BODY_MAX characters."""
    body = body.strip()
    limit = conf.get_int("CHAT_BODY_MAX")
    if not body:
        raise ValidationError("Type a message first.", code="required")
    if len(body) > limit:
        raise ValidationError(
            f"Messages are limited to {limit} characters (this one has {len(body)}).",
            code="max_length",
        )
    return body


def flood_wait(stamps: list[float], now: float) -> float:
    """Flood control over the send times `stamps` (oldest first, pruned in place).

    Returns 0 when one more message is allowed now, otherwise the seconds to wait.
    """
    window = conf.get("CHAT_FLOOD_SECONDS")
    while stamps and now - stamps[0] >= window:
        del stamps[0]
    if len(stamps) < conf.get_int("CHAT_FLOOD_COUNT"):
        return 0.0
    return max(window - (now - stamps[0]), 0.001)


def flood_message(wait: float) -> str:
    limit, window = conf.get_int("CHAT_FLOOD_COUNT"), conf.get("CHAT_FLOOD_SECONDS")
    return (
        f"Slow down: at most {limit} messages every {window:g} seconds "
        f"(try again in {wait:.1f} s)."
    )


@dataclass(frozen=True)
class MessageDraft:
    """A message to persist: where, by whom, what (body not yet validated)."""

    room_id: int
    identity: Identity
    body: str


def message_post_batch(
    *, drafts: list[MessageDraft]
) -> list[dict[str, Any] | ValidationError]:
    """Persist several messages in one transaction; per draft, its event payload
    or the ValidationError that refused it. Ids follow the order of `drafts`.

    The socket path writes through here in batches: one transaction and one
    room check per batch keeps up with hundreds of messages a second. The check
    runs inside that transaction with the rooms locked, so no message lands in a
    room closed concurrently.
    """
    results: list[dict[str, Any] | ValidationError | None] = []
    bodies: list[str] = []
    for draft in drafts:
        body = ""
        try:
            body = message_body_clean(draft.body)
            if not draft.identity.has_name:
                raise ValidationError("Pick a display name first.", code="anonymous")
        except ValidationError as exc:
            results.append(exc)
        else:
            results.append(None)
        bodies.append(body)
    wanted = {d.room_id for d, r in zip(drafts, results, strict=True) if r is None}
    if not wanted:
        return cast(list[dict[str, Any] | ValidationError], results)
    with transaction.atomic():
        # The room check and the insert share one transaction, with the open rooms'
        # rows locked: a concurrent room_close() (an UPDATE of the same row) either
        # commits first, and these drafts are refused, or waits for this insert.
        # NO KEY UPDATE: the lock does not block inserts that merely reference
        # the room (presence rows). It also makes a room's messages commit in id
        # order across processes. SQLite ignores it; it serialises writers anyway.
        open_rooms = set(
            Room.objects.select_for_update(no_key=True)
            .filter(pk__in=wanted, is_closed=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rows: list[tuple[int, Message]] = []
        for index, draft in enumerate(drafts):
            if results[index] is not None:
                continue
            if draft.room_id not in open_rooms:
                results[index] = ValidationError("This room is closed.", code="closed")
                continue
            message = Message(
                room_id=draft.room_id,
                author=draft.identity.name,
                user_id=draft.identity.user_id,
                body=bodies[index],
            )
            rows.append((index, message))
        if rows:
            Message.objects.bulk_create([message for _, message in rows])
    for index, message in rows:
        results[index] = message_payload(message)
    # Every draft now has its payload or its error.
    return cast(list[dict[str, Any] | ValidationError], results)


def message_post(*, room_id: int, identity: Identity, body: str) -> dict[str, Any]:
    """Persist a message by `identity` in an open room; return its event payload.

    Raises ValidationError for an invalid body, a closed or missing room, or a
    visitor without a name.
    """
    (result,) = message_post_batch(
        drafts=[MessageDraft(room_id=room_id, identity=identity, body=body)]
    )
    if isinstance(result, ValidationError):
        raise result
    return result


# Send times of a session's no-JS posts, for the same flood control as sockets.
SESSION_FLOOD_KEY = "chat_post_times"


def message_post_session_limited(
    *,
    session: MutableMapping[str, Any],
    room_id: int,
    identity: Identity,
    body: str,
    now: float | None = None,
) -> dict[str, Any]:
    """`message_post` for the no-JavaScript form, with flood control per session.

    The session (any mapping, e.g. `request.session`) keeps the send times; only
    stored messages count. Raises ValidationError (code "flood") when the session
    must wait, or whatever `message_post` raises.
    """
    stamps = [float(t) for t in session.get(SESSION_FLOOD_KEY, [])]
    now = time.time() if now is None else now
    wait = flood_wait(stamps, now)
    if wait:
        raise ValidationError(flood_message(wait), code="flood")
    payload = message_post(room_id=room_id, identity=identity, body=body)
    session[SESSION_FLOOD_KEY] = [*stamps, now]
    return payload


def message_delete(*, message_ids: list[int]) -> list[tuple[int, int]]:
    """Delete messages (moderation); return the (room id, message id) pairs deleted."""
    with transaction.atomic():
        pairs = list(
            Message.objects.filter(pk__in=message_ids).values_list("room_id", "pk")
        )
        Message.objects.filter(pk__in=[pk for _, pk in pairs]).delete()
    return pairs


# --- presence -------------------------------------------------------------------


@dataclass
class PresenceChange:
    """Someone's presence in a room changed: their first connection arrived
    (`joined`), their last one went (`left`), or neither (another tab)."""

    room_id: int
    slug: str
    name: str
    joined: bool = False
    left: bool = False
    members: list[str] = field(default_factory=list)


def _others_present(room_id: int, name: str, exclude: str | None = None) -> bool:
    rows = Presence.objects.filter(
        room_id=room_id, name=name, last_seen__gte=presence_cutoff()
    )
    if exclude is not None:
        rows = rows.exclude(connection=exclude)
    return rows.exists()


def presence_enter(
    *, room_id: int, connection: str, identity: Identity
) -> PresenceChange:
    """Record a new connection to a room; `joined` if the person was not there yet."""
    room = Room.objects.only("slug").get(pk=room_id)
    name = identity.name or ""
    already_here = _others_present(room_id, name)
    Presence.objects.create(
        room_id=room_id,
        connection=connection,
        name=name,
        session_key=identity.session_key or "",
        user_id=identity.user_id,
        last_seen=timezone.now(),
    )
    return PresenceChange(
        room_id=room_id,
        slug=room.slug,
        name=name,
        joined=not already_here,
        members=room_members(room_id=room_id),
    )


def presence_leave(*, connection: str) -> PresenceChange | None:
    """Forget a connection; `left` if it was the person's last one in the room."""
    row = (
        Presence.objects.filter(connection=connection)
        .select_related("room")
        .only("room_id", "name", "room__slug")
        .first()
    )
    if row is None:  # already swept (e.g. this process stalled past the TTL)
        return None
    deleted, _ = Presence.objects.filter(pk=row.pk).delete()
    return PresenceChange(
        room_id=row.room_id,
        slug=row.room.slug,
        name=row.name,
        left=bool(deleted) and not _others_present(row.room_id, row.name),
        members=room_members(room_id=row.room_id),
    )


@dataclass(frozen=True)
class OpenConnection:
    """What the heartbeat knows of one of its process's open sockets: enough to
    recreate its presence row if another process swept it."""

    room_id: int
    identity: Identity


def presence_heartbeat(
    *, connections: dict[str, OpenConnection]
) -> list[PresenceChange]:
    """Refresh this process's connections, then sweep rows of dead processes.

    One UPDATE per process per interval, however many sockets it holds. A row
    that is gone although its socket is still open (this process stalled past the
    TTL and another one swept it) is recreated, and the person's return is
    reported (`joined`) when the sweep had announced them as gone.
    """
    rejoined: list[PresenceChange] = []
    if connections:
        now = timezone.now()
        refreshed = Presence.objects.filter(connection__in=list(connections)).update(
            last_seen=now
        )
        if refreshed < len(connections):
            rejoined = _presence_restore(connections, now)
    return rejoined + presence_sweep()


def _presence_restore(
    connections: dict[str, OpenConnection], now: datetime
) -> list[PresenceChange]:
    present = set(
        Presence.objects.filter(connection__in=list(connections)).values_list(
            "connection", flat=True
        )
    )
    missing = {c: o for c, o in connections.items() if c not in present}
    slugs = dict(
        Room.objects.filter(
            pk__in={o.room_id for o in missing.values()}, is_closed=False
        ).values_list("pk", "slug")
    )
    changes: dict[tuple[int, str], PresenceChange] = {}
    for connection, open_ in missing.items():
        if open_.room_id not in slugs:  # the room is gone or closed: its sockets go
            continue
        name = open_.identity.name or ""
        key = (open_.room_id, name)
        if key not in changes:
            changes[key] = PresenceChange(
                room_id=open_.room_id,
                slug=slugs[open_.room_id],
                name=name,
                joined=not _others_present(open_.room_id, name),
            )
        # ignore_conflicts: a row recreated concurrently (or never lost) stays.
        Presence.objects.bulk_create(
            [
                Presence(
                    room_id=open_.room_id,
                    connection=connection,
                    name=name,
                    session_key=open_.identity.session_key or "",
                    user_id=open_.identity.user_id,
                    last_seen=now,
                )
            ],
            ignore_conflicts=True,
        )
    for change in changes.values():
        change.members = room_members(room_id=change.room_id)
    return [change for change in changes.values() if change.joined]


def presence_sweep() -> list[PresenceChange]:
    """Delete stale presence rows and report who has thereby left which room.

    Several processes may sweep at once: only the one whose DELETE removed a row
    reports it, so each departure is announced once.
    """
    stale = list(
        Presence.objects.filter(last_seen__lt=presence_cutoff())
        .select_related("room")
        .only("pk", "room_id", "name", "room__slug")
    )
    changes: dict[tuple[int, str], PresenceChange] = {}
    for row in stale:
        deleted, _ = Presence.objects.filter(pk=row.pk).delete()
        if deleted:
            changes.setdefault(
                (row.room_id, row.name),
                PresenceChange(room_id=row.room_id, slug=row.room.slug, name=row.name),
            )
    for (room_id, name), change in changes.items():
        change.left = not _others_present(room_id, name)
        change.members = room_members(room_id=room_id)
    return [change for change in changes.values() if change.left]
