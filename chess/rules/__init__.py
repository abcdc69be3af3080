"""The chess rules: the only authority on legal moves and game endings.

Pure Python, standard library only. Typical server-side use::

    board = Board.from_moves(stored_ucis, start_fen=stored_fen)
    move = board.push_uci(uci)          # IllegalMoveError (a ValueError) if not legal
    san = board.san(move)               # before pushing; or read board.move_stack
    outcome = board.outcome()           # Outcome | None
    board.has_mating_material("w")      # False: White cannot mate (a flag draws)
    claim = board.claim_draw_reason()   # "threefold_repetition" | "fifty_moves" | None
    legal = board.legal_uci()           # replies for the side to move
"""

from chess.rules.board import Board
from chess.rules.fen import STARTING_FEN
from chess.rules.game import (
    CHECKMATE,
    FIFTY_MOVES,
    FIVEFOLD_REPETITION,
    INSUFFICIENT_MATERIAL,
    SEVENTYFIVE_MOVES,
    STALEMATE,
    THREEFOLD_REPETITION,
    Outcome,
)
from chess.rules.movegen import perft
from chess.rules.moves import IllegalMoveError, Move, parse_square, square_name
from chess.rules.pgn import board_from_pgn, parse_pgn_headers, parse_pgn_moves, to_pgn

__all__ = [
    "CHECKMATE",
    "FIFTY_MOVES",
    "FIVEFOLD_REPETITION",
    "INSUFFICIENT_MATERIAL",
    "SEVENTYFIVE_MOVES",
    "STALEMATE",
    "STARTING_FEN",
    "THREEFOLD_REPETITION",
    "Board",
    "IllegalMoveError",
    "Move",
    "Outcome",
    "board_from_pgn",
    "parse_pgn_headers",
    "parse_pgn_moves",
    "parse_square",
    "perft",
    "square_name",
    "to_pgn",
]
