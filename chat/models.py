"""Chat rooms, their persisted messages, and who is connected to them right now."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

ROOM_NAME_MAX = 40
AUTHOR_MAX = 150  # usernames may be longer than guest display names


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

    class Meta:
        # (room, id) serves "latest N" (backwards scan), "before id" (paging) and
        # "after id" (resume) with one index range scan each.
        indexes = [models.Index(fields=["room", "id"], name="chat_msg_room_id")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:50]}"


class Presence(models.Model):
    """One open WebSocket connection to a room.

    Rows are refreshed by their process's heartbeat; a row whose `last_seen` is older
    than CHAT_PRESENCE_TTL belongs to a process that died and is ignored, then swept.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="presences")
    connection = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=AUTHOR_MAX)
    session_key = models.CharField(max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["room", "last_seen"], name="chat_presence_room_seen")
        ]
        verbose_name_plural = "presence"

    def __str__(self) -> str:
        return f"{self.name} in {self.room_id}"


def room_group(room_id: int) -> str:
    """The hub group of a room (built from its id, never from user text)."""
    return f"chat_{room_id}"


LOBBY_GROUP = "chat_lobby"
