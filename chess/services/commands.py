"""Every command on a chess game: create, join, move, resign, draws, abort, rematch,
the "opponent gone" claim, and the state a client opens or resyncs with.

Commands lock the game row, rebuild the board from the stored game, and save and
publish through `change_save` (see `chess.services.base`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from chess import clock
from chess.conf import gone_claim_seconds
from chess.game_state import board_of, state_payload
from chess.models import Colour, ColourChoice, Game, Move, Status, Termination
from chess.rules import IllegalMoveError
from chess.services.base import (
    GameChange,
    GameError,
    NotYourTurnError,
    StaleMoveError,
    change_save,
    finish,
    game_locked,
    game_read,
    require_active,
    seat_of,
)
from chess.services.flags import flag_apply, timeout_change
from chess.services.lobby import lobby_changed
from chess.services.presence import gone_since

# Time control bounds (the create form offers the same).
MIN_BASE_SECONDS = 60
MAX_BASE_SECONDS = 180 * 60
MAX_INCREMENT_SECONDS = 60


class Command(NamedTuple):
    """A seated player's command on an active game, inside the game's row lock."""

    game: Game
    colour: str
    now: datetime


def seated_command(body: Callable[..., GameChange]) -> Callable[..., GameChange]:
    """Give a command its common preamble; `body(command, **extra)` does the rest.

    The wrapped service takes `game_id`, the sender's `visitor_ids` and `now` (plus
    the command's own keyword arguments). It opens the transaction, locks the game row,
    checks the seat, ends the game on time when the clock has run out (returning
    that change instead of running the command) and refuses a game not in play.
    """

    @wraps(body)
    def run(
        *,
        game_id: str,
        visitor_ids: Collection[str],
        now: datetime | None = None,
        **extra: Any,
    ) -> GameChange:
        now = now or timezone.now()
        with transaction.atomic():
            game = game_locked(game_id)
            colour = seat_of(game, visitor_ids)
            if (timed_out := timeout_change(game, now)) is not None:
                return timed_out
            require_active(game)
            return body(Command(game, colour, now), **extra)

    return run


def _opponent(colour: str) -> str:
    return Colour.BLACK if colour == Colour.WHITE else Colour.WHITE


def _win_for(colour: str) -> str:
    return "1-0" if colour == Colour.WHITE else "0-1"


def game_create(
    *,
    visitor_id: str,
    name: str,
    colour: str = ColourChoice.RANDOM,
    base_seconds: int | None = None,
    increment_seconds: int = 0,
) -> Game:
    """Open a game with the creator (`visitor_id`) seated on `colour` (white, black
    or random).

    `base_seconds` None makes an untimed game; otherwise each side gets that much
    time plus `increment_seconds` per move.
    """
    if colour not in ColourChoice.values:
        raise GameError("Choose white, black or random.")
    if base_seconds is not None and not (
        MIN_BASE_SECONDS <= base_seconds <= MAX_BASE_SECONDS
    ):
        raise GameError("The base time must be between 1 and 180 minutes.")
    if not 0 <= increment_seconds <= MAX_INCREMENT_SECONDS:
        raise GameError("The increment must be between 0 and 60 seconds.")
    if not visitor_id:
        raise ValueError("a seat needs a visitor id")
    seat = colour
    if seat == ColourChoice.RANDOM:
        seat = secrets.choice([ColourChoice.WHITE, ColourChoice.BLACK])
    game = Game(
        colour_choice=colour,
        clock_base_s=base_seconds,
        clock_increment_s=increment_seconds if base_seconds is not None else 0,
    )
    if seat == ColourChoice.WHITE:
        game.white_visitor, game.white_name = visitor_id, name
    else:
        game.black_visitor, game.black_name = visitor_id, name
    with transaction.atomic():
        game.save()
        lobby_changed()
    return game


def game_join(*, game_id: str, visitor_ids: Sequence[str], name: str) -> GameChange:
    """Take the free seat of a waiting game for `visitor_ids[0]`; the game starts."""
    if not visitor_ids:
        raise ValueError("a seat needs a visitor id")
    with transaction.atomic():
        game = game_locked(game_id)
        if game.colour_of(visitor_ids) is not None:
            raise GameError("You already have a seat in this game.")
        if game.status != Status.WAITING:
            raise GameError("Both seats are taken.")
        if not game.white_visitor:
            game.white_visitor, game.white_name = visitor_ids[0], name
        else:
            game.black_visitor, game.black_name = visitor_ids[0], name
        game.status = Status.ACTIVE
        game.started_at = timezone.now()
        clock.start(game)
        return change_save(game, lobby=True)


# Every column a move can change (`finish` included): a shorter UPDATE.
MOVE_FIELDS = [
    "ply",
    "fen",
    "moves_uci",
    "moves_san",
    "draw_offer",
    "status",
    "result",
    "termination",
    "ended_at",
    "white_ms",
    "black_ms",
    "clock_at",
    "flag_at",
    "version",
    "updated_at",
]


@seated_command
def move_make(command: Command, *, uci: str, ply: int) -> GameChange:
    """Play `uci` for the seated player whose turn it is.

    `ply` is the number of half-moves the client believes were played; a mismatch
    means a duplicate or stale move and is refused without changing anything. A
    move that arrives after the mover's time ran out ends the game on time instead
    (the change carries `refused`).
    """
    game, colour, now = command
    if ply != game.ply:
        raise StaleMoveError(f"Stale move: the game is at ply {game.ply}, not {ply}.")
    if game.turn != colour:
        raise NotYourTurnError("It is not your turn.")
    board = board_of(game)
    try:
        move = board.parse_uci(uci)
    except IllegalMoveError:
        raise GameError(f"Illegal move: {uci[:8]}.") from None
    san = board.san(move)
    board.push(move)
    clock.on_move(game, colour, now)
    game.ply += 1
    game.fen = board.fen()
    game.moves_uci = f"{game.moves_uci} {move.uci()}".lstrip()
    game.moves_san = f"{game.moves_san} {san}".lstrip()
    if game.draw_offer and game.draw_offer != colour:
        game.draw_offer = ""  # the recipient moved on: the offer lapses
    outcome = board.outcome()
    if outcome is not None:
        finish(game, result=outcome.result, termination=outcome.termination, now=now)
    try:
        Move.objects.create(
            game=game, ply=game.ply, uci=move.uci(), san=san, fen_after=game.fen
        )
    except IntegrityError:
        # Unreachable while the row lock holds; if it ever fails, the unique
        # (game, ply) constraint still refuses, and leaving the transaction rolls
        # the whole command back.
        raise StaleMoveError("Stale move: that ply was just played.") from None
    return change_save(
        game,
        now=now,
        board=board,
        lobby=outcome is not None,
        update_fields=MOVE_FIELDS,
    )


@seated_command
def game_resign(command: Command) -> GameChange:
    """The seated player gives up; the opponent wins."""
    game, colour, now = command
    finish(
        game,
        result=_win_for(_opponent(colour)),
        termination=Termination.RESIGNATION,
        now=now,
    )
    return change_save(game, now=now, lobby=True)


def _agreed(game: Game, now: datetime) -> GameChange:
    finish(game, result="1/2-1/2", termination=Termination.AGREEMENT, now=now)
    return change_save(game, now=now, lobby=True)


@seated_command
def draw_offer(command: Command) -> GameChange:
    """Offer a draw; if the opponent has already offered one, this accepts it."""
    game, colour, now = command
    if game.draw_offer == colour:
        raise GameError("You have already offered a draw.")
    if game.draw_offer:  # both sides want a draw
        return _agreed(game, now)
    game.draw_offer = colour
    return change_save(game, now=now)


def _offer_to(game: Game, colour: str, verb: str) -> None:
    if not game.draw_offer or game.draw_offer == colour:
        raise GameError(f"There is no draw offer to {verb}.")


@seated_command
def draw_accept(command: Command) -> GameChange:
    """Accept the opponent's pending draw offer."""
    game, colour, now = command
    _offer_to(game, colour, "accept")
    return _agreed(game, now)


