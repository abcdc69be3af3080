"""WebSocket consumers: one live game (`/ws/chess/<game>/`) and the lobby.

A consumer is an adapter: it validates the frame, runs one service in the sync
thread (one row-locked transaction), and publishes the state the service built,
encoded once, to every socket of the game on every process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async

from chess import services
from chess.broadcast import lobby_frame
from chess.game_state import state_payload
from chess.models import Game
from chess.services import LOBBY_GROUP, GameChange, GameError, StaleMoveError
from site_config.identity import identity_from_scope
from site_config.realtime import (
    JsonHubConsumer,
    ProtocolError,
    encode,
    publish,
    require_field,
)

logger = logging.getLogger(__name__)

# Application close code: the game does not exist (the client must not reconnect).
CLOSE_NO_SUCH_GAME = 4404
MAX_UCI_LENGTH = 5
MAX_GAME_ID_LENGTH = 16  # Game.public_id's max_length


def _open_game(
    game_id: str, channel: str, session_key: str | None
) -> tuple[str, str | None, dict[str, Any]] | None:
    """Find the game and record the presence: (state frame, colour, presence)."""
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        return None
    presence = services.presence_enter(
        game=game, channel=channel, session_key=session_key
    )
    return (
        encode(state_payload(game)),
        game.colour_of(session_key),
        presence,
    )


def _state_frame(game_id: str) -> str:
    return encode(services.game_state(game_id=game_id))


class GameConsumer(JsonHubConsumer):
    """One socket on one game: players send commands, everyone receives states."""

    game_id: str
    group: str
    session_key: str | None
    colour: str | None = None
    present = False

    async def connect(self) -> None:
        self.game_id = self.scope["url_route"]["kwargs"]["game"]
        self.group = f"chess_{self.game_id}"
        await self.accept()
        if len(self.game_id) > MAX_GAME_ID_LENGTH:
            # Not a game id (and too long for a channel-layer group name).
            await self.send_error("No such game.")
            await self.close(code=CLOSE_NO_SUCH_GAME)
            return
        identity = await identity_from_scope(self.scope)
        self.session_key = identity.session_key
        # Join before reading the state, so no change can fall between the two;
        # a state the client receives twice is dropped by its version.
        await self.hub_join(self.group)
        opened = await database_sync_to_async(_open_game)(
            self.game_id, self.channel_name, self.session_key
        )
        if opened is None:
            await self.send_error("No such game.")
            await self.close(code=CLOSE_NO_SUCH_GAME)
            return
        frame, self.colour, presence = opened
        self.present = True
        await self.send_frame(frame)
        await publish(self.group, presence)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.present:
            self.present = False
            try:
                presence = await database_sync_to_async(services.presence_leave)(
                    channel=self.channel_name
                )
            except Exception:  # the socket is gone either way; the row is stale
                logger.exception("could not record a chess disconnect")
                return
            if presence is not None:
                await publish(self.group, presence)

    async def _run(self, kind: str, call: Callable[..., GameChange], **kw: Any) -> None:
        """Run one service, publish its change, or tell the sender why not."""
        try:
            change = await database_sync_to_async(call)(
                game_id=self.game_id,
                session_key=self.session_key,
                publish=False,
                **kw,
            )
        except StaleMoveError as exc:
            # The client is behind (or repeated itself): refuse, then catch it up.
            await self.send_error(str(exc), command=kind)
            await self.send_frame(
                await database_sync_to_async(_state_frame)(self.game_id)
            )
            return
        except GameError as exc:
            await self.send_error(str(exc), command=kind)
            return
        await publish(self.group, change.frame)
        if change.lobby_changed:
            await publish(LOBBY_GROUP, await database_sync_to_async(lobby_frame)())

    async def handle_move(self, content: dict[str, Any]) -> None:
        uci = require_field(content, "uci", str)
        ply = require_field(content, "ply", int)
        if len(uci) > MAX_UCI_LENGTH or ply < 0:
            raise ProtocolError("Malformed move: send UCI like e2e4 and ply >= 0.")
        if self.colour is None:
            # Seats are fixed when the socket opens (joining reloads the page), so a
            # spectator is refused without touching the database.
            raise ProtocolError("Spectators cannot move.")
        await self._run("move", services.move_make, uci=uci, ply=ply)

    async def handle_resign(self, content: dict[str, Any]) -> None:
        await self._run("resign", services.game_resign)

    async def handle_draw_offer(self, content: dict[str, Any]) -> None:
        await self._run("draw_offer", services.draw_offer)

    async def handle_draw_accept(self, content: dict[str, Any]) -> None:
        await self._run("draw_accept", services.draw_accept)

    async def handle_draw_decline(self, content: dict[str, Any]) -> None:
        await self._run("draw_decline", services.draw_decline)

    async def handle_draw_claim(self, content: dict[str, Any]) -> None:
        await self._run("draw_claim", services.draw_claim)

    async def handle_abort(self, content: dict[str, Any]) -> None:
        await self._run("abort", services.game_abort)

    async def handle_rematch(self, content: dict[str, Any]) -> None:
        await self._run("rematch", services.game_rematch)

    async def handle_sync(self, content: dict[str, Any]) -> None:
        """Full state to the sender only (after a gap, a timeout or a reconnect)."""
        await self.send_frame(await database_sync_to_async(_state_frame)(self.game_id))


class LobbyConsumer(JsonHubConsumer):
    """The lobby lists, pushed as one rendered fragment whenever a game opens,
    starts or ends."""

    async def connect(self) -> None:
        await self.accept()
        await self.hub_join(LOBBY_GROUP)

    async def handle_sync(self, content: dict[str, Any]) -> None:
        """The current lists to the sender only (after a reconnect)."""
        await self.send_frame(await database_sync_to_async(lobby_frame)())
