"""Flag timers: one per game per process, so a game ends on time even if no client
claims the flag.

A process holding sockets of a timed game keeps one timer (in the shared
scheduler) for the moment the running clock runs out, armed from the states its
hub delivers and the state each socket opens with, and cancelled when its last
socket of the game closes. The timer only decides when this process looks: the
due time lives in the database (`Game.flag_at`) and `services.flag_wait` decides.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from chess import services
from chess.executor import chess_db
from chess.models import game_group
from site_config.realtime.hub import get_hub
from site_config.realtime.scheduler import scheduler
from site_config.realtime.tasks import per_loop

# The check runs this long after the clock should hit zero, so that it never comes
# a hair early (and then has to re-arm).
FLAG_GRACE_S = 0.05


def deadline_of(state: dict[str, Any]) -> float | None:
    """When the running clock of `state` runs out (epoch seconds), or None."""
    clock = state.get("clock")
    if state.get("status") != "active" or not clock or not clock.get("running"):
        return None
    left_ms = clock["white" if clock["running"] == "w" else "black"]
    return float(clock["now"] + left_ms) / 1000


# The last state frame read, by identity: the hub hands one event to every local
# socket of the game as the same string, so it is parsed once per process.
_last: tuple[str, float | None] | None = None


def frame_deadline(frame: str) -> float | None:
    """`deadline_of` an encoded state frame."""
    global _last
    last = _last
    if last is not None and last[0] is frame:
        return last[1]
    try:
        deadline = deadline_of(json.loads(frame))
    except (ValueError, TypeError, KeyError):
        deadline = None
    _last = (frame, deadline)
    return deadline


def timer_key(game_id: str) -> tuple[str, str]:
    return ("chess.flag", game_id)


class FlagTimers:
    """Per event loop (i.e. per process): the deadline each game's timer is for."""

    def __init__(self) -> None:
        self.deadlines: dict[str, float] = {}

    def arm(self, game_id: str, deadline: float | None) -> None:
        """Keep the game's one timer at `deadline` (None: no clock runs)."""
        if deadline is None:
            self.disarm(game_id)
            return
        key = timer_key(game_id)
        if self.deadlines.get(game_id) == deadline and scheduler().pending(key):
            return  # another socket of this process already armed it
        self.deadlines[game_id] = deadline
        delay = deadline - time.time() + FLAG_GRACE_S
        scheduler().at(key, delay, partial(self.fire, game_id))

    def disarm(self, game_id: str) -> None:
        self.deadlines.pop(game_id, None)
        scheduler().cancel(timer_key(game_id))

    async def fire(self, game_id: str) -> None:
        """Apply the flag (publishing the end), or re-arm if time is left."""
        self.deadlines.pop(game_id, None)
        wait = await chess_db.run(services.flag_wait, game_id=game_id)
        if wait is not None and get_hub().local_count(game_group(game_id)):
            self.arm(game_id, time.time() + wait)


flag_timers = per_loop(FlagTimers)
