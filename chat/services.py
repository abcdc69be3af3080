"""Writes of the chat app: rooms, messages and moderation.

Services validate, write in one transaction, hand their events (`chat.events`) to
`publish_on_commit`, and return what the caller needs (a message's payload, what
was deleted). Presence is the shared module's (site_config.realtime.presence); the
chat hears of it through `chat.events.presence_changed`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from chat import conf
from chat.events import MessageDeleted, MessagePosted, RoomClosed
from chat.models import ROOM_NAME_MAX, Message, Room, room_group
from site_config.realtime.events import publish_on_commit
from site_config.text import clean_text
from site_config.visitors.identity import Identity

logger = logging.getLogger(__name__)

SLUG_MAX = 50
# What a draft that passed validation but that the database refused is told.
NOT_STORED = "This message could not be stored."


def room_name_clean(name: str) -> str:
    """Collapse whitespace and check the text (site_config.text) and the length
    (1..40 characters)."""
    return clean_text(
        name,
        empty_message="Enter a room name.",
        max_length=ROOM_NAME_MAX,
        too_long_message=f"Use at most {ROOM_NAME_MAX} characters.",
    )


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
    """Close a room; True if it was open. Its history stays readable; its sockets
    are told (`RoomClosed`) and closed."""
    with transaction.atomic():
        closed = Room.objects.filter(pk=room_id, is_closed=False).update(
            is_closed=True, closed_at=timezone.now()
        )
        if closed:
            publish_on_commit(room_group(room_id), RoomClosed())
    return bool(closed)


def message_body_clean(body: str) -> str:
    """Trim and check the text: no control characters but line breaks and tabs, no
    lone surrogates (neither can be stored everywhere: one such message would
    fail its whole batch), something visible, 1..CHAT_BODY_MAX characters."""
    limit = conf.get_int("CHAT_BODY_MAX")
    body = clean_text(body, empty_message="Type a message first.", multiline=True)
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
    """A message to persist: where, by whom, what (body not yet validated), and
    the sender's id for it, if any (the same one when it is sent again)."""

    room_id: int
    identity: Identity
    body: str
    client_id: str | None = None


# A stored or refused draft: the message's payload, or why it was refused.
PostResult = dict[str, Any] | ValidationError
# What makes a message unique when it has a client id.
ClientKey = tuple[int, str, str]


def _draft_checked(draft: MessageDraft) -> str | ValidationError:
    """The cleaned body, or the error that refuses the draft."""
    try:
        body = message_body_clean(draft.body)
        if not draft.identity.has_name:
            raise ValidationError("Pick a display name first.", code="anonymous")
    except ValidationError as exc:
        return exc
    return body


