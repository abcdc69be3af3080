"""The lobby lists: one server-rendered fragment for the page and the pushes.

The fragment is rendered once per lobby change and reused by every page view and
push of this process: it is cached under the lobby's key (a stamp that every create,
join and end changes in the database, plus the newest game's id), which one cheap
query reads, so a change made by any process is seen by all. A short lifetime bounds
what a write outside the services (the admin's change form) can leave stale.
"""

from __future__ import annotations

import time

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from chess import services
from chess.selectors import lobby_games, lobby_state
from site_config.realtime import encode

# Also refreshes the order of the games in progress (by last move) this often.
CACHE_SECONDS = 2.0

# (key, expiry on the monotonic clock, html); replaced whole, so threads may share it.
_cached: tuple[tuple[int, int | None], float, SafeString] | None = None


def lobby_html(*, sweep: bool = False) -> SafeString:
    """The rendered lists, from this process's cache while the lobby is unchanged.

    `sweep` first ends the running games whose flag is due (the page does this, so
    a game whose players both left does not linger "in progress"); the same query
    that reads the cache key says whether any is.
    """
    global _cached
    at = timezone.now()
    # Read before the lists: a change in between only causes a re-render.
    state = lobby_state(at)
    if sweep and (state is None or state[2]):
        services.flags_sweep(now=at)
        state = lobby_state(at)
    key = None if state is None else (state[0], state[1])
    now = time.monotonic()
    cached = _cached
    if key is not None and cached is not None and cached[0] == key and now < cached[1]:
        return cached[2]
    html = render_to_string("chess/lobby.html#lists", {"lobby": lobby_games()})
    if key is not None:
        _cached = (key, now + CACHE_SECONDS, html)
    return html


def lobby_frame() -> str:
    """The `lobby` message, rendered and encoded once for every lobby socket."""
    return encode({"type": "lobby", "html": lobby_html()})
