"""Server-authoritative chess clocks, computed from timestamps.

A timed game stores each side's remaining milliseconds as they were at `clock_at`,
the moment the side to move's clock last started. Nothing ticks: the running clock's
value at any `now` is `stored - (now - clock_at)`, so every process (and a restart)
agrees on it, and a flag is simply "the side to move's value at `now` is <= 0".

Clock start rule (as on Lichess): the clocks start once both sides have made their
first move. Until then (ply < 2) no time is spent, no increment is added, and either
player may abort instead; White's clock starts when Black's first move lands. After
that, each move stops the mover's clock, adds the increment to it and starts the
opponent's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chess.models import Colour, Game, Status

# Both sides must have moved before any clock runs (see the module docstring).
CLOCK_START_PLY = 2

# The create form's presets: (label, base seconds, increment seconds).
PRESETS: list[tuple[str, int, int]] = [
    ("1+0", 60, 0),
    ("3+2", 180, 2),
    ("5+0", 300, 0),
    ("10+5", 600, 5),
    ("15+10", 900, 10),
]


def epoch_ms(moment: datetime) -> int:
    """A timestamp as integer milliseconds since the Unix epoch (for JSON)."""
    return int(moment.timestamp() * 1000)


def label(base_s: int | None, increment_s: int) -> str:
    """ "5+3" style label (minutes + seconds), or "untimed"."""
    if base_s is None:
        return "untimed"
    minutes = base_s / 60
    text = f"{minutes:g}" if minutes >= 1 else f"{minutes:.2g}"
    return f"{text}+{increment_s}"


def is_running(game: Game) -> bool:
    """Whether the side to move's clock is running now."""
    return (
        game.is_timed
        and game.status == Status.ACTIVE
        and game.ply >= CLOCK_START_PLY
        and game.clock_at is not None
    )


def _elapsed_ms(game: Game, now: datetime) -> int:
    assert game.clock_at is not None
    return max(int((now - game.clock_at).total_seconds() * 1000), 0)


def remaining(game: Game, now: datetime) -> dict[str, int]:
    """Each side's remaining milliseconds at `now` (may be negative once flagged)."""
    # Before the game starts the clocks are not filled yet: show the base time.
    full = (game.clock_base_s or 0) * 1000
    times: dict[str, int] = {
        Colour.WHITE: full if game.white_ms is None else game.white_ms,
        Colour.BLACK: full if game.black_ms is None else game.black_ms,
    }
    if is_running(game):
        times[game.turn] -= _elapsed_ms(game, now)
    return {"w": times[Colour.WHITE], "b": times[Colour.BLACK]}


def flag_due(game: Game, now: datetime) -> bool:
    """The side to move has run out of time (and the game is not over yet)."""
    return is_running(game) and remaining(game, now)[game.turn] <= 0


def flag_at(game: Game) -> datetime | None:
    """The moment the side to move flags if nobody moves, or None if no clock runs
    (stored on the game so that due flags can be found with an indexed query)."""
    if not is_running(game):
        return None
    assert game.clock_at is not None
    return game.clock_at + timedelta(
        milliseconds=remaining(game, game.clock_at)[game.turn]
    )


def deadline_ms(game: Game, now: datetime) -> int | None:
    """Milliseconds from `now` until the side to move flags, or None if no clock
    runs."""
    if not is_running(game):
        return None
    return max(remaining(game, now)[game.turn], 0)


def _set(game: Game, colour: str, ms: int) -> None:
    if colour == Colour.WHITE:
        game.white_ms = ms
    else:
        game.black_ms = ms


def start(game: Game) -> None:
    """Fill both clocks with the base time (a timed game that starts)."""
    if game.is_timed:
        assert game.clock_base_s is not None
        game.white_ms = game.black_ms = game.clock_base_s * 1000
        game.clock_at = None


def on_move(game: Game, mover: str, now: datetime) -> None:
    """Stop the mover's clock (adding the increment), and start the opponent's if
    both sides have now moved. Call before `game.ply` is advanced."""
    if not game.is_timed:
        return
    if is_running(game):
        left = remaining(game, now)[mover] + game.clock_increment_s * 1000
        _set(game, mover, left)
    if game.ply + 1 >= CLOCK_START_PLY:
        game.clock_at = now


def settle(game: Game, now: datetime) -> None:
    """Charge the running clock up to `now` (the game is about to end), so the
    stored times are the final ones; a flagged clock shows zero, not less."""
    if not is_running(game):
        return
    left = remaining(game, now)[game.turn]
    _set(game, game.turn, max(left, 0))
    game.clock_at = now


def payload(game: Game, now: datetime) -> dict[str, Any] | None:
    """The `clock` object of the state message, or None for an untimed game.

    `white`/`black` are the remaining milliseconds at `now` (the server time
    `now` is sent as epoch ms); `running` names the side whose clock runs. A client
    counts the running clock down from the moment it receives the message.
    """
    if not game.is_timed:
        return None
    assert game.clock_base_s is not None
    times = remaining(game, now)
    return {
        "initial": game.clock_base_s * 1000,
        "increment": game.clock_increment_s * 1000,
        "white": max(times["w"], 0),
        "black": max(times["b"], 0),
        "running": game.turn if is_running(game) else None,
        "now": epoch_ms(now),
    }
