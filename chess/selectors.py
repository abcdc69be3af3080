"""Reads of the chess app: lobby lists, home figures, one game and its history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connections, router
from django.db.models import Exists, Subquery

from chess.clock import label
from chess.models import Game, LobbyState, Status, Termination

LOBBY_LIMIT = 20
FINISHED_LIMIT = 10


def _rows(queryset: Any) -> list[dict[str, Any]]:
    # Plain dicts, not lazy querysets: the lobby fragment is also rendered for
    # broadcasts, and templates must not run queries from an async context.
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


def _lobby_state_query(now: datetime) -> Any:
    newest = Game.objects.order_by("-pk").values("pk")[:1]
    due = Game.objects.filter(flag_at__lte=now, status=Status.ACTIVE)
    return (
        LobbyState.objects.filter(pk=1)
        .annotate(newest=Subquery(newest), due=Exists(due))
        .values_list("stamp", "newest", "due")
    )


# Every lobby page view runs this query: its SQL is compiled once per database by
# the ORM (compiling it each time was most of its cost), then only `now` changes.
_SENTINEL = datetime(2000, 1, 1, tzinfo=UTC)
_lobby_sql: dict[tuple[str, str], tuple[str, list[Any], int]] = {}


def lobby_state(now: datetime) -> tuple[int, int | None, bool] | None:
    """In one query: what the cached lobby lists are valid for (the lobby stamp,
    changed by every create, join and end, and the newest game's id) and whether
    any running game's flag is due at `now` (indexed on `flag_at`). None when the
    stamp row is missing (a flushed database): then nothing is cached."""
    alias = router.db_for_read(LobbyState)
    conn = connections[alias]
    compiled = _lobby_sql.get((alias, conn.vendor))
    if compiled is None:
        query = _lobby_state_query(_SENTINEL).query
        sql, params = query.get_compiler(using=alias).as_sql()
        sentinel = conn.ops.adapt_datetimefield_value(_SENTINEL)
        compiled = (sql, list(params), list(params).index(sentinel))
        _lobby_sql[(alias, conn.vendor)] = compiled
    sql, params, at = compiled
    params = [*params[:at], conn.ops.adapt_datetimefield_value(now), *params[at + 1 :]]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], bool(row[2]))


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
