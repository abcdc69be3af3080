"""Reads for the home page: one live figure per app."""

from typing import Any


def home_figures() -> dict[str, Any]:
    """Collect each app's `home_stats()` (rooms, open games, spins served)."""
    from chat.selectors import home_stats as chat_stats
    from chess.selectors import home_stats as chess_stats
    from roulette.selectors import home_stats as roulette_stats

    return {"chat": chat_stats(), "chess": chess_stats(), "roulette": roulette_stats()}
