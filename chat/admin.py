"""Chat moderation: search messages, delete them (live), close rooms (live)."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from chat import events, services
from chat.models import Message, Presence, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by_name", "created", "is_closed"]
    list_filter = ["is_closed", "created"]
    search_fields = ["name", "slug", "created_by_name"]
    readonly_fields = ["created", "closed_at", "created_by", "created_by_name"]
    actions = ["close_rooms"]

    @admin.action(description="Close selected rooms (disconnects everyone in them)")
    def close_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        closed = 0
        for room_id in queryset.values_list("pk", flat=True):
            if services.room_close(room_id=room_id):
                transaction.on_commit(partial(events.closed_publish_sync, room_id))
                closed += 1
        self.message_user(request, f"Closed {closed} room(s).", messages.SUCCESS)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "author", "short_body", "created"]
    list_filter = ["room", "created"]
    list_select_related = ["room"]
    search_fields = ["body", "author", "room__name"]
    readonly_fields = ["room", "author", "user", "created"]
    date_hierarchy = "created"

    @admin.display(description="Message")
    def short_body(self, obj: Message) -> str:
        return obj.body if len(obj.body) <= 80 else obj.body[:79] + "…"

    # Deleting goes through the service so that connected clients drop the message.
    def delete_model(self, request: HttpRequest, obj: Message) -> None:
        pairs = services.message_delete(message_ids=[obj.pk])
        # The admin wraps deletions in a transaction: tell clients once it commits.
        transaction.on_commit(partial(events.deleted_publish_sync, pairs))

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Message]
    ) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        pairs = services.message_delete(message_ids=ids)
        transaction.on_commit(partial(events.deleted_publish_sync, pairs))


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    list_display = ["name", "room", "connected_at", "last_seen"]
    list_filter = ["room"]
    search_fields = ["name"]
    readonly_fields = [
        "room",
        "connection",
        "name",
        "session_key",
        "user",
        "connected_at",
        "last_seen",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
