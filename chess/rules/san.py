"""Standard Algebraic Notation: write a legal move as SAN and read SAN back.

Output is canonical (``Nbd7``, ``exd6``, ``O-O``, ``e8=Q#``; minimal disambiguation:
file, then rank, then both). Input also accepts ``0-0``, ``e8Q``, ``e8q`` and trailing
``+``/``#``/``!``/``?``; ambiguous, malformed or illegal SAN raises IllegalMoveError.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chess.rules.fen import KING, PAWN, PIECE_LETTERS
from chess.rules.moves import FILE_NAMES, SQUARE_NAMES, IllegalMoveError, Move

if TYPE_CHECKING:
    from chess.rules.board import Board

_SAN_RE = re.compile(
    r"([NBRQK])?([a-h])?([1-8])?([x:])?([a-h][1-8])(?:=?([NBRQnbrq]))?"
)
_PIECE_TYPES = {"N": 2, "B": 3, "R": 4, "Q": 5, "K": 6}


def move_to_san(board: Board, move: Move) -> str:
    """SAN of a legal move; IllegalMoveError if the move is not legal."""
    legal = board._legal()
    if move not in legal:
        raise IllegalMoveError(f"illegal move in this position: {move.uci()}")
    frm, to, promotion = move
    squares = board._sq
    piece = squares[frm]
    if piece == KING and abs(to - frm) == 2:
        san = "O-O" if to > frm else "O-O-O"
    elif piece == PAWN:
        san = SQUARE_NAMES[to]
        if frm & 7 != to & 7:
            san = FILE_NAMES[frm & 7] + "x" + san
        if promotion:
            san += "=" + promotion.upper()
    else:
        rivals = [
            m.from_square
            for m in legal
            if m.to_square == to
            and m.from_square != frm
            and squares[m.from_square] == piece
        ]
        prefix = PIECE_LETTERS[piece].upper()
        if rivals:
            if all(r & 7 != frm & 7 for r in rivals):
                prefix += SQUARE_NAMES[frm][0]
            elif all(r >> 3 != frm >> 3 for r in rivals):
                prefix += SQUARE_NAMES[frm][1]
            else:
                prefix += SQUARE_NAMES[frm]
        san = prefix + ("x" if squares[to] else "") + SQUARE_NAMES[to]
    board._push(move)
    try:
        if board.is_check():
            san += "+" if board._count_legal() else "#"
    finally:
        board._pop()
    return san


def parse_san(board: Board, san: str) -> Move:
    """The legal move that ``san`` names in ``board``; IllegalMoveError otherwise."""
    if not isinstance(san, str):
        raise IllegalMoveError(f"malformed SAN move: {san!r}")
    text = san.strip().rstrip("+#!?")
    if not text:
        raise IllegalMoveError(f"malformed SAN move: {san!r}")
    legal = board._legal()
    squares = board._sq
    if text in ("O-O", "0-0", "O-O-O", "0-0-0"):
        long = len(text) == 5
        for m in legal:
            frm, to = m.from_square, m.to_square
            if squares[frm] == KING and to - frm == (-2 if long else 2):
                return m
        raise IllegalMoveError(f"illegal SAN move in this position: {san!r}")
    match = _SAN_RE.fullmatch(text)
    if match is None:
        raise IllegalMoveError(f"malformed SAN move: {san!r}")
    letter, from_file, from_rank, _capture, dest, promotion = match.groups()
    to = SQUARE_NAMES.index(dest)
    if letter:
        if promotion:
            raise IllegalMoveError(f"malformed SAN move: {san!r} (only pawns promote)")
        piece = _PIECE_TYPES[letter]
    else:
        piece = PAWN
        if from_file is None:
            # A pawn move without a file is a push: it stays on its file.
            from_file = dest[0]
    wanted_promotion = promotion.lower() if promotion else None
    candidates = [
        m
        for m in legal
        if m.to_square == to
        and squares[m.from_square] == piece
        and m.promotion == wanted_promotion
        and (from_file is None or SQUARE_NAMES[m.from_square][0] == from_file)
        and (from_rank is None or SQUARE_NAMES[m.from_square][1] == from_rank)
        and not (piece == KING and abs(m.to_square - m.from_square) == 2)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise IllegalMoveError(f"ambiguous SAN move in this position: {san!r}")
    if piece == PAWN and wanted_promotion is None and to >> 3 in (0, 7):
        raise IllegalMoveError(
            f"illegal SAN move in this position: {san!r} (promotion piece missing)"
        )
    raise IllegalMoveError(f"illegal SAN move in this position: {san!r}")
