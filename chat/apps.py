"""The chat app: rooms, messages, and the chat's share of presence."""

from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"

    def ready(self) -> None:
        from chat.events import presence_changed
        from site_config.realtime import presence

        # Rooms' groups are chat_<id>; the room list's group (chat_lobby) tracks
        # no presence, and the listener ignores it anyway.
        presence.listen("chat_", presence_changed)
