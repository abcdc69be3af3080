"""What every game command shares: its errors, the locked read of the game row, the
seat check, ending a game, and saving a change (which publishes the new state).

Each command runs in one transaction that first locks the game row
(`select_for_update`), so commands of one game are serialised even across daphne
processes; the `(game, ply)` unique constraint is the second line of defence. A
command that changes the game bumps its `version` and publishes the new state once
the transaction commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from chess import clock
from chess.events import GameStateChanged
from chess.game_state import state_payload
from chess.models import Game, Status
from chess.rules import Board
from chess.services.lobby import lobby_changed
from site_config.realtime.events import publish_on_commit


class GameError(ValueError):
    """A command the game refuses; the message is shown to the sender."""


class StaleMoveError(GameError):
    """A move for a ply that is already played (duplicate) or not yet reached."""


class NotSeatedError(GameError):
    """The sender holds no seat in the game (a spectator)."""


class NotYourTurnError(GameError):
    """A seated player tried to move while it is the opponent's turn."""


class GameNotFound(GameError):
    """No game has that public id."""


@dataclass(frozen=True)
class GameChange:
    """The outcome of a command: the game after it and its published state."""

    game: Game
    state: dict[str, Any]
    # Set when the command itself was not carried out although the game changed:
    # the side to move's time had run out, so the game ended on time instead. The
    # message goes to the sender as an error; the state went to everyone.
    refused: str | None = None


def game_read(game_id: str) -> Game:
    """The game row, unlocked."""
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise GameNotFound("No such game.")
    return game


def game_locked(game_id: str) -> Game:
    """The game row, locked until the surrounding transaction ends."""
    try:
        return Game.objects.select_for_update().get(public_id=game_id)
    except Game.DoesNotExist:
        raise GameNotFound("No such game.") from None


def seat_of(game: Game, visitor_ids: Collection[str]) -> str:
    """The sender's colour, or NotSeatedError for a spectator."""
    colour = game.colour_of(visitor_ids)
    if colour is None:
        raise NotSeatedError(
            "Only the two seated players can do that; you are watching."
        )
    return colour


def require_active(game: Game) -> None:
    if game.status == Status.WAITING:
        raise GameError("The game has not started: waiting for an opponent.")
    if game.status != Status.ACTIVE:
        raise GameError("The game is over.")


def finish(game: Game, *, result: str, termination: str, now: datetime) -> None:
    """End the game (not saved yet); the final times stay on the clocks."""
    clock.settle(game, now)
    game.status = Status.FINISHED
    game.result = result
    game.termination = termination
    game.draw_offer = ""
    game.ended_at = now


def change_save(
    game: Game,
    *,
    now: datetime | None = None,
    board: Board | None = None,
    lobby: bool = False,
    refused: str | None = None,
    update_fields: list[str] | None = None,
) -> GameChange:
    """Bump the version, save, and publish the new state after commit (and a lobby
    change if `lobby`: the game opened, started or ended).

    `board` is the game's current board if the caller has it; `update_fields`
    narrows the UPDATE to the columns a command can change.
    """
    now = now or timezone.now()
    game.version += 1
    game.flag_at = clock.flag_at(game)
    game.save(update_fields=update_fields)
    state = state_payload(game, board, now)
    publish_on_commit(game.group, GameStateChanged(state))
    if lobby:
        lobby_changed()
    return GameChange(game, state, refused)
