"""Every write to a chess game: create, join, move, resign, draws, abort.

Each command runs in one transaction that first locks the game row
(`select_for_update`), so commands of one game are serialised even across daphne
processes; the `(game, ply)` unique constraint is the second line of defence. A
command that changes the game bumps its `version` and returns a `GameChange` holding
the new state, encoded once. By default the change is published after commit; the
consumer passes `publish=False` and publishes from its own event loop instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chess.game_state import board_of, state_payload
from chess.models import Colour, ColourChoice, Game, Move, Presence, Status, Termination
from chess.rules import Board, IllegalMoveError
from site_config.realtime import encode

LOBBY_GROUP = "chess_lobby"


class GameError(ValueError):
    """A command the game refuses; the message is shown to the sender."""


class StaleMoveError(GameError):
    """A move for a ply that is already played (duplicate) or not yet reached."""


class GameNotFound(GameError):
    pass


@dataclass
class GameChange:
    """The outcome of a command: the game after it and its state, encoded once."""

    game: Game
    state: dict[str, Any]
    lobby_changed: bool = False
    frame: str = field(init=False)

    def __post_init__(self) -> None:
        self.frame = encode(self.state)


def _locked(game_id: str) -> Game:
    try:
        return Game.objects.select_for_update().get(public_id=game_id)
    except Game.DoesNotExist:
        raise GameNotFound("No such game.") from None


def _seat(game: Game, session_key: str | None) -> str:
    colour = game.colour_of(session_key)
    if colour is None:
        raise GameError("Only the two seated players can do that; you are watching.")
    return colour


def _require_active(game: Game) -> None:
    if game.status == Status.WAITING:
        raise GameError("The game has not started: waiting for an opponent.")
    if game.status != Status.ACTIVE:
        raise GameError("The game is over.")


def _finish(game: Game, *, result: str, termination: str) -> None:
    game.status = Status.FINISHED
    game.result = result
    game.termination = termination
    game.draw_offer = ""
    game.ended_at = timezone.now()


def _commit(
    game: Game,
    *,
    board: Board | None = None,
    lobby_changed: bool = False,
    publish: bool,
) -> GameChange:
    """Bump the version, save, and (optionally) publish once the transaction commits."""
    game.version += 1
    game.save()
    change = GameChange(game, state_payload(game, board), lobby_changed=lobby_changed)
    if publish:
        transaction.on_commit(lambda: change_publish(change))
    return change


def change_publish(change: GameChange) -> None:
    """Push a change to the game's sockets (and the lobby's, if it changed), from
    sync code."""
    from chess.broadcast import lobby_frame
    from site_config.realtime import publish_sync

    publish_sync(change.game.group, change.frame)
    if change.lobby_changed:
        publish_sync(LOBBY_GROUP, lobby_frame())


def game_create(
    *,
    session_key: str,
    name: str,
    colour: str = ColourChoice.RANDOM,
    publish: bool = True,
) -> Game:
    """Open a game with the creator seated on `colour` (white, black or random)."""
    if colour not in ColourChoice.values:
        raise GameError("Choose white, black or random.")
    seat = colour
    if seat == ColourChoice.RANDOM:
        seat = secrets.choice([ColourChoice.WHITE, ColourChoice.BLACK])
    game = Game(colour_choice=colour)
    if seat == ColourChoice.WHITE:
        game.white_session, game.white_name = session_key, name
    else:
        game.black_session, game.black_name = session_key, name
    with transaction.atomic():
        game.save()
        if publish:
            transaction.on_commit(_publish_lobby)
    return game


def _publish_lobby() -> None:
    from chess.broadcast import lobby_frame
    from site_config.realtime import publish_sync

    publish_sync(LOBBY_GROUP, lobby_frame())


def game_join(
    *, game_id: str, session_key: str, name: str, publish: bool = True
) -> GameChange:
    """Take the free seat of a waiting game; the game starts."""
    with transaction.atomic():
        game = _locked(game_id)
        if game.colour_of(session_key) is not None:
            raise GameError("You already have a seat in this game.")
        if game.status != Status.WAITING:
            raise GameError("Both seats are taken.")
        if not game.white_session:
            game.white_session, game.white_name = session_key, name
        else:
            game.black_session, game.black_name = session_key, name
        game.status = Status.ACTIVE
        game.started_at = timezone.now()
        return _commit(game, lobby_changed=True, publish=publish)


def move_make(
    *, game_id: str, session_key: str | None, uci: str, ply: int, publish: bool = True
) -> GameChange:
    """Play `uci` for the seated player whose turn it is.

    `ply` is the number of half-moves the client believes were played; a mismatch
    means a duplicate or stale move and is refused without changing anything.
    """
    with transaction.atomic():
        game = _locked(game_id)
        colour = _seat(game, session_key)
        _require_active(game)
        if ply != game.ply:
            raise StaleMoveError(
                f"Stale move: the game is at ply {game.ply}, not {ply}."
            )
        if game.turn != colour:
            raise GameError("It is not your turn.")
        board = board_of(game)
        try:
            move = board.parse_uci(uci)
        except IllegalMoveError:
            raise GameError(f"Illegal move: {uci[:8]}.") from None
        san = board.san(move)
        board.push(move)
        game.ply += 1
        game.fen = board.fen()
        game.moves_uci = f"{game.moves_uci} {move.uci()}".lstrip()
        game.moves_san = f"{game.moves_san} {san}".lstrip()
        if game.draw_offer and game.draw_offer != colour:
            game.draw_offer = ""  # the recipient moved on: the offer lapses
        outcome = board.outcome()
        if outcome is not None:
            _finish(game, result=outcome.result, termination=outcome.termination)
        try:
            Move.objects.create(
                game=game, ply=game.ply, uci=move.uci(), san=san, fen_after=game.fen
            )
        except IntegrityError:
            # Unreachable while the row lock holds; if it ever fails, the unique
            # (game, ply) constraint still refuses, and leaving the block rolls the
            # whole command back.
            raise StaleMoveError("Stale move: that ply was just played.") from None
        return _commit(
            game, board=board, lobby_changed=outcome is not None, publish=publish
        )


def game_resign(
    *, game_id: str, session_key: str | None, publish: bool = True
) -> GameChange:
    """The seated player gives up; the opponent wins."""
    with transaction.atomic():
        game = _locked(game_id)
        colour = _seat(game, session_key)
        _require_active(game)
        _finish(
            game,
            result="0-1" if colour == Colour.WHITE else "1-0",
            termination=Termination.RESIGNATION,
        )
        return _commit(game, lobby_changed=True, publish=publish)


def draw_offer(
    *, game_id: str, session_key: str | None, publish: bool = True
) -> GameChange:
    """Offer a draw; if the opponent has already offered one, this accepts it."""
    with transaction.atomic():
        game = _locked(game_id)
        colour = _seat(game, session_key)
        _require_active(game)
        if game.draw_offer == colour:
            raise GameError("You have already offered a draw.")
        if game.draw_offer:  # both sides want a draw
            _finish(game, result="1/2-1/2", termination=Termination.AGREEMENT)
            return _commit(game, lobby_changed=True, publish=publish)
        game.draw_offer = colour
        return _commit(game, publish=publish)


def draw_accept(
    *, game_id: str, session_key: str | None, publish: bool = True
) -> GameChange:
    """Accept the opponent's pending draw offer."""
    with transaction.atomic():
        game = _locked(game_id)
        colour = _seat(game, session_key)
        _require_active(game)
        if not game.draw_offer or game.draw_offer == colour:
            raise GameError("There is no draw offer to accept.")
        _finish(game, result="1/2-1/2", termination=Termination.AGREEMENT)
        return _commit(game, lobby_changed=True, publish=publish)


