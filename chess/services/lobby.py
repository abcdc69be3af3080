"""The lobby's version and its rendered lists, kept in Django's cache framework.

Every command that opens, starts or ends a game bumps the version once its
transaction has committed and publishes it to the lobby sockets
(`{"type": "lobby", "version": N}`); pages and clients fetch the lists rendered for
that version over HTTP. The version is bumped after COMMIT, so lists cached under a
version were read after every change up to it. With the Redis cache every process
shares the version and one render per change; the lists also expire after a few
seconds, which bounds what a write outside the services (the admin's change form,
a flag nobody has applied yet) leaves stale, and refreshes the order of the games
in progress (by last move).

A cache outage costs the caching, never a page or a command.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

from chess.events import LobbyChanged
from site_config.realtime.events import publish_on_commit

logger = logging.getLogger(__name__)

LOBBY_GROUP = "chess_lobby"
VERSION_KEY = "chess:lobby:version"
LISTS_KEY = "chess:lobby:lists"
LISTS_SECONDS = 2.0


def _first_version() -> int:
    # A counter whose key was evicted (or a flushed cache) restarts at a random
    # value, never at one that lists may still be cached under. Below 2**53: JSON.
    return secrets.randbits(48) + 1


def lobby_version() -> int | None:
    """The lobby's current version; None if the cache cannot be reached."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = _first_version()
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY)
    except Exception:
        logger.warning("lobby version unavailable (cache down?)", exc_info=True)
        return None
    return int(version) if version is not None else None


def _version_bump() -> int | None:
    try:
        return int(cache.incr(VERSION_KEY))
    except ValueError:  # no version yet (or evicted)
        version = _first_version()
        try:
            if cache.add(VERSION_KEY, version, timeout=None):
                return version
            return int(cache.incr(VERSION_KEY))
        except Exception:
            logger.warning("lobby version not bumped", exc_info=True)
            return None
    except Exception:
        logger.warning("lobby version not bumped (cache down?)", exc_info=True)
        return None


def _lobby_publish() -> None:
    # Outside the committed transaction: this publish goes out at once.
    publish_on_commit(LOBBY_GROUP, LobbyChanged(_version_bump()))


def lobby_changed() -> None:
    """The lobby lists change with the current transaction: once it commits, bump
    the version and tell the lobby sockets."""
    transaction.on_commit(_lobby_publish)


def lobby_lists(*, render: Callable[[], str]) -> tuple[int | None, str]:
    """The lobby lists fragment and the version it is valid for.

    `render()` builds the fragment; it runs only when the cached one is of another
    version or expired. Never call this on a database thread (it renders).
    """
    try:
        found = cache.get_many([VERSION_KEY, LISTS_KEY])
    except Exception:
        logger.warning("lobby lists not cached (cache down?)", exc_info=True)
        return None, render()
    version = found.get(VERSION_KEY)
    cached = found.get(LISTS_KEY)
    if version is None:
        version = lobby_version()
    elif cached is not None and cached[0] == version:
        return version, cached[1]
    html = render()
    if version is not None:
        try:
            cache.set(LISTS_KEY, (version, html), timeout=LISTS_SECONDS)
        except Exception:
            logger.warning("lobby lists not cached", exc_info=True)
    return version, html
