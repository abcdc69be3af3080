"""Clock flags: a game ends on time when the side to move has no time left.

Nobody has to be connected. Every command checks the flag first, inside its lock;
a player may claim it; any process's flag timer (`chess.timers`), a page load, a
state read, a resync and the lobby's sweep apply it too. The due time is kept on
the game (`Game.flag_at`), so due flags are found with one indexed query.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from chess import clock
from chess.models import Colour, Game, Status, Termination
from chess.rules import Board
from chess.services.base import (
    GameChange,
    GameError,
    GameNotFound,
    change_save,
    finish,
    game_locked,
    game_read,
    require_active,
    seat_of,
)

TIME_UP = "Time is up: the game ended on time before your command."


def flag_if_due(game: Game, now: datetime) -> bool:
    """End the (locked) game on time if the side to move has no time left.

    A loss for the side to move, or a draw when the opponent has no mating
    material (SPEC: a flag against a bare king is a draw). Not saved yet.
    """
    if not clock.flag_due(game, now):
        return False
    winner = Colour.BLACK if game.turn == Colour.WHITE else Colour.WHITE
    if Board.from_fen(game.fen).has_mating_material(winner):
        result = "1-0" if winner == Colour.WHITE else "0-1"
    else:
        result = "1/2-1/2"
    finish(game, result=result, termination=Termination.TIMEOUT, now=now)
    return True


def timeout_change(game: Game, now: datetime) -> GameChange | None:
    """If the (locked) game's flag is due, end it on time and return that change,
    with the command refused; every command checks this first."""
    if not flag_if_due(game, now):
        return None
    return change_save(game, now=now, lobby=True, refused=TIME_UP)


def flag_apply(game: Game, now: datetime) -> GameChange | None:
    """End `game` (an unlocked read) on time if its flag is due; None otherwise.

    Only a due flag takes the lock, so looking at a game whose clock has time
    left costs no more than the read.
    """
    if not clock.flag_due(game, now):
        return None
    with transaction.atomic():
        game = game_locked(game.public_id)
        if not flag_if_due(game, now):
            return None  # another command got there first
        return change_save(game, now=now, lobby=True)


def flag_check(*, game_id: str, now: datetime | None = None) -> GameChange | None:
    """End the game on time if the side to move's flag is due; None otherwise."""
    now = now or timezone.now()
    return flag_apply(game_read(game_id), now)


def flag_wait(*, game_id: str, now: datetime | None = None) -> float | None:
    """A flag timer's call: apply the flag if it is due; otherwise the seconds
    until it falls (None when no clock runs, or the game is gone)."""
    now = now or timezone.now()
    try:
        game = game_read(game_id)
    except GameNotFound:
        return None
    if flag_apply(game, now) is not None:
        return None
    left = clock.deadline_ms(game, now)
    return None if left is None else left / 1000


def flags_sweep(*, now: datetime | None = None, limit: int = 50) -> int:
    """Apply every due flag among running timed games (the lobby does this, so a
    game whose players both left does not linger "in progress"). Returns how many
    games ended."""
    now = now or timezone.now()
    due = list(
        Game.objects.filter(flag_at__lte=now, status=Status.ACTIVE)
        .order_by("flag_at")
        .values_list("public_id", flat=True)[:limit]
    )
    return sum(flag_check(game_id=game_id, now=now) is not None for game_id in due)


def game_flag(
    *, game_id: str, visitor_ids: Collection[str], now: datetime | None = None
) -> GameChange:
    """A player's claim (`{"type": "flag"}`) that the side to move is out of time."""
    now = now or timezone.now()
    with transaction.atomic():
        game = game_locked(game_id)
        seat_of(game, visitor_ids)
        if flag_if_due(game, now):
            return change_save(game, now=now, lobby=True)
        require_active(game)
        if not game.is_timed:
            raise GameError("This game has no clock.")
        raise GameError("No flag: there is time left on the clock.")
