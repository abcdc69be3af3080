from django.apps import AppConfig


class VisitorsConfig(AppConfig):
    """Guest display names, sign-up and login, the identity of a request or socket."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "site_config.visitors"
    label = "visitors"
    verbose_name = "Visitors"
