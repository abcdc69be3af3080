"""Every write to a chess game, and the reads that may apply a due flag first.

`from chess import services; services.move_make(...)`: the functions live in
`commands` (the players' commands and the state they open with), `flags` (clock
flags), `lobby` (the lobby's version and cached lists) and `presence` (the
presence listener and the "gone" times).
"""

from chess.services.base import (
    GameChange,
    GameError,
    GameNotFound,
    NotSeatedError,
    NotYourTurnError,
    StaleMoveError,
)
from chess.services.commands import (
    draw_accept,
    draw_claim,
    draw_decline,
    draw_offer,
    game_abort,
    game_claim_gone,
    game_create,
    game_join,
    game_rematch,
    game_resign,
    game_state,
    game_view,
    move_make,
)
from chess.services.flags import (
    flag_check,
    flag_wait,
    flags_sweep,
    game_flag,
)
from chess.services.lobby import LOBBY_GROUP, lobby_lists, lobby_version
from chess.services.presence import (
    gone_since,
    presence_changed,
    presence_member,
)

__all__ = [
    "LOBBY_GROUP",
    "GameChange",
    "GameError",
    "GameNotFound",
    "NotSeatedError",
    "NotYourTurnError",
    "StaleMoveError",
    "draw_accept",
    "draw_claim",
    "draw_decline",
    "draw_offer",
    "flag_check",
    "flag_wait",
    "flags_sweep",
    "game_abort",
    "game_claim_gone",
    "game_create",
    "game_flag",
    "game_join",
    "game_rematch",
    "game_resign",
    "game_state",
    "game_view",
    "gone_since",
    "lobby_lists",
    "lobby_version",
    "move_make",
    "presence_changed",
    "presence_member",
]
