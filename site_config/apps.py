from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The site itself: identity (guest names), home page, echo socket, realtime hub."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "site_config"
    verbose_name = "Parlour site"
