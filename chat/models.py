"""Chat rooms and their persisted messages (who is connected lives in the shared
presence table, site_config.realtime.presence)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

ROOM_NAME_MAX = 40
AUTHOR_MAX = 150  # usernames may be longer than guest display names
CLIENT_ID_MAX = 64


class Room(models.Model):
    """A chat room; a closed room keeps its history but takes no new messages."""

    name = models.CharField(max_length=ROOM_NAME_MAX)
    slug = models.SlugField(max_length=60, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_name = models.CharField(max_length=AUTHOR_MAX, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    is_closed = models.BooleanField(default=False, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("name"), name="chat_room_name_unique_ci"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("chat:room", kwargs={"slug": self.slug})

    @property
    def group(self) -> str:
        return room_group(self.pk)


class Message(models.Model):
    """One chat message; the author's name is kept as it was when posted."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=AUTHOR_MAX)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    # Chosen by the sending client for each message and sent again with a retry, so
    # a retried message is stored once (see services.message_post_batch). NULL
    # for none: the unique constraint below leaves those rows out of its index.
    client_id = models.CharField(  # noqa: DJ001
        max_length=CLIENT_ID_MAX, null=True, blank=True
    )

    class Meta:
        # (room, id) serves "latest N" (backwards scan), "before id" (paging) and
        # "after id" (resume) with one index range scan each.
        indexes = [models.Index(fields=["room", "id"], name="chat_msg_room_id")]
        constraints = [
            # One message per client id and author in a room. client_id before
            # author: a batch looks its ids up by room and client id alone.
            models.UniqueConstraint(
                fields=["room", "client_id", "author"],
                condition=models.Q(client_id__isnull=False),
                name="chat_msg_client_id_unique",
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:50]}"


def room_group(room_id: int) -> str:
    """The hub group of a room (built from its id, never from user text)."""
    return f"chat_{room_id}"


def room_id_of(group: str) -> int | None:
    """The room id of a room's group; None for any other group (the lobby's)."""
    prefix, _, room_id = group.partition("_")
    return int(room_id) if prefix == "chat" and room_id.isdigit() else None


# Starts with "chat_" like the rooms' groups: room_id_of() tells them apart.
LOBBY_GROUP = "chat_lobby"
