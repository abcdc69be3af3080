"""Game endings: the ``Outcome`` of a game, its terminations, and mating material.

``Board.outcome()`` reports the automatic endings (checkmate, stalemate, insufficient
material, fivefold repetition, seventy-five-move rule); ``Board.claim_draw_reason()``
reports the claimable ones (threefold repetition, fifty-move rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chess.rules.fen import BISHOP, KING, KNIGHT, PAWN, QUEEN, ROOK
from chess.rules.tables import DARK_SQUARES, LIGHT_SQUARES

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


def cannot_mate(pt: list[int], occ: list[int], colour: int) -> bool:
    """Whether ``colour`` lacks the material to mate, given the board's bitboards.

    The usual approximation, one side at a time (as python-chess's
    ``has_insufficient_material(color)``). A side cannot mate when it has no pawns,
    rooks or queens and either

    * only its king (a bare king), or
    * its king and exactly one knight, while the opponent has nothing but its king and
      queens (a queen hemming its own king in is next to it, and so can always take
      the checking knight), or
    * its king and bishops all on one square colour, while no pawn or knight is on the
      board and no bishop of the other square colour exists (a rook or queen hemming
      the checked king in can always step into the check line).

    Everything else counts as mating material, even where a mate needs the opponent's
    help (K+N against K+R, say). So a side is never called unable to mate while some
    series of legal moves could mate (FIDE's rule for a flag), though some dead
    positions (locked pawns, say) are missed.
    """
    own = occ[colour]
    if own & (pt[PAWN] | pt[ROOK] | pt[QUEEN]):
        return False
    if own & pt[KNIGHT]:
        other = occ[colour ^ 1]
        return own.bit_count() <= 2 and not other & ~(pt[KING] | pt[QUEEN])
    bishops = pt[BISHOP]
    if own & bishops:
        same_colour = not bishops & DARK_SQUARES or not bishops & LIGHT_SQUARES
        return bool(same_colour and not pt[PAWN] and not pt[KNIGHT])
    return True
