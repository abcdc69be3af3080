"""Rendering pushed to the lobby: the game lists as one server-rendered fragment."""

from __future__ import annotations

from django.template.loader import render_to_string

from chess.selectors import lobby_games
from site_config.realtime import encode


def lobby_frame() -> str:
    """The `lobby` message, rendered and encoded once for every lobby socket."""
    html = render_to_string("chess/lobby.html#lists", {"lobby": lobby_games()})
    return encode({"type": "lobby", "html": html})
