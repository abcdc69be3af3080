"""Precomputed bitboard tables: leaper attacks, sliding attacks, lines between squares.

A bitboard is a Python int whose bit ``n`` stands for square ``n`` (a1 = 0).
Sliding attacks are looked up in per-square dicts keyed by the relevant blockers,
which keeps the hot path to one mask, one index and one dict lookup.
"""

from __future__ import annotations

FULL = (1 << 64) - 1
FILE_A = 0x0101010101010101
FILE_H = FILE_A << 7
NOT_FILE_A = FULL ^ FILE_A
NOT_FILE_H = FULL ^ FILE_H
RANK_1 = 0xFF
RANK_3 = RANK_1 << 16
RANK_6 = RANK_1 << 40
RANK_8 = RANK_1 << 56
BACK_RANKS = RANK_1 | RANK_8
LIGHT_SQUARES = 0x55AA55AA55AA55AA
DARK_SQUARES = FULL ^ LIGHT_SQUARES


def _on_board(f: int, r: int) -> bool:
    return 0 <= f < 8 and 0 <= r < 8


def _leaper(deltas: tuple[tuple[int, int], ...]) -> list[int]:
    table = []
    for sq in range(64):
        f, r = sq & 7, sq >> 3
        bb = 0
        for df, dr in deltas:
            if _on_board(f + df, r + dr):
                bb |= 1 << ((r + dr) * 8 + f + df)
        table.append(bb)
    return table


KNIGHT_ATTACKS = _leaper(
    ((1, 2), (2, 1), (2, -1), (1, -2), (-1, -2), (-2, -1), (-2, 1), (-1, 2))
)
KING_ATTACKS = _leaper(
    ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
)
# PAWN_ATTACKS[colour][sq]: squares a pawn of that colour on sq attacks (0 = white).
PAWN_ATTACKS = (_leaper(((-1, 1), (1, 1))), _leaper(((-1, -1), (1, -1))))

_ROOK_DIRS = ((1, 0), (-1, 0), (0, 1), (0, -1))
_BISHOP_DIRS = ((1, 1), (-1, -1), (1, -1), (-1, 1))


def _slide(sq: int, occ: int, dirs: tuple[tuple[int, int], ...]) -> int:
    bb = 0
    for df, dr in dirs:
        f, r = (sq & 7) + df, (sq >> 3) + dr
        while _on_board(f, r):
            bit = 1 << (r * 8 + f)
            bb |= bit
            if occ & bit:
                break
            f += df
            r += dr
    return bb


def _edges(sq: int) -> int:
    """Board edges that are not on the square's own rank or file."""
    rank_edges = (RANK_1 | RANK_8) & ~(RANK_1 << (8 * (sq >> 3)))
    file_edges = (FILE_A | FILE_H) & ~(FILE_A << (sq & 7))
    return rank_edges | file_edges


def _subsets(mask: int) -> list[int]:
    subs = []
    sub = 0
    while True:
        subs.append(sub)
        sub = (sub - mask) & mask
        if sub == 0:
            return subs


def _sliding_table(
    dirs: tuple[tuple[int, int], ...], drop_edges: bool
) -> tuple[list[int], list[dict[int, int]]]:
    masks = []
    tables = []
    for sq in range(64):
        if drop_edges:
            mask = _slide(sq, 0, dirs) & ~_edges(sq)
        else:
            # One line only: strip the far ends of the line itself.
            full = _slide(sq, 0, dirs)
            ends = 0
            for df, dr in dirs:
                f, r = (sq & 7) + df, (sq >> 3) + dr
                last = -1
                while _on_board(f, r):
                    last = r * 8 + f
                    f += df
                    r += dr
                if last >= 0:
                    ends |= 1 << last
            mask = full & ~ends
        masks.append(mask)
        tables.append({sub: _slide(sq, sub, dirs) for sub in _subsets(mask)})
    return masks, tables


DIAG_MASKS, DIAG_ATTACKS = _sliding_table(_BISHOP_DIRS, drop_edges=True)
RANK_MASKS, RANK_ATTACKS = _sliding_table(((1, 0), (-1, 0)), drop_edges=False)
FILE_MASKS, FILE_ATTACKS = _sliding_table(((0, 1), (0, -1)), drop_edges=False)

BISHOP_EMPTY = [_slide(sq, 0, _BISHOP_DIRS) for sq in range(64)]
ROOK_EMPTY = [_slide(sq, 0, _ROOK_DIRS) for sq in range(64)]


def _between(a: int, b: int) -> int:
    """Squares strictly between a and b on a shared line, else 0."""
    for dirs in (_ROOK_DIRS, _BISHOP_DIRS):
        for df, dr in dirs:
            bb = 0
            f, r = (a & 7) + df, (a >> 3) + dr
            while _on_board(f, r):
                s = r * 8 + f
                if s == b:
                    return bb
                bb |= 1 << s
                f += df
                r += dr
    return 0


# BETWEEN[a][b]: squares strictly between a and b on a rank, file or diagonal.
BETWEEN = [[_between(a, b) for b in range(64)] for a in range(64)]
