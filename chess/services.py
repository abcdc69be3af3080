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
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial, wraps
from typing import Any, NamedTuple

from django.db import IntegrityError, connections, router, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from chess import clock
from chess.conf import gone_claim_seconds, presence_ttl_seconds
from chess.game_state import board_of, state_payload
from chess.models import (
    Colour,
    ColourChoice,
    Game,
    LobbyState,
    Move,
    Presence,
    Status,
    Termination,
)
from chess.rules import Board, IllegalMoveError
from site_config import compiled_sql
from site_config.compiled_sql import CompiledSelect
from site_config.realtime import encode

LOBBY_GROUP = "chess_lobby"
# Time control bounds (the create form offers the same).
MIN_BASE_SECONDS = 60
MAX_BASE_SECONDS = 180 * 60
MAX_INCREMENT_SECONDS = 60


class GameError(ValueError):
    """A command the game refuses; the message is shown to the sender."""


class StaleMoveError(GameError):
    """A move for a ply that is already played (duplicate) or not yet reached."""


class NotSeatedError(GameError):
    """The sender holds no seat in the game (a spectator)."""


class NotYourTurnError(GameError):
    """A seated player tried to move while it is the opponent's turn."""


class GameNotFound(GameError):
    pass


@dataclass
class GameChange:
    """The outcome of a command: the game after it and its state, encoded once."""

    game: Game
    state: dict[str, Any]
    lobby_changed: bool = False
    # Set when the command itself was not carried out although the game changed:
    # the side to move's time had run out, so the game ended on time instead. The
    # message goes to the sender as an error; the state goes to everyone.
    refused: str | None = None
    frame: str = field(init=False)

    def __post_init__(self) -> None:
        self.frame = encode(self.state)


# The locked read, compiled once per database by the ORM itself (so quoting and
# `FOR UPDATE` are Django's): building and compiling the queryset, then a raw
# queryset's model set-up, were half of every command's ORM time.
_GAME_LOCKED = CompiledSelect(
    lambda: Game.objects.select_for_update().filter(public_id="")
)


def _locked(game_id: str) -> Game:
    """The game row, locked until the surrounding transaction ends."""
    if not connections[router.db_for_write(Game)].in_atomic_block:
        raise TransactionManagementError("The game lock needs a transaction.")
    game = _GAME_LOCKED.one(game_id)
    if game is None:
        raise GameNotFound("No such game.")
    return game


def _seat(game: Game, session_key: str | None) -> str:
    colour = game.colour_of(session_key)
    if colour is None:
        raise NotSeatedError(
            "Only the two seated players can do that; you are watching."
        )
    return colour


def _require_active(game: Game) -> None:
    if game.status == Status.WAITING:
        raise GameError("The game has not started: waiting for an opponent.")
    if game.status != Status.ACTIVE:
        raise GameError("The game is over.")