def message_post_batch(*, drafts: list[MessageDraft]) -> list[PostResult]:
    """Persist several messages in one transaction; per draft, its message's
    payload or the ValidationError that refused it. New ids follow the order of
    `drafts`, and each new message is published to its room on commit.

    A draft whose client id its author already used in the room is not stored
    again: it gets the original message's payload, and nothing is published.

    The socket path writes through here in batches: one transaction and one
    room check per batch keeps up with hundreds of messages a second. The check
    runs inside that transaction with the rooms locked, so no message lands in a
    room closed concurrently.
    """
    results: list[PostResult | None] = []
    bodies: dict[int, str] = {}  # by draft index, for the drafts that passed
    for index, draft in enumerate(drafts):
        checked = _draft_checked(draft)
        if isinstance(checked, ValidationError):
            results.append(checked)
        else:
            results.append(None)
            bodies[index] = checked
    if not bodies:
        return [result for result in results if result is not None]
    with transaction.atomic():
        # The room check and the insert share one transaction, with the open rooms'
        # rows locked: a concurrent room_close() (an UPDATE of the same row) either
        # commits first, and these drafts are refused, or waits for this insert.
        # NO KEY UPDATE: the lock does not block inserts that merely reference
        # the room. It also makes a room's messages commit in id order across
        # processes. SQLite ignores it; it serialises writers anyway.
        open_rooms = set(
            Room.objects.select_for_update(no_key=True)
            .filter(pk__in={drafts[index].room_id for index in bodies}, is_closed=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rows: dict[int, Message] = {}
        for index, body in bodies.items():
            draft = drafts[index]
            if draft.room_id not in open_rooms:
                results[index] = ValidationError("This room is closed.", code="closed")
                continue
            rows[index] = Message(
                room_id=draft.room_id,
                author=draft.identity.name or "",
                user_id=draft.identity.user_id,
                body=body,
                client_id=draft.client_id,
            )
        stored, refused = _messages_store(rows)
    for index, message in stored.items():
        results[index] = MessagePosted.of(message).payload()
    for index, error in refused.items():
        results[index] = error
    # Every draft now has its payload or its error.
    return [result for result in results if result is not None]


def _client_key(message: Message) -> ClientKey | None:
    if message.client_id is None:
        return None
    return (message.room_id, message.author, message.client_id)


def _messages_originals(rows: Iterable[Message]) -> dict[ClientKey, Message]:
    """The stored messages that share a client id key with one of `rows`."""
    keys = {key for row in rows if (key := _client_key(row)) is not None}
    if not keys:
        return {}
    candidates = Message.objects.filter(
        room_id__in={room for room, _, _ in keys},
        client_id__in={client_id for _, _, client_id in keys},
    )
    return {
        key: message for message in candidates if (key := _client_key(message)) in keys
    }


def _messages_store(
    rows: dict[int, Message],
) -> tuple[dict[int, Message], dict[int, ValidationError]]:
    """Insert `rows` (by draft index) but those whose client id key is stored
    already, or earlier in `rows`: those map to the original. Publishes the new
    ones on commit. Runs inside the batch's transaction, rooms locked.

    Returns the stored (or original) message per index, and the error of each row
    the database refused: when the batch insert fails, the rows are inserted one by
    one, so a row the database cannot take costs only its own sender.
    """
    originals = _messages_originals(rows.values())
    while True:
        stored: dict[int, Message] = {}
        new: dict[int, Message] = {}
        for index, row in rows.items():
            key = _client_key(row)
            original = originals.get(key) if key is not None else None
            if original is None:
                new[index] = row
                if key is not None:  # a repeat later in this batch
                    originals[key] = row
            stored[index] = original or row
        try:
            if new:
                with transaction.atomic():  # a savepoint: a conflict spares the rest
                    Message.objects.bulk_create(list(new.values()))
        except IntegrityError:
            # The room lock already serialises this function's writers, so this
            # is a backstop: another writer stored one of these client ids since
            # the look-up. Look again and insert the rest; re-raise if nothing
            # new turned up (then the error has another cause).
            known = {key for key, row in originals.items() if row.pk is not None}
            originals = _messages_originals(rows.values())
            if originals.keys() <= known:
                raise
            continue
        except (DatabaseError, ValueError) as exc:
            # A row the driver or the database cannot take (validation should
            # have refused it; this keeps its batch-mates from paying for it).
            # ValueError: psycopg refuses NUL, and every driver lone surrogates,
            # before anything reaches the server.
            logger.warning(
                "chat: a batch of %d messages failed (%s); storing them one by one",
                len(new),
                type(exc).__name__,
            )
            refused = _messages_store_each(new)
            for index in refused:
                del stored[index]
        else:
            refused = {}
        for index, message in new.items():
            if index not in refused:
                publish_on_commit(
                    room_group(message.room_id), MessagePosted.of(message)
                )
        return stored, refused


def _messages_store_each(rows: dict[int, Message]) -> dict[int, ValidationError]:
    """Insert `rows` one savepoint each; the error of each row that failed."""
    refused: dict[int, ValidationError] = {}
    for index, row in rows.items():
        row.pk = None  # whatever the failed batch insert left behind
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except (DatabaseError, ValueError) as exc:
            logger.warning("chat: refused a message (%s)", type(exc).__name__)
            refused[index] = ValidationError(NOT_STORED, code="not_stored")
    return refused


def message_post(
    *, room_id: int, identity: Identity, body: str, client_id: str | None = None
) -> dict[str, Any]:
    """Persist a message by `identity` in an open room; return its payload (the
    original message's, for a client id used before).

    Raises ValidationError for an invalid body, a closed or missing room, or a
    visitor without a name.
    """
    draft = MessageDraft(room_id, identity, body, client_id)
    (result,) = message_post_batch(drafts=[draft])
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
    """Delete messages (moderation), removing them from every open room page;
    return the (room id, message id) pairs deleted."""
    with transaction.atomic():
        pairs = list(
            Message.objects.filter(pk__in=message_ids).values_list("room_id", "pk")
        )
        Message.objects.filter(pk__in=[pk for _, pk in pairs]).delete()
        for room_id, message_id in pairs:
            publish_on_commit(room_group(room_id), MessageDeleted(message_id))
    return pairs
