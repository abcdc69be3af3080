"""FEN syntax: split a FEN string into checked fields, and format a placement.

``parse_fen`` only checks the syntax of each field; ``Board.from_fen`` then checks that
the position is possible (kings, checks, castling rights, en passant).
"""

from __future__ import annotations

from dataclasses import dataclass

from chess.rules.moves import SQUARE_NAMES

STARTING_FEN = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"

# Piece types; index 0 means an empty square.
PAWN, KNIGHT, BISHOP, ROOK, QUEEN, KING = 1, 2, 3, 4, 5, 6
PIECE_LETTERS = " pnbrqk"
_PIECE_TYPES = {letter: i for i, letter in enumerate(PIECE_LETTERS) if i}


@dataclass(frozen=True, slots=True)
class FenFields:
    """The six FEN fields, syntax-checked; ``pieces`` maps square -> (type, colour)."""

    pieces: dict[int, tuple[int, int]]
    turn: int
    castling: str
    ep_square: int | None
    halfmove_clock: int
    fullmove_number: int


def parse_fen(fen: str) -> FenFields:
    """Check the syntax of every FEN field; ValueError with the reason if malformed."""
    if not isinstance(fen, str):
        raise ValueError("invalid FEN: not a string")
    fields = fen.split()
    if len(fields) != 6:
        raise ValueError(
            f"invalid FEN: expected 6 space-separated fields, got {len(fields)}"
        )
    placement, turn, castling, ep, halfmove, fullmove = fields
    pieces = _parse_placement(placement)
    if turn not in ("w", "b"):
        raise ValueError(f"invalid FEN: side to move must be 'w' or 'b', got {turn!r}")
    if castling != "-" and (
        not castling
        or any(c not in "KQkq" for c in castling)
        or len(set(castling)) != len(castling)
        or "".join(sorted(castling, key="KQkq".index)) != castling
    ):
        raise ValueError(
            f"invalid FEN: castling field must be '-' or a subset of 'KQkq' "
            f"in that order, got {castling!r}"
        )
    ep_square = None
    if ep != "-":
        if ep not in SQUARE_NAMES or ep[1] not in "36":
            raise ValueError(
                f"invalid FEN: en-passant square must be '-' or a square on rank 3 "
                f"or 6, got {ep!r}"
            )
        ep_square = SQUARE_NAMES.index(ep)
    if not halfmove.isdigit():
        raise ValueError(
            f"invalid FEN: halfmove clock must be a non-negative integer, "
            f"got {halfmove!r}"
        )
    if not fullmove.isdigit() or int(fullmove) < 1:
        raise ValueError(
            f"invalid FEN: fullmove number must be a positive integer, got {fullmove!r}"
        )
    return FenFields(
        pieces=pieces,
        turn=0 if turn == "w" else 1,
        castling=castling,
        ep_square=ep_square,
        halfmove_clock=int(halfmove),
        fullmove_number=int(fullmove),
    )


def _parse_placement(placement: str) -> dict[int, tuple[int, int]]:
    ranks = placement.split("/")
    if len(ranks) != 8:
        raise ValueError(
            f"invalid FEN: expected 8 ranks in placement, got {len(ranks)}"
        )
    pieces: dict[int, tuple[int, int]] = {}
    for i, rank_text in enumerate(ranks):
        rank = 7 - i
        file = 0
        previous_digit = False
        for ch in rank_text:
            if ch in "12345678":
                if previous_digit:
                    raise ValueError(
                        f"invalid FEN: consecutive digits in rank {rank + 1} "
                        f"({rank_text!r})"
                    )
                file += int(ch)
                previous_digit = True
                continue
            previous_digit = False
            piece_type = _PIECE_TYPES.get(ch.lower())
            if piece_type is None:
                raise ValueError(
                    f"invalid FEN: bad piece character {ch!r} in rank {rank + 1}"
                )
            if file < 8:
                pieces[rank * 8 + file] = (piece_type, 0 if ch.isupper() else 1)
            file += 1
        if file != 8:
            raise ValueError(
                f"invalid FEN: rank {rank + 1} ({rank_text!r}) describes {file} "
                f"squares, expected 8"
            )
    return pieces


def placement_text(squares: list[int], white: int) -> str:
    """FEN placement from a mailbox of piece types and the white-occupancy bitboard."""
    rows = []
    for rank in range(7, -1, -1):
        row = ""
        empty = 0
        for sq in range(rank * 8, rank * 8 + 8):
            piece = squares[sq]
            if not piece:
                empty += 1
                continue
            if empty:
                row += str(empty)
                empty = 0
            letter = PIECE_LETTERS[piece]
            row += letter.upper() if white >> sq & 1 else letter
        if empty:
            row += str(empty)
        rows.append(row)
    return "/".join(rows)