def _finish(
    game: Game, *, result: str, termination: str, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    clock.settle(game, now)  # the final times stay on the clocks
    game.status = Status.FINISHED
    game.result = result
    game.termination = termination
    game.draw_offer = ""
    game.ended_at = now


TIME_UP = "Time is up: the game ended on time before your command."


def _flag_if_due(game: Game, now: datetime) -> bool:
    """End the (locked) game on time if the side to move has no time left.

    A loss for the side to move, or a draw when the opponent has no mating
    material (SPEC: a flag against a bare king is a draw).
    """
    if not clock.flag_due(game, now):
        return False
    flagged = game.turn
    winner = Colour.BLACK if flagged == Colour.WHITE else Colour.WHITE
    if Board.from_fen(game.fen).has_mating_material(winner):
        result = "1-0" if winner == Colour.WHITE else "0-1"
    else:
        result = "1/2-1/2"
    _finish(game, result=result, termination=Termination.TIMEOUT, now=now)
    return True


def _timeout_change(game: Game, now: datetime, *, publish: bool) -> GameChange | None:
    """If the flag is due, end the game on time and return that change (with the
    command refused); every command checks this first, inside its lock."""
    if not _flag_if_due(game, now):
        return None
    return _commit(game, lobby_changed=True, publish=publish, now=now, refused=TIME_UP)


def _commit(
    game: Game,
    *,
    board: Board | None = None,
    lobby_changed: bool = False,
    publish: bool,
    now: datetime | None = None,
    refused: str | None = None,
    update_fields: list[str] | None = None,
) -> GameChange:
    """Bump the version, save, and (optionally) publish once the transaction commits."""
    game.version += 1
    game.flag_at = clock.flag_at(game)
    if update_fields is None:
        game.save()
    else:  # the move path: a compiled UPDATE of the given columns
        compiled_sql.update_fields(game, update_fields)
    if lobby_changed:
        _lobby_touch()
    change = GameChange(
        game,
        state_payload(game, board, now),
        lobby_changed=lobby_changed,
        refused=refused,
    )
    if publish:
        transaction.on_commit(lambda: change_publish(change))
    return change


def _lobby_touch() -> None:
    """Give the lobby a new stamp, in the caller's transaction: every process's
    cached lobby lists are stale from the commit on. A random stamp (not a
    counter) never repeats one a process may have cached, even after the row was
    deleted (a flushed database) and re-created."""
    stamp = secrets.randbits(62)
    if LobbyState.objects.filter(pk=1).update(stamp=stamp):
        return
    try:
        with transaction.atomic():
            LobbyState.objects.create(pk=1, stamp=stamp)
    except IntegrityError:  # created meanwhile by another command
        LobbyState.objects.filter(pk=1).update(stamp=stamp)


# Boards of recently moved games in this process: a move takes its game's board
# from here instead of replaying every stored move. An entry is used only if the
# locked row still has exactly the start position and move list it was built from
# (so a move applied by another process, or any other write, forces a replay), it
# is taken out while in use, and put back only once the move has committed.
BOARD_CACHE_SIZE = 256
_boards: OrderedDict[str, tuple[str, str, Board]] = OrderedDict()
_boards_lock = threading.Lock()


def _board_take(game: Game) -> Board:
    with _boards_lock:
        entry = _boards.pop(game.public_id, None)
    if entry is not None and entry[:2] == (game.start_fen, game.moves_uci):
        return entry[2]
    return board_of(game)


def _board_keep(game_id: str, start_fen: str, moves_uci: str, board: Board) -> None:
    with _boards_lock:
        _boards[game_id] = (start_fen, moves_uci, board)
        _boards.move_to_end(game_id)
        while len(_boards) > BOARD_CACHE_SIZE:
            _boards.popitem(last=False)


class Command(NamedTuple):
    """A seated player's command on an active game, inside the game's row lock."""

    game: Game
    colour: str
    now: datetime
    publish: bool


def seated_command(body: Callable[..., GameChange]) -> Callable[..., GameChange]:
    """Give a command its common preamble; `body(command, **extra)` does the rest.

    The wrapped service takes `game_id`, `session_key`, `publish` and `now` (plus the
    command's own keyword arguments). It opens the transaction, locks the game row,
    checks the seat, ends the game on time when the clock has run out (returning
    that change instead of running the command) and refuses a finished game.
    """

    @wraps(body)
    def run(
        *,
        game_id: str,
        session_key: str | None,
        publish: bool = True,
        now: datetime | None = None,
        **extra: Any,
    ) -> GameChange:
        now = now or timezone.now()
        with transaction.atomic():
            game = _locked(game_id)
            colour = _seat(game, session_key)
            if (timed_out := _timeout_change(game, now, publish=publish)) is not None:
                return timed_out
            _require_active(game)
            return body(Command(game, colour, now, publish), **extra)

    return run


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
    base_seconds: int | None = None,
    increment_seconds: int = 0,
    publish: bool = True,
) -> Game:
    """Open a game with the creator seated on `colour` (white, black or random).

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
    seat = colour
    if seat == ColourChoice.RANDOM:
        seat = secrets.choice([ColourChoice.WHITE, ColourChoice.BLACK])
    game = Game(
        colour_choice=colour,
        clock_base_s=base_seconds,
        clock_increment_s=increment_seconds if base_seconds is not None else 0,
    )
    if seat == ColourChoice.WHITE:
        game.white_session, game.white_name = session_key, name
    else:
        game.black_session, game.black_name = session_key, name
    with transaction.atomic():
        game.save()
        _lobby_touch()
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
        clock.start(game)
        return _commit(game, lobby_changed=True, publish=publish)


# Every column a move can change (`_finish` included): a shorter UPDATE.
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
    game, colour, now, publish = command
    if ply != game.ply:
        raise StaleMoveError(f"Stale move: the game is at ply {game.ply}, not {ply}.")
    if game.turn != colour:
        raise NotYourTurnError("It is not your turn.")
    board = _board_take(game)
    try:
        move = board.parse_uci(uci)
    except IllegalMoveError:
        _board_keep(game.public_id, game.start_fen, game.moves_uci, board)
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
        _finish(game, result=outcome.result, termination=outcome.termination, now=now)
    try:
        compiled_sql.insert(
            Move(game=game, ply=game.ply, uci=move.uci(), san=san, fen_after=game.fen)
        )
    except IntegrityError:
        # Unreachable while the row lock holds; if it ever fails, the unique
        # (game, ply) constraint still refuses, and leaving the block rolls the
        # whole command back.
        raise StaleMoveError("Stale move: that ply was just played.") from None
    transaction.on_commit(
        partial(_board_keep, game.public_id, game.start_fen, game.moves_uci, board)
    )
    return _commit(
        game,
        board=board,
        lobby_changed=outcome is not None,
        publish=publish,
        now=now,
        update_fields=MOVE_FIELDS,
    )


@seated_command
def game_resign(command: Command) -> GameChange:
    """The seated player gives up; the opponent wins."""
    game, colour, now, publish = command
    _finish(
        game,
        result="0-1" if colour == Colour.WHITE else "1-0",
        termination=Termination.RESIGNATION,
        now=now,
    )
    return _commit(game, lobby_changed=True, publish=publish, now=now)


@seated_command
def draw_offer(command: Command) -> GameChange:
    """Offer a draw; if the opponent has already offered one, this accepts it."""
    game, colour, now, publish = command
    if game.draw_offer == colour:
        raise GameError("You have already offered a draw.")
    if game.draw_offer:  # both sides want a draw
        _finish(game, result="1/2-1/2", termination=Termination.AGREEMENT, now=now)
        return _commit(game, lobby_changed=True, publish=publish, now=now)
    game.draw_offer = colour
    return _commit(game, publish=publish, now=now)


@seated_command
def draw_accept(command: Command) -> GameChange:
    """Accept the opponent's pending draw offer."""
    game, colour, now, publish = command
    if not game.draw_offer or game.draw_offer == colour:
        raise GameError("There is no draw offer to accept.")
    _finish(game, result="1/2-1/2", termination=Termination.AGREEMENT, now=now)
    return _commit(game, lobby_changed=True, publish=publish, now=now)


