"""Game endings (``Outcome``) and ``perft``, the move-path count that checks the rules.

``Board.outcome()`` reports the automatic endings (checkmate, stalemate, insufficient
material, fivefold repetition, seventy-five-move rule); ``Board.claim_draw_reason()``
reports the claimable ones (threefold repetition, fifty-move rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from chess.rules.board import Board

CHECKMATE: Final = "checkmate"
STALEMATE: Final = "stalemate"
INSUFFICIENT_MATERIAL: Final = "insufficient_material"
FIVEFOLD_REPETITION: Final = "fivefold_repetition"
SEVENTYFIVE_MOVES: Final = "seventyfive_moves"
THREEFOLD_REPETITION: Final = "threefold_repetition"
FIFTY_MOVES: Final = "fifty_moves"

WHITE_WINS: Final = "1-0"
BLACK_WINS: Final = "0-1"
DRAW: Final = "1/2-1/2"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a game ended: ``result`` is "1-0", "0-1" or "1/2-1/2"."""

    termination: str
    result: str

    @property
    def winner(self) -> str | None:
        """The winning side, "w" or "b"; None for a draw."""
        if self.result == WHITE_WINS:
            return "w"
        if self.result == BLACK_WINS:
            return "b"
        return None


def perft(board: Board, depth: int) -> int:
    """Count the leaf nodes of the legal move tree of ``board`` to ``depth`` plies.

    Leaves are counted in bulk (the legal moves of a depth-1 node are counted, not
    played). The board is left as it was.
    """
    if depth < 1:
        return 1
    if depth == 1:
        return board._count_legal()
    return _perft(board, depth)


def _perft(board: Board, depth: int) -> int:
    push = board._push
    pop = board._pop
    nodes = 0
    if depth == 2:
        count = board._count_legal
        for move in board._legal():
            push(move)
            nodes += count()
            pop()
    else:
        for move in board._legal():
            push(move)
            nodes += _perft(board, depth - 1)
            pop()
    return nodes
