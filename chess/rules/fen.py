"""FEN: split a FEN string into checked fields, set up its pieces, format a placement.

``parse_fen`` only checks the syntax of each field. ``place_pieces``,
``castling_rights`` and ``en_passant_square`` check that the position is possible as
far as that needs no attack tables; ``Board.from_fen`` checks the rest (the side not to
move must not be in check; an en-passant square is kept only if the capture is legal).
"""

from __future__ import annotations

from dataclasses import dataclass

from chess.rules.moves import SQUARE_NAMES
from chess.rules.tables import BACK_RANKS

STARTING_FEN = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"

# Colours, and piece types (index 0 means an empty square).
WHITE, BLACK = 0, 1
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
        turn=WHITE if turn == "w" else BLACK,
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
                pieces[rank * 8 + file] = (piece_type, WHITE if ch.isupper() else BLACK)
            file += 1
        if file != 8:
            raise ValueError(
                f"invalid FEN: rank {rank + 1} ({rank_text!r}) describes {file} "
                f"squares, expected 8"
            )
    return pieces


def place_pieces(fields: FenFields) -> tuple[list[int], list[int], list[int]]:
    """Bitboards by piece type and by colour, and the mailbox, of ``fields``.

    ValueError unless each side has one king, at most 8 pawns and at most 16 pieces,
    and no pawn stands on the first or eighth rank.
    """
    pt = [0] * 7
    occ = [0, 0]
    sq = [0] * 64
    counts = [[0] * 7, [0] * 7]
    for square, (piece, colour) in fields.pieces.items():
        bit = 1 << square
        pt[piece] |= bit
        occ[colour] |= bit
        sq[square] = piece
        counts[colour][piece] += 1
    for colour, name in ((WHITE, "white"), (BLACK, "black")):
        kings = counts[colour][KING]
        if kings != 1:
            raise ValueError(
                f"invalid FEN: {name} must have exactly one king, found {kings}"
            )
        if counts[colour][PAWN] > 8:
            raise ValueError(f"invalid FEN: {name} has more than 8 pawns")
        if sum(counts[colour]) > 16:
            raise ValueError(f"invalid FEN: {name} has more than 16 pieces")
    if pt[PAWN] & BACK_RANKS:
        raise ValueError("invalid FEN: pawns on the first or eighth rank")
    return pt, occ, sq


# Castling letter -> (colour, king's home square, rook's home square).
_CASTLING_HOMES = {
    "K": (WHITE, 4, 7),
    "Q": (WHITE, 4, 0),
    "k": (BLACK, 60, 63),
    "q": (BLACK, 60, 56),
}


def castling_rights(fields: FenFields, pt: list[int], occ: list[int]) -> int:
    """The castling rights as the bits of the rooks' home squares.

    ValueError unless the king and the rook of each right are on their home squares.
    """
    castling = 0
    for right in fields.castling.replace("-", ""):
        colour, king_sq, rook_sq = _CASTLING_HOMES[right]
        if not (
            pt[KING] & occ[colour] & (1 << king_sq)
            and pt[ROOK] & occ[colour] & (1 << rook_sq)
        ):
            raise ValueError(
                f"invalid FEN: castling right {right!r} needs the king on "
                f"{SQUARE_NAMES[king_sq]} and a rook on {SQUARE_NAMES[rook_sq]}"
            )
        castling |= 1 << rook_sq
    return castling


def en_passant_square(fields: FenFields, pt: list[int], occ: list[int]) -> int:
    """The en-passant square, or -1 if none.

    ValueError unless it is just behind a pawn of the side not to move that could have
    come from two squares further back (both squares empty).
    """
    ep = fields.ep_square
    if ep is None:
        return -1
    ep_name = SQUARE_NAMES[ep]
    if fields.turn == WHITE:
        expected_rank, pushed, origin, colour = 6, ep - 8, ep + 8, BLACK
    else:
        expected_rank, pushed, origin, colour = 3, ep + 8, ep - 8, WHITE
    if ep >> 3 != expected_rank - 1:
        mover = "white" if fields.turn == WHITE else "black"
        raise ValueError(
            f"invalid FEN: en-passant square {ep_name} must be on rank "
            f"{expected_rank} when {mover} is to move"
        )
    occupied = occ[0] | occ[1]
    if occupied & (1 << ep | 1 << origin) or not pt[PAWN] & occ[colour] & (1 << pushed):
        raise ValueError(
            f"invalid FEN: en-passant square {ep_name} does not follow a "
            f"double pawn push"
        )
    return ep


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