@seated_command
def draw_decline(command: Command) -> GameChange:
    """Decline the opponent's pending draw offer."""
    game, colour, now, publish = command
    if not game.draw_offer or game.draw_offer == colour:
        raise GameError("There is no draw offer to decline.")
    game.draw_offer = ""
    return _commit(game, publish=publish, now=now)


@seated_command
def draw_claim(command: Command) -> GameChange:
    """Claim a draw by threefold repetition or the fifty-move rule."""
    game, _, now, publish = command
    board = board_of(game)
    reason = board.claim_draw_reason()
    if reason is None:
        raise GameError(
            "No draw can be claimed: the position has not occurred three times "
            "and fifty moves have not passed without a capture or pawn move."
        )
    _finish(game, result="1/2-1/2", termination=reason, now=now)
    return _commit(game, board=board, lobby_changed=True, publish=publish, now=now)


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
            clock_base_s=game.clock_base_s,
            clock_increment_s=game.clock_increment_s,
        )
        if next_game.is_timed:
            clock.start(next_game)
            next_game.save(update_fields=["white_ms", "black_ms", "clock_at"])
        game.rematch = next_game
        game.rematch_offer = ""
        return _commit(game, lobby_changed=True, publish=publish)


def flag_check(
    *, game_id: str, now: datetime | None = None, publish: bool = True
) -> GameChange | None:
    """End the game on time if the side to move's flag is due; None otherwise.

    Nobody has to be connected: a consumer's timer, a page load, a state read or a
    resync all call this. An unlocked read comes first, so merely looking at a game
    whose clock has time left takes no lock.
    """
    now = now or timezone.now()
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise GameNotFound("No such game.")
    if not clock.flag_due(game, now):
        return None
    with transaction.atomic():
        game = _locked(game_id)
        if not _flag_if_due(game, now):
            return None  # another command got there first
        return _commit(game, lobby_changed=True, publish=publish, now=now)


