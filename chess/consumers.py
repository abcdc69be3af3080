"""WebSocket consumers: one live game (`/ws/chess/<game>/`) and the lobby.

A consumer is an adapter: it validates the frame and runs one service on the chess
database thread; the service publishes what changed (after commit) to every socket
of the game on every process, and the consumer answers the sender's refusals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chess import services
from chess.events import GameStateChanged, LobbyChanged
from chess.executor import chess_db
from chess.models import game_group
from chess.services import GameChange, GameError, StaleMoveError
from chess.timers import deadline_of, flag_timers, frame_deadline
from site_config.realtime.consumer import CLOSE_TRY_AGAIN, HubConsumer
from site_config.realtime.hub import get_hub
from site_config.realtime.outages import log_failure
from site_config.realtime.presence import tracker
from site_config.realtime.protocol import ProtocolError, require_field
from site_config.visitors.identity import identity_from_scope

logger = logging.getLogger(__name__)

# Application close code: the game does not exist (the client must not reconnect).
CLOSE_NO_SUCH_GAME = 4404
MAX_UCI_LENGTH = 5
MAX_GAME_ID_LENGTH = 16  # Game.public_id's max_length
COULD_NOT_OPEN = "Could not open the game; reconnecting."


class GameConsumer(HubConsumer):
    """One socket on one game: players send commands, everyone receives states."""

    game_id: str
    group: str = ""
    visitor_ids: tuple[str, ...] = ()
    colour: str | None = None
    # True from just before this socket's presence is recorded until disconnect()
    # has removed it (a failed record must be undone too).
    tracked = False

    async def connect(self) -> None:
        self.game_id = self.scope["url_route"]["kwargs"]["game"]
        await self.accept()
        if len(self.game_id) > MAX_GAME_ID_LENGTH:
            # Not a game id (and too long for a channel-layer group name).
            await self.close_no_such_game()
            return
        self.group = game_group(self.game_id)
        try:
            await self.open()
        except services.GameNotFound:
            await self.close_no_such_game()
        except Exception as error:
            # E.g. the database or the channel layer is down: undo the hub
            # membership and presence, and let the client reconnect (4503).
            log_failure(logger, f"could not open chess game {self.game_id}", error)
            await self.close_try_again(COULD_NOT_OPEN)
            await self.disconnect(CLOSE_TRY_AGAIN)

    async def open(self) -> None:
        """Join the game's group, send the state to this socket (a due flag applied
        first), then record the presence."""
        identity = await identity_from_scope(self.scope)
        self.visitor_ids = identity.visitor_ids
        # Join before reading the state, so no change can fall between the two,
        # and hold what arrives meanwhile until the state is out (a state the
        # client receives twice is dropped by its version).
        self.hold_hub_events()
        await self.hub_join(self.group)
        view = await chess_db.run(
            services.game_view, game_id=self.game_id, visitor_ids=self.visitor_ids
        )
        self.colour = view.colour
        flag_timers().arm(self.game_id, deadline_of(view.state))
        await self.send_json(view.state)
        self.release_hub_events()
        self.tracked = True
        await tracker().join(
            group=self.group,
            connection=self.channel_name,
            member=services.presence_member(
                colour=self.colour,
                visitor_id=identity.visitor_id,
                channel=self.channel_name,
            ),
        )

    async def close_no_such_game(self) -> None:
        await self.send_error("No such game.")
        if self.group:
            await self.hub_leave(self.group)
        await self.close(code=CLOSE_NO_SUCH_GAME)

    async def disconnect(self, code: int) -> None:
        """Leave the hub, the presence and (with this process's last socket of the
        game) the flag timer; safe to run twice."""
        await super().disconnect(code)
        if self.group and not get_hub(self.channel_layer).local_count(self.group):
            flag_timers().disarm(self.game_id)
        if self.tracked:
            self.tracked = False
            try:
                await tracker().part(self.channel_name)
            except Exception as error:  # the socket is gone; the row goes stale
                log_failure(logger, "could not record a chess disconnect", error)

    def on_hub_event(self, event: str, frame: str) -> None:
        if event == GameStateChanged.name:
            flag_timers().arm(self.game_id, frame_deadline(frame))
        self.push_frame(frame)

    async def command(
        self, kind: str, call: Callable[..., GameChange], **extra: Any
    ) -> None:
        """Run one service; everyone gets the new state from it, the sender any
        refusal."""
        try:
            change = await chess_db.run(
                call, game_id=self.game_id, visitor_ids=self.visitor_ids, **extra
            )
        except StaleMoveError as exc:
            # The client is behind (or repeated itself): refuse, then catch it up.
            await self.send_error(str(exc), command=kind)
            await self.send_state()
        except GameError as exc:
            await self.send_error(str(exc), command=kind)
        else:
            if change.refused:
                # The game ended on time instead. The final state reaches every
                # socket through the hub; the sender gets it first, here, so the
                # refusal comes after it (the hub's copy is dropped by version).
                await self.send_json(change.state)
                await self.send_error(change.refused, command=kind)

    async def handle_move(self, content: dict[str, Any]) -> None:
        uci = require_field(content, "uci", str)
        ply = require_field(content, "ply", int)
        if len(uci) > MAX_UCI_LENGTH or ply < 0:
            raise ProtocolError("Malformed move: send UCI like e2e4 and ply >= 0.")
        if self.colour is None:
            # Seats are fixed when the socket opens (joining reloads the page), so a
            # spectator is refused without touching the database.
            raise ProtocolError("Spectators cannot move.")
        await self.command("move", services.move_make, uci=uci, ply=ply)

    async def handle_resign(self, content: dict[str, Any]) -> None:
        await self.command("resign", services.game_resign)

    async def handle_draw_offer(self, content: dict[str, Any]) -> None:
        await self.command("draw_offer", services.draw_offer)

    async def handle_draw_accept(self, content: dict[str, Any]) -> None:
        await self.command("draw_accept", services.draw_accept)

    async def handle_draw_decline(self, content: dict[str, Any]) -> None:
        await self.command("draw_decline", services.draw_decline)

    async def handle_draw_claim(self, content: dict[str, Any]) -> None:
        await self.command("draw_claim", services.draw_claim)

    async def handle_abort(self, content: dict[str, Any]) -> None:
        await self.command("abort", services.game_abort)

    async def handle_rematch(self, content: dict[str, Any]) -> None:
        await self.command("rematch", services.game_rematch)

    async def handle_flag(self, content: dict[str, Any]) -> None:
        """A player's claim that the side to move is out of time."""
        await self.command("flag", services.game_flag)

    async def handle_gone_claim(self, content: dict[str, Any]) -> None:
        """Win (or draw) because the opponent has been gone long enough."""
        outcome = content.get("outcome", "win")
        if outcome not in ("win", "draw"):
            raise ProtocolError('Field \'outcome\' must be "win" or "draw".')
        await self.command("gone_claim", services.game_claim_gone, outcome=outcome)

    async def handle_sync(self, content: dict[str, Any]) -> None:
        """Full state to the sender only (after a gap, a timeout or a reconnect)."""
        await self.send_state()

    async def send_state(self) -> None:
        """The full state to this socket only (a due flag applied first, for all)."""
        try:
            view = await chess_db.run(services.game_view, game_id=self.game_id)
        except services.GameNotFound:  # deleted meanwhile (the admin)
            await self.close_no_such_game()
            return
        flag_timers().arm(self.game_id, deadline_of(view.state))
        await self.send_json(view.state)


class LobbyConsumer(HubConsumer):
    """Tells the lobby page when its lists change: `{"type": "lobby", "version":
    N}` on connect and after every change; the page fetches the lists over HTTP."""

    async def connect(self) -> None:
        await self.accept()
        await self.hub_join(services.LOBBY_GROUP)
        version = await chess_db.run(services.lobby_version)
        await self.send_json(LobbyChanged(version).payload())
