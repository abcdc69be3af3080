"""Reads of the chess app: lobby lists, home figures, one game and its history."""

from __future__ import annotations

from typing import Any

from chess.clock import label
from chess.models import Game, Status, Termination

LOBBY_LIMIT = 20
FINISHED_LIMIT = 10


def _rows(queryset: Any) -> list[dict[str, Any]]:
    # Plain dicts, not lazy querysets: the template runs no queries.
    rows = list(
        queryset.values(
            "public_id",
            "white_name",
            "black_name",
            "status",
            "result",
            "termination",
            "ply",
            "colour_choice",
            "created_at",
            "updated_at",
            "clock_base_s",
            "clock_increment_s",
        )
    )
    labels = dict(Termination.choices)
    for row in rows:
        row["termination_label"] = labels.get(row["termination"], "")
        row["time_control"] = label(row["clock_base_s"], row["clock_increment_s"])
    return rows


def lobby_games() -> dict[str, list[dict[str, Any]]]:
    """Open games, games in progress and recently finished games, newest first."""
    return {
        "open": _rows(Game.objects.filter(status=Status.WAITING)[:LOBBY_LIMIT]),
        "in_progress": _rows(
            Game.objects.filter(status=Status.ACTIVE).order_by("-updated_at")[
                :LOBBY_LIMIT
            ]
        ),
        "finished": _rows(
            Game.objects.filter(status__in=[Status.FINISHED, Status.ABORTED])
            .exclude(ended_at=None)
            .order_by("-ended_at")[:FINISHED_LIMIT]
        ),
    }


def home_stats() -> dict[str, int]:
    """Live figures for the home page card."""
    return {
        "open_games": Game.objects.filter(status=Status.WAITING).count(),
        "in_progress": Game.objects.filter(status=Status.ACTIVE).count(),
    }


def game_get(public_id: str) -> Game | None:
    return Game.objects.filter(public_id=public_id).first()


def game_fens(game: Game) -> list[str]:
    """The position before the first move and after every move, in order."""
    return [
        game.start_fen,
        *game.move_set.order_by("ply").values_list("fen_after", flat=True),
    ]
