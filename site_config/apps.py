from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The composition root: settings, URLs, ASGI routing and the home page."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "site_config"
    verbose_name = "Parlour site"