def flags_sweep(*, now: datetime | None = None, limit: int = 50) -> int:
    """Apply every due flag among running timed games (the lobby calls this, so a
    game whose players both left does not linger "in progress"). Returns how many
    games ended."""
    now = now or timezone.now()
    # `flag_at` is kept on every command: one indexed query, usually empty.
    due = list(
        Game.objects.filter(flag_at__lte=now, status=Status.ACTIVE)
        .order_by("flag_at")
        .values_list("public_id", flat=True)[:limit]
    )
    return sum(flag_check(game_id=game_id, now=now) is not None for game_id in due)


def game_flag(
    *,
    game_id: str,
    session_key: str | None,
    publish: bool = True,
    now: datetime | None = None,
) -> GameChange:
    """A player's claim (`{"type": "flag"}`) that the side to move is out of time."""
    now = now or timezone.now()
    with transaction.atomic():
        game = _locked(game_id)
        _seat(game, session_key)
        if _flag_if_due(game, now):
            return _commit(game, lobby_changed=True, publish=publish, now=now)
        _require_active(game)
        if not game.is_timed:
            raise GameError("This game has no clock.")
        raise GameError("No flag: there is time left on the clock.")


def _fresh_since(now: datetime) -> datetime:
    """Presence rows seen before this moment belong to a dead socket or process."""
    return now - timedelta(seconds=presence_ttl_seconds())


def _gone_field(colour: str) -> str:
    return "white_gone_at" if colour == Colour.WHITE else "black_gone_at"


def gone_since(*, game: Game, colour: str, now: datetime) -> datetime | None:
    """Since when every socket of `colour` has been closed (or silent), or None
    while one is live or if that player never connected."""
    seen = list(
        Presence.objects.filter(game=game, colour=colour).values_list(
            "last_seen", flat=True
        )
    )
    fresh = _fresh_since(now)
    if any(moment >= fresh for moment in seen):
        return None
    # A stale row (crashed process) counts from its last heartbeat.
    candidates = [m for m in [getattr(game, _gone_field(colour)), *seen] if m]
    return max(candidates) if candidates else None


