"""Legal move generation: attack tests, checks and pins, one generator, and perft.

Moves are generated legal directly (check masks and pin rays), never by playing each
pseudo-legal move. The one generator, ``destinations``, returns the legal moves as
destination bitboards; ``legal_moves`` expands them into ``Move``s and ``count_legal``
only counts their bits, which is how perft counts a leaf ply without building it.

Positions are passed as the board's own state: ``pt`` (a bitboard per piece type,
indexed by ``PAWN``..``KING``), ``occ`` (a bitboard per colour), the side to move, the
castling rights (the bits of the rooks' home squares) and the en-passant square or -1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chess.rules import tables as T
from chess.rules.fen import BISHOP, KING, KNIGHT, PAWN, QUEEN, ROOK, WHITE
from chess.rules.moves import PROMOTION_PIECES, Move

if TYPE_CHECKING:
    from chess.rules.board import Board

__all__ = [
    "attacked",
    "checkers_and_pins",
    "count_legal",
    "destinations",
    "ep_capture_ok",
    "ep_possible",
    "legal_moves",
    "move_is_legal",
    "perft",
]

_FULL = T.FULL
_KNIGHT = T.KNIGHT_ATTACKS
_KING = T.KING_ATTACKS
_PAWN = T.PAWN_ATTACKS
_DIAG_M = T.DIAG_MASKS
_DIAG_A = T.DIAG_ATTACKS
_RANK_M = T.RANK_MASKS
_RANK_A = T.RANK_ATTACKS
_FILE_M = T.FILE_MASKS
_FILE_A = T.FILE_ATTACKS
_BETWEEN = T.BETWEEN
_ROOK_EMPTY = T.ROOK_EMPTY
_BISHOP_EMPTY = T.BISHOP_EMPTY
_NOT_A = T.NOT_FILE_A
_NOT_H = T.NOT_FILE_H
_RANK_3 = T.RANK_3
_RANK_6 = T.RANK_6
_BACK = T.BACK_RANKS

# Every from/to pair as a ready Move: looking a move up is several times cheaper than
# building a NamedTuple, and moves are immutable, so boards can share them.
_MOVES = [[Move(frm, to) for to in range(64)] for frm in range(64)]

# Castling by colour: (the right's bit, the squares that must be empty, the square the
# king passes and the one it lands on, neither of which may be attacked).
_CASTLES = (
    ((1 << 7, 0x60, 5, 6), (1 << 0, 0x0E, 3, 2)),
    ((1 << 63, 0x60 << 56, 61, 62), (1 << 56, 0x0E << 56, 59, 58)),
)

# By colour, the shifts from origin to destination of the pawn sets of ``destinations``.
_PAWN_SHIFTS = ((8, 16, 7, 9), (-8, -16, -9, -7))
Destinations = tuple[dict[int, int], tuple[int, int, int, int]]
_bit_count = int.bit_count


def attacked(pt: list[int], sq: int, by: int, occ: int, them: int) -> bool:
    """Is ``sq`` attacked by the pieces ``them`` (colour ``by``) given ``occ``?"""
    if _KNIGHT[sq] & pt[KNIGHT] & them:
        return True
    if _KING[sq] & pt[KING] & them:
        return True
    if _PAWN[by ^ 1][sq] & pt[PAWN] & them:
        return True
    queens = pt[QUEEN]
    rq = (pt[ROOK] | queens) & them
    if rq and (_RANK_A[sq][_RANK_M[sq] & occ] | _FILE_A[sq][_FILE_M[sq] & occ]) & rq:
        return True
    bq = (pt[BISHOP] | queens) & them
    return bool(bq and _DIAG_A[sq][_DIAG_M[sq] & occ] & bq)


def checkers_and_pins(
    pt: list[int], us: int, them: int, c: int
) -> tuple[int, int, int, dict[int, int]]:
    """King square, checkers, pinned pieces and each pinned piece's allowed ray.

    ``us`` and ``them`` are the pieces of the side to move ``c`` and of the other side.
    """
    occ = us | them
    k = (pt[KING] & us).bit_length() - 1
    queens = pt[QUEEN]
    checkers = (_KNIGHT[k] & pt[KNIGHT] | _PAWN[c][k] & pt[PAWN]) & them
    snipers = (
        _ROOK_EMPTY[k] & (pt[ROOK] | queens) | _BISHOP_EMPTY[k] & (pt[BISHOP] | queens)
    ) & them
    pinned = 0
    rays: dict[int, int] = {}
    between = _BETWEEN[k]
    while snipers:
        s = snipers & -snipers
        snipers ^= s
        line = between[s.bit_length() - 1]
        b = line & occ
        if not b:
            checkers |= s
        elif not b & (b - 1) and b & us:
            pinned |= b
            rays[b] = line | s
    return k, checkers, pinned, rays


def ep_capture_ok(pt: list[int], occ: list[int], c: int, frm: int, ep: int) -> bool:
    """Does the en-passant capture frm->ep leave the king of colour ``c`` safe?"""
    us = occ[c]
    them = occ[c ^ 1]
    captured = 1 << (ep - 8 if c == WHITE else ep + 8)
    after = ((us | them) ^ (1 << frm) ^ captured) | (1 << ep)
    k = (pt[KING] & us).bit_length() - 1
    return not attacked(pt, k, c ^ 1, after, them ^ captured)


def ep_possible(pt: list[int], occ: list[int], c: int, ep: int) -> bool:
    """Can the side to move ``c`` capture en passant on ``ep`` legally?"""
    pawns = _PAWN[c ^ 1][ep] & pt[PAWN] & occ[c]
    while pawns:
        s = pawns & -pawns
        pawns ^= s
        if ep_capture_ok(pt, occ, c, s.bit_length() - 1, ep):
            return True
    return False


def destinations(
    pt: list[int], occ: list[int], c: int, castling: int, ep: int
) -> Destinations:
    """Every legal move of the side to move ``c``, as destination bitboards.

    Returns the destinations of each piece by its square (the king, castling included,
    the knights, the sliders, and any pawn that can take en passant), then the pawns'
    single pushes, double pushes, and captures towards the a-file and the h-file as
    four bitboards of destinations; their origins are the destinations less the shifts
    in ``_PAWN_SHIFTS``, and one on the first or eighth rank stands for four
    promotions.
    """
    us = occ[c]
    them = occ[c ^ 1]
    both = us | them
    by = c ^ 1
    k, checkers, pinned, rays = checkers_and_pins(pt, us, them, c)

    king = 0
    targets = _KING[k] & ~us
    # The king must not hide behind itself from a slider that checks it.
    without_king = both ^ (1 << k)
    while targets:
        s = targets & -targets
        targets ^= s
        if not attacked(pt, s.bit_length() - 1, by, without_king, them):
            king |= s
    if checkers:
        if checkers & (checkers - 1):
            return {k: king}, (0, 0, 0, 0)
        target = _BETWEEN[k][checkers.bit_length() - 1] | checkers
    else:
        target = _FULL ^ us
        if castling:
            for right, path, passes, lands in _CASTLES[c]:
                if (
                    castling & right
                    and not both & path
                    and not attacked(pt, passes, by, both, them)
                    and not attacked(pt, lands, by, both, them)
                ):
                    king |= 1 << lands
    pieces = {k: king}

    bb = pt[KNIGHT] & us & ~pinned
    while bb:
        s = bb & -bb
        bb ^= s
        frm = s.bit_length() - 1
        pieces[frm] = _KNIGHT[frm] & target
    bb = pt[BISHOP] & us
    while bb:
        s = bb & -bb
        bb ^= s
        frm = s.bit_length() - 1
        t = _DIAG_A[frm][_DIAG_M[frm] & both] & target
        pieces[frm] = t & rays[s] if s & pinned else t
    bb = pt[ROOK] & us
    while bb:
        s = bb & -bb
        bb ^= s
        frm = s.bit_length() - 1
        t = (
            _RANK_A[frm][_RANK_M[frm] & both] | _FILE_A[frm][_FILE_M[frm] & both]
        ) & target
        pieces[frm] = t & rays[s] if s & pinned else t
    bb = pt[QUEEN] & us
    while bb:
        s = bb & -bb
        bb ^= s
        frm = s.bit_length() - 1
        t = (
            _DIAG_A[frm][_DIAG_M[frm] & both]
            | _RANK_A[frm][_RANK_M[frm] & both]
            | _FILE_A[frm][_FILE_M[frm] & both]
        ) & target
        pieces[frm] = t & rays[s] if s & pinned else t

    pawns = pt[PAWN] & us
    empty = _FULL ^ both
    if c == WHITE:
        single = (pawns << 8) & empty
        double = ((single & _RANK_3) << 8) & empty & target
        single &= target
        left = ((pawns & _NOT_A) << 7) & them & target
        right = ((pawns & _NOT_H) << 9) & them & target
    else:
        single = (pawns >> 8) & empty
        double = ((single & _RANK_6) >> 8) & empty & target
        single &= target
        left = ((pawns & _NOT_A) >> 9) & them & target
        right = ((pawns & _NOT_H) >> 7) & them & target
    bb = pawns & pinned
    while bb:
        # In each set a destination has one possible origin, so a pinned pawn's moves
        # off its ray can be cleared from the sets by their destination bits.
        s = bb & -bb
        bb ^= s
        off = ~rays[s]
        if c == WHITE:
            single &= ~(s << 8 & off)
            double &= ~(s << 16 & off)
            left &= ~(s << 7 & off)
            right &= ~(s << 9 & off)
        else:
            single &= ~(s >> 8 & off)
            double &= ~(s >> 16 & off)
            left &= ~(s >> 9 & off)
            right &= ~(s >> 7 & off)
    if ep >= 0:
        # Checked one by one: taking en passant removes two pawns from a line at once.
        bb = _PAWN[by][ep] & pawns
        while bb:
            s = bb & -bb
            bb ^= s
            frm = s.bit_length() - 1
            if ep_capture_ok(pt, occ, c, frm, ep):
                pieces[frm] = 1 << ep
    return pieces, (single, double, left, right)


def legal_moves(
    pt: list[int], occ: list[int], c: int, castling: int, ep: int
) -> list[Move]:
    """Every legal move of the side to move ``c``."""
    pieces, pawns = destinations(pt, occ, c, castling, ep)
    moves: list[Move] = []
    append = moves.append
    for frm, t in pieces.items():
        row = _MOVES[frm]
        while t:
            d = t & -t
            t ^= d
            append(row[d.bit_length() - 1])
    for shift, t in zip(_PAWN_SHIFTS[c], pawns, strict=True):
        while t:
            d = t & -t
            t ^= d
            to = d.bit_length() - 1
            if d & _BACK:
                for p in PROMOTION_PIECES:
                    append(Move(to - shift, to, p))
            else:
                append(_MOVES[to - shift][to])
    return moves


def count_legal(pt: list[int], occ: list[int], c: int, castling: int, ep: int) -> int:
    """The number of legal moves of the side to move ``c``, without building them."""
    pieces, (single, double, left, right) = destinations(pt, occ, c, castling, ep)
    n = sum(map(_bit_count, pieces.values()))
    n += single.bit_count() + double.bit_count() + left.bit_count() + right.bit_count()
    if (single | left | right) & _BACK:
        # Three more moves for each promotion square: a push and a capture never share
        # one, but the two captures may.
        n += 3 * (
            (single & _BACK).bit_count()
            + (left & _BACK).bit_count()
            + (right & _BACK).bit_count()
        )
    return n


def move_is_legal(
    pt: list[int],
    occ: list[int],
    c: int,
    castling: int,
    ep: int,
    piece: int,
    frm: int,
    to: int,
    promotion: str | None,
) -> bool:
    """Is the move of ``piece`` (a piece of ``c`` on ``frm``) to ``to`` legal?

    Checks the one move instead of listing them all. ``to`` must not hold a piece of
    ``c``; ``promotion`` must be None or a promotion letter.
    """
    us = occ[c]
    them = occ[c ^ 1]
    both = us | them
    fb = 1 << frm
    tb = 1 << to
    if piece == KING:
        if promotion:
            return False
        if to - frm in (2, -2):
            # Castling: rare enough to settle by the full list.
            return Move(frm, to) in legal_moves(pt, occ, c, castling, ep)
        return bool(_KING[frm] & tb) and not attacked(pt, to, c ^ 1, both ^ fb, them)
    if piece == PAWN:
        if (promotion is not None) != bool(tb & _BACK):
            return False
        if to == ep:
            return bool(_PAWN[c][frm] & tb) and ep_capture_ok(pt, occ, c, frm, to)
        dests = _pawn_dests(fb, c, _FULL ^ both, them)
    else:
        if promotion:
            return False
        if piece == KNIGHT:
            dests = _KNIGHT[frm]
        elif piece == BISHOP:
            dests = _DIAG_A[frm][_DIAG_M[frm] & both]
        elif piece == ROOK:
            dests = (
                _RANK_A[frm][_RANK_M[frm] & both] | _FILE_A[frm][_FILE_M[frm] & both]
            )
        else:
            dests = (
                _DIAG_A[frm][_DIAG_M[frm] & both]
                | _RANK_A[frm][_RANK_M[frm] & both]
                | _FILE_A[frm][_FILE_M[frm] & both]
            )
    if not dests & tb:
        return False
    k, checkers, pinned, rays = checkers_and_pins(pt, us, them, c)
    if checkers:
        if checkers & (checkers - 1):
            return False
        if not tb & (_BETWEEN[k][checkers.bit_length() - 1] | checkers):
            return False
    return not fb & pinned or bool(tb & rays[fb])


def _pawn_dests(pawn: int, c: int, empty: int, them: int) -> int:
    """Push and capture squares of one pawn (bitboard), before pins and checks."""
    if c == WHITE:
        single = (pawn << 8) & empty
        return (
            single
            | ((single & _RANK_3) << 8) & empty
            | ((pawn & _NOT_A) << 7 | (pawn & _NOT_H) << 9) & them
        )
    single = (pawn >> 8) & empty
    return (
        single
        | ((single & _RANK_6) >> 8) & empty
        | ((pawn & _NOT_A) >> 9 | (pawn & _NOT_H) >> 7) & them
    )


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
        for move in board._legal():
            push(move)
            nodes += count_legal(
                board._pt, board._occ, board._turn, board._castling, board._ep
            )
            pop()
    else:
        for move in board._legal():
            push(move)
            nodes += _perft(board, depth - 1)
            pop()
    return nodes
