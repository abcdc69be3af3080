"""Chat moderation: search messages, delete them (live), close rooms (live)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from chat import services
from chat.models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by_name", "created", "is_closed"]
    list_filter = ["is_closed", "created"]
    search_fields = ["name", "slug", "created_by_name"]
    readonly_fields = ["created", "closed_at", "created_by", "created_by_name"]
    actions = ["close_rooms"]

    @admin.action(description="Close selected rooms (disconnects everyone in them)")
    def close_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        closed = sum(
            services.room_close(room_id=room_id)
            for room_id in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Closed {closed} room(s).", messages.SUCCESS)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "author", "short_body", "created"]
    list_filter = ["room", "created"]
    list_select_related = ["room"]
    search_fields = ["body", "author", "room__name"]
    readonly_fields = ["room", "author", "user", "created", "client_id"]
    date_hierarchy = "created"

    @admin.display(description="Message")
    def short_body(self, obj: Message) -> str:
        return obj.body if len(obj.body) <= 80 else obj.body[:79] + "…"

    # Deleting goes through the service so that connected clients drop the message.
    def delete_model(self, request: HttpRequest, obj: Message) -> None:
        services.message_delete(message_ids=[obj.pk])

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Message]
    ) -> None:
        services.message_delete(message_ids=list(queryset.values_list("pk", flat=True)))
