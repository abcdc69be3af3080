"""Helpers for the chess tests: scripted games, seating and playing through the
services, the events they publish, and reading typed frames from a communicator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.test import TestCase

from chess import services
from site_config.realtime.events import collecting

# Scripted games as UCI.
FOOLS_MATE = ["f2f3", "e7e5", "g2g4", "d8h4"]
SCHOLARS_MATE = ["e2e4", "e7e5", "f1c4", "b8c6", "d1h5", "g8f6", "h5f7"]
# En passant (exd6), promotion (cxb8=Q), castling (O-O), then mate (Bxf7#).
FEATURE_GAME = [
    "e2e4",
    "a7a6",
    "e4e5",
    "d7d5",
    "e5d6",
    "h7h6",
    "d6c7",
    "h6h5",
    "c7b8q",
    "a8b8",
    "g1f3",
    "g7g6",
    "f1c4",
    "g6g5",
    "e1g1",
    "e8d7",
    "f3e5",
    "d7e8",
    "c4f7",
]
KNIGHT_SHUFFLE = ["g1f3", "g8f6", "f3g1", "f6g8"] * 2  # start position three times


@dataclass
class Table:
    """A started game: White and Black seated by visitor id."""

    game_id: str
    white: str
    black: str

    def seat(self, ply: int) -> str:
        return self.white if ply % 2 == 0 else self.black


def seat_game(white: str, black: str, **create: Any) -> Table:
    game = services.game_create(visitor_id=white, name="Ann", colour="white", **create)
    services.game_join(game_id=game.public_id, visitor_ids=[black], name="Bob")
    return Table(game.public_id, white, black)


def play(table: Table, moves: list[str], start_ply: int = 0) -> Any:
    change = None
    for ply, uci in enumerate(moves, start=start_ply):
        change = services.move_make(
            game_id=table.game_id,
            visitor_ids=[table.seat(ply)],
            uci=uci,
            ply=ply,
        )
    return change


async def receive_type(communicator: Any, kind: str, wait: float = 3) -> dict:
    """Read frames until one of type `kind` arrives."""
    while True:
        message = await communicator.receive_json_from(timeout=wait)
        if message.get("type") == kind:
            return message


@dataclass
class Published:
    """The events published inside a `published()` block, in order."""

    events: list[tuple[str, str, str]] = field(default_factory=list)

    def of(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """(group, payload) of every event called `name`."""
        return [(g, json.loads(frame)) for g, n, frame in self.events if n == name]

    @property
    def names(self) -> list[str]:
        return [name for _, name, _ in self.events]


@contextmanager
def published() -> Iterator[Published]:
    """Run the block's commit callbacks at its end (a `django_db` test never
    commits) and collect what they publish instead of sending it."""
    found = Published()
    with collecting() as events:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield found
        found.events.extend(events)