@seated_command
def draw_decline(command: Command) -> GameChange:
    """Decline the opponent's pending draw offer."""
    game, colour, now = command
    _offer_to(game, colour, "decline")
    game.draw_offer = ""
    return change_save(game, now=now)


@seated_command
def draw_claim(command: Command) -> GameChange:
    """Claim a draw by threefold repetition or the fifty-move rule."""
    game, _, now = command
    board = board_of(game)
    reason = board.claim_draw_reason()
    if reason is None:
        raise GameError(
            "No draw can be claimed: the position has not occurred three times "
            "and fifty moves have not passed without a capture or pawn move."
        )
    finish(game, result="1/2-1/2", termination=reason, now=now)
    return change_save(game, now=now, board=board, lobby=True)


@seated_command
def game_claim_gone(command: Command, *, outcome: str = "win") -> GameChange:
    """End the game because the opponent has been gone for CHESS_GONE_CLAIM_SECONDS:
    `outcome` "win" (the claimer wins) or "draw"."""
    if outcome not in ("win", "draw"):
        raise GameError("Claim a win or a draw.")
    game, colour, now = command
    since = gone_since(game=game, colour=_opponent(colour), now=now)
    wait = gone_claim_seconds()
    if since is None or (now - since).total_seconds() < wait:
        raise GameError(
            f"Your opponent has not been gone for {wait} seconds; keep waiting."
        )
    result = "1/2-1/2" if outcome == "draw" else _win_for(colour)
    finish(game, result=result, termination=Termination.ABANDONED, now=now)
    return change_save(game, now=now, lobby=True)


