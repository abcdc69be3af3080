"""Visitor ids for tests: seat a test's sessions and clients without going through
the pages that would create their ids (site_config/visitors/identity.py)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from site_config.visitors.identity import VISITOR_ID_KEY, new_visitor_id


def session_visitor_id(session: SessionBase) -> str:
    """The visitor id in `session`, given one (and saved) if it has none."""
    visitor_id = session.get(VISITOR_ID_KEY)
    if not visitor_id:
        visitor_id = session[VISITOR_ID_KEY] = new_visitor_id()
        session.save()
    return str(visitor_id)


def visitor_of(session_key: str) -> str:
    """The visitor id of the stored session `session_key`, given one if needed."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    visitor_id = session_visitor_id(store)
    assert store.session_key == session_key, "no such session"
    return visitor_id


def client_visitor_id(client: Any) -> str:
    """The visitor id of a Django test `Client` (its session created if needed)."""
    return session_visitor_id(client.session)


def client_visitor_ids(client: Any) -> tuple[str, ...]:
    """What the seats and wallets of a test `Client`'s visitor are keyed by now."""
    from site_config.visitors.identity import GUEST_VISITOR_ID_KEY

    session = client.session
    ids = (session.get(VISITOR_ID_KEY), session.get(GUEST_VISITOR_ID_KEY))
    return tuple(i for i in ids if i)