def game_claim_gone(
    *,
    game_id: str,
    session_key: str | None,
    outcome: str = "win",
    publish: bool = True,
    now: datetime | None = None,
) -> GameChange:
    """End the game because the opponent has been gone for CHESS_GONE_CLAIM_SECONDS:
    `outcome` "win" (the claimer wins) or "draw"."""
    if outcome not in ("win", "draw"):
        raise GameError("Claim a win or a draw.")
    now = now or timezone.now()
    with transaction.atomic():
        game = _locked(game_id)
        colour = _seat(game, session_key)
        if (timed_out := _timeout_change(game, now, publish=publish)) is not None:
            return timed_out
        _require_active(game)
        opponent = Colour.BLACK if colour == Colour.WHITE else Colour.WHITE
        since = gone_since(game=game, colour=opponent, now=now)
        wait = gone_claim_seconds()
        if since is None or (now - since).total_seconds() < wait:
            raise GameError(
                f"Your opponent has not been gone for {wait} seconds; keep waiting."
            )
        if outcome == "draw":
            result = "1/2-1/2"
        else:
            result = "1-0" if colour == Colour.WHITE else "0-1"
        _finish(game, result=result, termination=Termination.ABANDONED, now=now)
        return _commit(game, lobby_changed=True, publish=publish, now=now)


def game_state(
    *, game_id: str, now: datetime | None = None, publish: bool = True
) -> dict[str, Any]:
    """The current full state of a game (for a new or resyncing client).

    A flag that fell due while nobody was watching is applied first (and published),
    so a game whose players both left still ends on time when anyone looks at it.
    """
    now = now or timezone.now()
    change = flag_check(game_id=game_id, now=now, publish=publish)
    if change is not None:
        return change.state
    try:
        game = Game.objects.get(public_id=game_id)
    except Game.DoesNotExist:
        raise GameNotFound("No such game.") from None
    return state_payload(game, now=now)


