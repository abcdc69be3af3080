"""Chess settings with their defaults, read when used (never at import time)."""

from __future__ import annotations

from django.conf import settings

DEFAULT_GONE_CLAIM_SECONDS = 30
DEFAULT_HEARTBEAT_SECONDS = 10.0
# A presence row counts while its last heartbeat is younger than this many
# heartbeats: one missed beat (a busy process) must not blink the dot off.
PRESENCE_TTL_BEATS = 3


def gone_claim_seconds() -> int:
    """How long a player's sockets must all be closed before the opponent may claim."""
    return int(
        getattr(settings, "CHESS_GONE_CLAIM_SECONDS", DEFAULT_GONE_CLAIM_SECONDS)
    )


def heartbeat_seconds() -> float:
    """How often each game socket refreshes its presence row."""
    return float(
        getattr(settings, "CHESS_PRESENCE_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS)
    )


def presence_ttl_seconds() -> float:
    """Age after which a presence row no longer counts (its process is gone)."""
    return heartbeat_seconds() * PRESENCE_TTL_BEATS
