"""Chat limits and timings, read at call time so tests and deployments can change them.

Every value can be overridden by a Django setting of the same name (``CHAT_...``).
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, float] = {
    # Message body length after trimming.
    "CHAT_BODY_MAX": 2000,
    # Flood control per connection: at most CHAT_FLOOD_COUNT messages per window.
    "CHAT_FLOOD_COUNT": 5,
    "CHAT_FLOOD_SECONDS": 5.0,
    # Typing notices: at most one per connection per interval is relayed.
    "CHAT_TYPING_INTERVAL": 2.0,
    # Messages on the room page, per "load older" page, and per resume batch.
    "CHAT_PAGE_SIZE": 50,
    "CHAT_RESUME_BATCH": 200,
}


def get(name: str) -> float:
    """Return the chat setting `name` (a key of DEFAULTS)."""
    return getattr(settings, name, DEFAULTS[name])


def get_int(name: str) -> int:
    return int(get(name))