def presence_enter(
    *,
    game: Game,
    channel: str,
    session_key: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record an open socket on a game; returns the new presence summary."""
    now = now or timezone.now()
    colour = game.colour_of(session_key) or ""
    Presence.objects.create(
        game=game,
        channel=channel,
        session_key=session_key or "",
        colour=colour,
        last_seen=now,
    )
    if colour:  # the player is back: no claim against them
        Game.objects.filter(pk=game.pk).update(**{_gone_field(colour): None})
    return presence_summary(game_id=game.pk, now=now)


def _mark_gone(game_id: int, colour: str, at: datetime, now: datetime) -> None:
    """Record when `colour`'s last socket went, unless another is still live."""
    if Presence.objects.filter(
        game_id=game_id, colour=colour, last_seen__gte=_fresh_since(now)
    ).exists():
        return
    field_name = _gone_field(colour)
    Game.objects.filter(pk=game_id, **{f"{field_name}__isnull": True}).update(
        **{field_name: at}
    )


def presence_leave(
    *, channel: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """Forget a closed socket; returns the new summary of its game, if any."""
    now = now or timezone.now()
    row = (
        Presence.objects.filter(channel=channel)
        .values_list("game_id", "colour")
        .first()
    )
    if row is None:
        return None
    game_id, colour = row
    Presence.objects.filter(channel=channel).delete()
    if colour:
        _mark_gone(game_id, colour, now, now)
    return presence_summary(game_id=game_id, now=now)


@dataclass(frozen=True)
class PresenceSeat:
    """What a live socket's heartbeat needs to restore its row if it was pruned."""

    game_id: int
    session_key: str | None
    colour: str | None


@dataclass
class HeartbeatResult:
    """New presence summaries to publish, keyed by the game's realtime group, and
    the channels whose pruned rows the heartbeat re-created."""

    summaries: dict[str, dict[str, Any]]
    restored: list[str]


def presence_heartbeat(
    *, connections: Mapping[str, PresenceSeat], now: datetime | None = None
) -> HeartbeatResult:
    """One process's presence heartbeat: refresh all its sockets' rows with one
    UPDATE, then sweep the stale rows of every game.

    `connections` maps each open socket's channel name to its seat. A socket whose
    row was pruned while this process was stalled is counted again. Stale rows are
    those of sockets whose process died without closing them (a crash): they stop
    counting after the TTL anyway; deleting them here also records when a crashed
    player went, for the opponent's claim. Returns the new summary of every game
    whose presence this changed (for publishing); usually none.
    """
    now = now or timezone.now()
    changed: set[int] = set()
    restored: list[str] = []
    if connections:
        channels = list(connections)
        refreshed = Presence.objects.filter(channel__in=channels).update(last_seen=now)
        if refreshed < len(channels):
            alive = set(
                Presence.objects.filter(channel__in=channels).values_list(
                    "channel", flat=True
                )
            )
            for channel in channels:
                if channel not in alive and _presence_restore(
                    channel, connections[channel], now
                ):
                    changed.add(connections[channel].game_id)
                    restored.append(channel)
    changed |= _presence_sweep(now)
    if not changed:
        return HeartbeatResult({}, restored)
    games = Game.objects.filter(pk__in=changed).only("pk", "public_id").order_by("pk")
    return HeartbeatResult(
        {game.group: presence_summary(game_id=game.pk, now=now) for game in games},
        restored,
    )


def _presence_restore(channel: str, seat: PresenceSeat, now: datetime) -> bool:
    """Re-create the row of a live socket that a sweep pruned (a stalled process)."""
    if not Game.objects.filter(pk=seat.game_id).exists():
        return False  # the game was deleted under the socket
    try:
        with transaction.atomic():
            Presence.objects.create(
                game_id=seat.game_id,
                channel=channel,
                session_key=seat.session_key or "",
                colour=seat.colour or "",
                last_seen=now,
            )
    except IntegrityError:  # the row came back meanwhile (or the game went)
        return False
    if seat.colour:  # the player is back: no claim against them
        Game.objects.filter(pk=seat.game_id).update(**{_gone_field(seat.colour): None})
    return True


def _presence_sweep(now: datetime) -> set[int]:
    """Delete every stale row and record when each player thereby went; returns
    the games whose rows this call deleted (several processes may sweep at once:
    a game is reported by whoever deleted its rows)."""
    stale = list(
        Presence.objects.filter(last_seen__lt=_fresh_since(now)).values_list(
            "pk", "game_id", "colour", "last_seen"
        )
    )
    by_game: dict[int, list[tuple[int, str, datetime]]] = {}
    for pk, game_id, colour, seen in stale:
        by_game.setdefault(game_id, []).append((pk, colour, seen))
    swept: set[int] = set()
    for game_id, rows in by_game.items():
        deleted, _ = Presence.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        if not deleted:
            continue  # another process swept them first
        swept.add(game_id)
        last: dict[str, datetime] = {}
        for _, colour, seen in rows:
            if colour:
                last[colour] = max(seen, last.get(colour, seen))
        for colour, seen in last.items():
            _mark_gone(game_id, colour, seen, now)
    return swept


def presence_summary(*, game_id: int, now: datetime | None = None) -> dict[str, Any]:
    """`{"type": "presence", "white": bool, "black": bool, "spectators": int, ...}`.

    Only fresh rows count (see `Presence`). Spectators are counted per session (two
    tabs of one visitor count once). `gone_since` gives, per colour, when that
    player's sockets all closed (epoch ms) or null; `now` is the server time.
    """
    now = now or timezone.now()
    rows = Presence.objects.filter(
        game_id=game_id, last_seen__gte=_fresh_since(now)
    ).values_list("colour", "session_key", "channel")
    colours = set()
    watchers = set()
    for colour, session_key, channel in rows:
        if colour:
            colours.add(colour)
        else:
            watchers.add(session_key or channel)
    gone = (
        Game.objects.filter(pk=game_id)
        .values_list("white_gone_at", "black_gone_at")
        .first()
    ) or (None, None)
    return {
        "type": "presence",
        "white": Colour.WHITE in colours,
        "black": Colour.BLACK in colours,
        "spectators": len(watchers),
        "gone_since": {
            "w": None
            if Colour.WHITE in colours or not gone[0]
            else clock.epoch_ms(gone[0]),
            "b": None
            if Colour.BLACK in colours or not gone[1]
            else clock.epoch_ms(gone[1]),
        },
        "gone_claim_after": gone_claim_seconds(),
        "now": clock.epoch_ms(now),
    }