def game_abort(
    *, game_id: str, visitor_ids: Collection[str] = (), staff: bool = False
) -> GameChange:
    """Call the game off without a result.

    A seated player may abort before both sides have moved (or while waiting for an
    opponent); staff (the admin action) may abort any game that is not over.
    """
    with transaction.atomic():
        game = game_locked(game_id)
        if not staff:
            seat_of(game, visitor_ids)
            if game.ply >= 2:
                raise GameError("Too late to abort: both sides have moved.")
        if game.is_over:
            raise GameError("The game is over.")
        game.status = Status.ABORTED
        game.termination = Termination.ABORTED
        game.result = ""
        game.draw_offer = ""
        game.ended_at = timezone.now()
        return change_save(game, lobby=True)


def game_rematch(*, game_id: str, visitor_ids: Collection[str]) -> GameChange:
    """Ask for a rematch after the game; when both players ask, the next game starts
    at once with colours swapped and the state names it (`rematch`)."""
    with transaction.atomic():
        game = game_locked(game_id)
        colour = seat_of(game, visitor_ids)
        if not game.is_over:
            raise GameError("A rematch can be asked for when the game is over.")
        if game.rematch_id:
            raise GameError("The rematch has already started.")
        if game.rematch_offer == colour:
            raise GameError("You have already asked for a rematch.")
        if not game.rematch_offer:
            game.rematch_offer = colour
            return change_save(game)
        if not (game.white_visitor and game.black_visitor):
            raise GameError("There is no opponent for a rematch.")
        next_game = Game(
            white_visitor=game.black_visitor,
            white_name=game.black_name,
            black_visitor=game.white_visitor,
            black_name=game.white_name,
            colour_choice=game.colour_choice,
            status=Status.ACTIVE,
            started_at=timezone.now(),
            clock_base_s=game.clock_base_s,
            clock_increment_s=game.clock_increment_s,
        )
        clock.start(next_game)
        next_game.save()
        game.rematch = next_game
        game.rematch_offer = ""
        return change_save(game, lobby=True)


@dataclass(frozen=True)
class GameView:
    """A game as one viewer opens it: the full state and the viewer's seat."""

    state: dict[str, Any]
    colour: str | None


def game_view(
    *,
    game_id: str,
    visitor_ids: Collection[str] = (),
    now: datetime | None = None,
) -> GameView:
    """The current full state (for a new or resyncing client) and the viewer's
    seat (None: a spectator).

    A flag that fell due while nobody was watching is applied first (and
    published), so a game whose players both left still ends on time when anyone
    looks at it.
    """
    now = now or timezone.now()
    game = game_read(game_id)
    change = flag_apply(game, now)
    if change is not None:
        return GameView(change.state, change.game.colour_of(visitor_ids))
    return GameView(state_payload(game, now=now), game.colour_of(visitor_ids))


def game_state(*, game_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The current full state of a game (see `game_view`)."""
    return game_view(game_id=game_id, now=now).state
