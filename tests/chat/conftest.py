"""Chat-only fixtures: rooms, named sessions and connected chat sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Room
from site_config.visitors.identity import Identity


@pytest.fixture
def make_room() -> Callable[..., Room]:
    """`make_room("Lounge")`: an open room created through the service (needs db)."""

    def make(name: str = "Lounge", creator: str = "Host") -> Room:
        return services.room_create(name=name, identity=Identity(("k",), creator))

    return make


@pytest.fixture
async def chat_sockets(
    communicator: Callable[..., Any], make_session: Callable[..., str]
) -> AsyncIterator[Callable[..., Any]]:
    """`await open_chat(slug, "Ann")`: a connected room socket for a new session
    named Ann, its welcome frame (and, for a new session, its own join notice)
    already read. `session=` reuses a session. Every socket is closed afterwards."""
    opened: list[Any] = []

    async def open_chat(slug: str, name: str | None = "Ann", session: str = "") -> Any:
        key = session or await database_sync_to_async(make_session)(name)
        ws = communicator(f"/ws/chat/{slug}/", key)
        connected, _ = await ws.connect()
        assert connected
        opened.append(ws)
        if name:
            welcome = await ws.receive_json_from()
            assert welcome["type"] == "welcome", welcome
            ws.welcome = welcome
            if not session:  # a new person: their own join notice comes next
                joined = await ws.receive_json_from()
                assert (joined["type"], joined["name"]) == ("join", name), joined
        ws.session_key = key
        return ws

    yield open_chat
    for ws in opened:
        await ws.disconnect()


@pytest.fixture
def chat_client(live_client: Callable[..., Any]) -> Callable[[str], Any]:
    """`chat_client("Ann")`: a live-server session named Ann.

    The home page carries no form (so no CSRF cookie), hence the name form is
    fetched first to obtain one before posting it.
    """

    def make(name: str) -> Any:
        client = live_client()
        client.get("/name/")
        client.set_name(name)
        return client

    return make
