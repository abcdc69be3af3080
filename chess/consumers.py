"""WebSocket consumers: one live game (`/ws/chess/<game>/`) and the lobby.

A consumer is an adapter: it validates the frame, runs one service in the sync
thread (one row-locked transaction), and publishes the state the service built,
encoded once, to every socket of the game on every process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from chess import executor, services
from chess.broadcast import lobby_frame
from chess.clock import deadline_ms
from chess.conf import heartbeat_seconds
from chess.game_state import state_payload
from chess.models import Game
from chess.services import LOBBY_GROUP, GameChange, GameError, StaleMoveError
from site_config.dbthread import spawn
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
# The server's own flag check runs this long after the clock should hit zero, so
# that it never comes a hair early (and then has to re-arm).
FLAG_GRACE_S = 0.05
FLAG_RETRIES = 3
# Close code when opening the game failed on our side (the client reconnects).
# "Try again": a server-side failure; the client reconnects. (1011 would be the
# standard code, but autobahn lets applications close only with 1000 or 3000-4999.)
CLOSE_SERVER_ERROR = 4503


class PresenceHeartbeat:
    """One task per event loop (i.e. per process) that keeps the presence rows of
    all this process's game sockets fresh with one UPDATE per interval, sweeps the
    rows of dead processes, and publishes the presence of every game that changed.
    """

    def __init__(self) -> None:
        # channel name -> (the game's group, what restores the row if pruned)
        self.connections: dict[str, tuple[str, services.PresenceSeat]] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, channel: str, group: str, seat: services.PresenceSeat) -> None:
        self.connections[channel] = (group, seat)
        if self.task is None or self.task.done():
            self.task = spawn(self.run())

    def discard(self, channel: str) -> None:
        self.connections.pop(channel, None)
        if not self.connections and self.task is not None:
            self.task.cancel()
            self.task = None

    async def run(self) -> None:
        while self.connections:
            await asyncio.sleep(heartbeat_seconds())
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: the next beat tries again
                logger.exception("chess presence heartbeat failed")

    async def beat(self) -> None:
        sockets = dict(self.connections)
        result = await executor.run(
            services.presence_heartbeat,
            connections={channel: seat for channel, (_, seat) in sockets.items()},
        )
        for group, summary in result.summaries.items():
            await publish(group, summary)
        for channel in result.restored:
            if channel not in self.connections:
                # The socket closed while its row was being restored: undo that.
                summary = await executor.run(services.presence_leave, channel=channel)
                if summary is not None:
                    await publish(sockets[channel][0], summary)


_heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceHeartbeat] = (
    weakref.WeakKeyDictionary()
)


def heartbeat() -> PresenceHeartbeat:
    """This process's (this event loop's) presence heartbeat."""
    loop = asyncio.get_running_loop()
    beat = _heartbeats.get(loop)
    if beat is None:
        beat = _heartbeats[loop] = PresenceHeartbeat()
    return beat


# (group, frame) pairs a call on the chess thread leaves for the event loop to
# publish: publishing from that thread (async_to_sync) would not reach this loop.
Pending = list[tuple[str, str]]


def _pending(change: GameChange | None) -> Pending:
    if change is None:
        return []
    frames = [(change.game.group, change.frame)]
    if change.lobby_changed:
        frames.append((LOBBY_GROUP, lobby_frame()))
    return frames


def _open_game(
    game_id: str, channel: str, session_key: str | None
) -> tuple[str, str | None, dict[str, Any], int, bool, Pending] | None:
    """Find the game and record the presence: (state frame, colour, presence, pk,
    whether it has a clock, frames to publish).

    A flag that fell due while nobody watched is applied first (and its change is
    returned for publishing).
    """
    try:
        flagged = services.flag_check(game_id=game_id, publish=False)
    except services.GameNotFound:
        return None
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
        game.pk,
        game.clock_base_s is not None,
        _pending(flagged),
    )


def _flag_deadline(game_id: str) -> int | None:
    """Milliseconds until the side to move flags, or None if no clock runs."""
    game = Game.objects.filter(public_id=game_id).first()
    return None if game is None else deadline_ms(game, timezone.now())


def _state_frame(game_id: str) -> tuple[str, Pending]:
    """The full state (a due flag applied first) and the frames to publish."""
    now = timezone.now()
    flagged = services.flag_check(game_id=game_id, now=now, publish=False)
    if flagged is not None:
        return flagged.frame, _pending(flagged)
    state = services.game_state(game_id=game_id, now=now, publish=False)
    return encode(state), []


class GameConsumer(JsonHubConsumer):
    """One socket on one game: players send commands, everyone receives states."""

    game_id: str
    group: str
    session_key: str | None
    colour: str | None = None
    # True while this socket may have a presence row (from just before it is
    # written until disconnect() has removed it).
    present = False
    game_pk: int | None = None
    # Whether the game has a clock (fixed for its lifetime): only then do states
    # need reading for the flag timer.
    timed = False
    flag_timer: asyncio.Task[None] | None = None

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
        try:
            await self._open()
        except Exception:
            # E.g. the database or the channel layer is down. Without this, the
            # hub would keep delivering to a dead consumer and the presence row
            # would count as online until swept: undo both, and let the client
            # reconnect (4503 is not a fatal code for it).
            logger.exception("could not open chess game %s", self.game_id)
            await self._abandon()

    async def _open(self) -> None:
        self.present = True  # from here on a row may exist, even if this fails
        opened = await executor.run(
            _open_game, self.game_id, self.channel_name, self.session_key
        )
        if opened is None:
            self.present = False
            await self.send_error("No such game.")
            await self.close(code=CLOSE_NO_SUCH_GAME)
            return
        frame, self.colour, presence, self.game_pk, self.timed, pending = opened
        for group, event in pending:
            await publish(group, event)
        heartbeat().add(
            self.channel_name,
            self.group,
            services.PresenceSeat(self.game_pk, self.session_key, self.colour),
        )
        await self.send_frame(frame)
        await publish(self.group, presence)

    async def _abandon(self) -> None:
        """After a failed connect: close (the client reconnects), then clean up as
        a disconnect does (which may run again when the close lands: it is safe)."""
        try:
            await self.send_error("Could not open the game; reconnecting.")
            await self.close(code=CLOSE_SERVER_ERROR)
        except Exception:
            logger.debug("could not close the socket", exc_info=True)
        await self.disconnect(CLOSE_SERVER_ERROR)

    async def disconnect(self, code: int) -> None:
        if self.flag_timer is not None:
            self.flag_timer.cancel()
            self.flag_timer = None
        if hasattr(self, "channel_name"):
            heartbeat().discard(self.channel_name)
        await super().disconnect(code)
        if self.present:
            self.present = False
            try:
                presence = await executor.run(
                    services.presence_leave, channel=self.channel_name
                )
            except Exception:  # the socket is gone either way; the row is stale
                logger.exception("could not record a chess disconnect")
                return
            if presence is not None:
                await publish(self.group, presence)

    async def send_frame(self, frame: str) -> None:
        """A seated player's socket re-arms the server-side flag timer on every
        state it is sent, so a game ends on time even if no client claims it."""
        if (
            self.colour is not None
            and self.timed
            and not self.closed  # no timer may outlive the socket
            and frame.startswith('{"type":"state"')
        ):
            self._arm_flag_timer(frame)
        await super().send_frame(frame)

    def _arm_flag_timer(self, frame: str) -> None:
        if self.flag_timer is not None:
            self.flag_timer.cancel()
            self.flag_timer = None
        try:
            state = json.loads(frame)
        except ValueError:
            return
        clock = state.get("clock")
        if state.get("status") != "active" or not clock or not clock.get("running"):
            return
        left_ms = clock["white" if clock["running"] == "w" else "black"]
        self.flag_timer = spawn(self._flag_after(left_ms / 1000 + FLAG_GRACE_S))

    async def _flag_after(self, delay: float) -> None:
        """Sleep until the running clock is out, then end the game on time."""
        for _ in range(FLAG_RETRIES):
            await asyncio.sleep(delay)
            try:
                change = await executor.run(
                    services.flag_check, game_id=self.game_id, publish=False
                )
            except services.GameNotFound:
                return
            if change is not None:
                # The state this publishes re-arms (cancels) timers; not this one.
                self.flag_timer = None
                await publish(self.group, change.frame)
                await publish(LOBBY_GROUP, await executor.run(lobby_frame))
                return
            left = await executor.run(_flag_deadline, self.game_id)
            if left is None:
                return  # the game moved on or ended; its next state re-arms
            delay = left / 1000 + FLAG_GRACE_S

    async def _run(self, kind: str, call: Callable[..., GameChange], **kw: Any) -> None:
        """Run one service, publish its change, or tell the sender why not."""
        try:
            change = await executor.run(
                call,
                game_id=self.game_id,
                session_key=self.session_key,
                publish=False,
                **kw,
            )
        except StaleMoveError as exc:
            # The client is behind (or repeated itself): refuse, then catch it up.
            await self.send_error(str(exc), command=kind)
            await self.send_state()
            return
        except GameError as exc:
            await self.send_error(str(exc), command=kind)
            return
        await publish(self.group, change.frame)
        if change.lobby_changed:
            await publish(LOBBY_GROUP, await executor.run(lobby_frame))
        if change.refused:  # the game ended on time instead
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

    async def handle_flag(self, content: dict[str, Any]) -> None:
        """A player's claim that the side to move is out of time."""
        await self._run("flag", services.game_flag)

    async def handle_gone_claim(self, content: dict[str, Any]) -> None:
        """Win (or draw) because the opponent has been gone long enough."""
        outcome = content.get("outcome", "win")
        if outcome not in ("win", "draw"):
            raise ProtocolError('Field \'outcome\' must be "win" or "draw".')
        await self._run("gone_claim", services.game_claim_gone, outcome=outcome)

    async def handle_sync(self, content: dict[str, Any]) -> None:
        """Full state to the sender only (after a gap, a timeout or a reconnect)."""
        await self.send_state()

    async def send_state(self) -> None:
        """The full state to this socket only (and a flag it applied to everyone)."""
        frame, pending = await executor.run(_state_frame, self.game_id)
        for group, event in pending:
            await publish(group, event)
        await self.send_frame(frame)


class LobbyConsumer(JsonHubConsumer):
    """The lobby lists, pushed as one rendered fragment whenever a game opens,
    starts or ends."""

    async def connect(self) -> None:
        await self.accept()
        await self.hub_join(LOBBY_GROUP)

    async def handle_sync(self, content: dict[str, Any]) -> None:
        """The current lists to the sender only (after a reconnect)."""
        await self.send_frame(await executor.run(lobby_frame))
