"""Chess fixtures: games seated through the services, for sync and async tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.chess.chess_support import Table, seat_game
from tests.visitor_support import visitor_of


@pytest.fixture
def table(db: Any) -> Table:
    """A started game between the visitors "white-key" and "black-key"."""
    return seat_game("white-key", "black-key")


@pytest.fixture
def live_table(
    transactional_db: Any, make_session: Callable[..., str]
) -> dict[str, str]:
    """For consumer tests: real sessions (White, Black, a spectator) and a game."""
    white = make_session("Ann")
    black = make_session("Bob")
    watcher = make_session("Cy")
    table = seat_game(visitor_of(white), visitor_of(black))
    return {"game": table.game_id, "white": white, "black": black, "watcher": watcher}
