"""Guest display names and accounts' visitor ids (see `identity.py`)."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

# Visitor ids are `secrets.token_urlsafe(16)`: 22 characters; room to grow.
VISITOR_ID_LENGTH = 32


class Guest(models.Model):
    """A display name claimed by one guest visitor (guests have no account)."""

    visitor_id = models.CharField(max_length=VISITOR_ID_LENGTH, unique=True)
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


class AccountVisitor(models.Model):
    """The visitor id an account acts as, on every browser it signs in from."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True
    )
    visitor_id = models.CharField(max_length=VISITOR_ID_LENGTH, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"visitor id of user {self.user_id}"
