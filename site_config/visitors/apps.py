from django.apps import AppConfig


class VisitorsConfig(AppConfig):
    """Guest display names, sign-up and login, the identity of a request or socket."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "site_config.visitors"
    label = "visitors"
    verbose_name = "Visitors"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from site_config.visitors.ratelimits import count_failed_login

        # Failed logins count per username, from every form that checks passwords.
        user_login_failed.connect(count_failed_login, dispatch_uid="count_failed_login")
