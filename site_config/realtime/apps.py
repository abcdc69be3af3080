"""The realtime layer is a Django app only for its presence table."""

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "site_config.realtime"
    label = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        from site_config.realtime import transports

        transports.log_configuration()