def draw_decline(
    *, game_id: str, session_key: str | None, publish: bool = True
) -> GameChange:
    """Decline the opponent's pending draw offer."""
    with transaction.atomic():
        game = _locked(game_id)
        colour = _seat(game, session_key)
        _require_active(game)
        if not game.draw_offer or game.draw_offer == colour:
            raise GameError("There is no draw offer to decline.")
        game.draw_offer = ""
        return _commit(game, publish=publish)


def draw_claim(
    *, game_id: str, session_key: str | None, publish: bool = True
) -> GameChange:
    """Claim a draw by threefold repetition or the fifty-move rule."""
    with transaction.atomic():
        game = _locked(game_id)
        _seat(game, session_key)
        _require_active(game)
        board = board_of(game)
        reason = board.claim_draw_reason()
        if reason is None:
            raise GameError(
                "No draw can be claimed: the position has not occurred three times "
                "and fifty moves have not passed without a capture or pawn move."
            )
        _finish(game, result="1/2-1/2", termination=reason)
        return _commit(game, board=board, lobby_changed=True, publish=publish)


def game_abort(
    *,
    game_id: str,
    session_key: str | None = None,
    staff: bool = False,
    publish: bool = True,
) -> GameChange:
    """Call the game off without a result.

    A seated player may abort before both sides have moved (or while waiting for an
    opponent); staff (the admin action) may abort any game that is not over.
    """
    with transaction.atomic():
        game = _locked(game_id)
        if not staff:
            _seat(game, session_key)
            if game.ply >= 2:
                raise GameError("Too late to abort: both sides have moved.")
        if game.is_over:
            raise GameError("The game is over.")
        game.status = Status.ABORTED
        game.termination = Termination.ABORTED
        game.result = ""
        game.draw_offer = ""
        game.ended_at = timezone.now()
        return _commit(game, lobby_changed=True, publish=publish)


