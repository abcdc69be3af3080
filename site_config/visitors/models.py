"""Guest display names: who holds which name, so that active names stay unique."""

from django.db import models
from django.db.models.functions import Lower


class Guest(models.Model):
    """A display name claimed by one browser session (guests have no account)."""

    session_key = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=24)
    created = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("name"), name="guest_name_unique_ci"),
        ]
        # The table it had when it belonged to the `site_config` app.
        db_table = "site_config_guest"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
