"""For the data migrations that replace stored session keys with visitor ids.

The chess, roulette and visitors migrations each hold session keys (seats, wallets,
guest names). A session's visitor id lives in its own data, so every migration
finds the same id for the same session, whatever order they run in: the first one
to meet a session writes a new id into it, the others read it back.

The session is read and written through the configured engine's `SessionStore`,
so a cached session (`cached_db`) changes in the cache too, not only in
`django_session`. A session that no longer exists (expired, flushed, or in an
engine that cannot be read by key, such as signed cookies) can never be presented
again: its rows get an id that no session holds.

Migrations import this module: change it only in ways that keep them correct.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from site_config.visitors.identity import VISITOR_ID_KEY, new_visitor_id


class SessionVisitorIds:
    """Session key -> visitor id, for one migration run."""

    def __init__(self) -> None:
        engine = import_module(settings.SESSION_ENGINE)
        self.store_class = engine.SessionStore
        self.found: dict[str, str] = {}
        self.orphaned: set[str] = set()

    def visitor_id(self, session_key: str) -> str:
        """The visitor id of session `session_key`, written into it if missing; a
        fresh id held by nobody when the session is gone."""
        if session_key not in self.found:
            self.found[session_key] = self._lookup(session_key)
        return self.found[session_key]

    def is_live(self, session_key: str) -> bool:
        """Whether `session_key` still names a session (after `visitor_id`)."""
        self.visitor_id(session_key)
        return session_key not in self.orphaned

    def _lookup(self, session_key: str) -> str:
        if settings.SESSION_ENGINE.endswith("signed_cookies"):
            self.orphaned.add(session_key)
            return new_visitor_id()
        session = self.store_class(session_key)
        visitor_id = session.get(VISITOR_ID_KEY)
        # Loading a missing or expired session leaves the store without a key.
        if session.session_key is None:
            self.orphaned.add(session_key)
            return new_visitor_id()
        if not visitor_id:
            visitor_id = new_visitor_id()
            session[VISITOR_ID_KEY] = visitor_id
        # Saved even when the id was there: with `cached_db`, a cached copy
        # written by an earlier, rolled-back run must reach the database too.
        session.save()
        return str(visitor_id)