def game_rematch(
    *, game_id: str, session_key: str | None, publish: bool = True
) -> GameChange:
    """Ask for a rematch after the game; when both players ask, the next game starts
    at once with colours swapped and the state names it (`rematch`)."""
    with transaction.atomic():
        game = _locked(game_id)
        colour = _seat(game, session_key)
        if not game.is_over:
            raise GameError("A rematch can be asked for when the game is over.")
        if game.rematch_id:
            raise GameError("The rematch has already started.")
        if game.rematch_offer == colour:
            raise GameError("You have already asked for a rematch.")
        if not game.rematch_offer:
            game.rematch_offer = colour
            return _commit(game, publish=publish)
        if not (game.white_session and game.black_session):
            raise GameError("There is no opponent for a rematch.")
        now = timezone.now()
        next_game = Game.objects.create(
            white_session=game.black_session,
            white_name=game.black_name,
            black_session=game.white_session,
            black_name=game.white_name,
            colour_choice=game.colour_choice,
            status=Status.ACTIVE,
            started_at=now,
        )
        game.rematch = next_game
        game.rematch_offer = ""
        return _commit(game, lobby_changed=True, publish=publish)


def game_state(*, game_id: str) -> dict[str, Any]:
    """The current full state of a game (for a new or resyncing client)."""
    try:
        game = Game.objects.get(public_id=game_id)
    except Game.DoesNotExist:
        raise GameNotFound("No such game.") from None
    return state_payload(game)


def presence_enter(
    *, game: Game, channel: str, session_key: str | None
) -> dict[str, Any]:
    """Record an open socket on a game; returns the new presence summary."""
    Presence.objects.create(
        game=game,
        channel=channel,
        session_key=session_key or "",
        colour=game.colour_of(session_key) or "",
    )
    return presence_summary(game_id=game.pk)


def presence_leave(*, channel: str) -> dict[str, Any] | None:
    """Forget a closed socket; returns the new summary of its game, if any."""
    row = Presence.objects.filter(channel=channel).values_list("game_id").first()
    if row is None:
        return None
    Presence.objects.filter(channel=channel).delete()
    return presence_summary(game_id=row[0])


def presence_summary(*, game_id: int) -> dict[str, Any]:
    """`{"type": "presence", "white": bool, "black": bool, "spectators": int}`.

    Spectators are counted per session (two tabs of one visitor count once).
    """
    rows = Presence.objects.filter(game_id=game_id).values_list(
        "colour", "session_key", "channel"
    )
    colours = set()
    watchers = set()
    for colour, session_key, channel in rows:
        if colour:
            colours.add(colour)
        else:
            watchers.add(session_key or channel)
    return {
        "type": "presence",
        "white": Colour.WHITE in colours,
        "black": Colour.BLACK in colours,
        "spectators": len(watchers),
    }
