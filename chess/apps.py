"""The chess app: live games between two seats, spectators and a lobby."""

from django.apps import AppConfig


class ChessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chess"

    def ready(self) -> None:
        from chess import services
        from chess.models import GAME_GROUP_PREFIX
        from site_config.realtime.presence import listen

        # Game groups only; the lobby's sockets are not tracked.
        listen(GAME_GROUP_PREFIX, services.presence_changed)
