"""Who is connected where: one row per open socket, shared by every live feature."""

from __future__ import annotations

from django.db import models


class Presence(models.Model):
    """One open WebSocket in a hub group.

    `member` is who the feature counts (a chat name, a chess seat); several sockets
    of one member count once. Rows are refreshed by their process's heartbeat; a row
    older than PARLOUR_PRESENCE_TTL_SECONDS belongs to a process that died and no
    longer counts, and the next sweep deletes it.
    """

    group = models.CharField(max_length=100)
    connection = models.CharField(max_length=64, unique=True)
    member = models.CharField(max_length=200)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["group", "last_seen"], name="presence_group_seen")
        ]
        verbose_name_plural = "presence"

    def __str__(self) -> str:
        return f"{self.member} in {self.group}"
