"""Chess settings with their defaults, read when used (never at import time)."""

from __future__ import annotations

from django.conf import settings

DEFAULT_GONE_CLAIM_SECONDS = 30


def gone_claim_seconds() -> int:
    """How long a player's sockets must all be closed before the opponent may claim."""
    return int(
        getattr(settings, "CHESS_GONE_CLAIM_SECONDS", DEFAULT_GONE_CLAIM_SECONDS)
    )
