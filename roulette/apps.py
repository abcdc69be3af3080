"""Roulette app: wheel, betting table, JSON API and strategy simulator."""

from django.apps import AppConfig


class RouletteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "roulette"
    verbose_name = "Roulette"

    def ready(self) -> None:
        from roulette.services import wallet_rekey
        from site_config.visitors.identity import on_session_rekey

        on_session_rekey(wallet_rekey)
