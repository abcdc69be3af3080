"""Moves, squares and the error raised for illegal or malformed moves.

Squares are ints 0..63 (a1 = 0, b1 = 1, ..., h8 = 63). A ``Move`` is an immutable
``(from_square, to_square, promotion)`` tuple whose ``str()`` is its UCI text.
"""

from __future__ import annotations

from typing import NamedTuple

FILE_NAMES = "abcdefgh"
RANK_NAMES = "12345678"
SQUARE_NAMES: tuple[str, ...] = tuple(f + r for r in RANK_NAMES for f in FILE_NAMES)
_SQUARE_INDEX: dict[str, int] = {name: i for i, name in enumerate(SQUARE_NAMES)}

PROMOTION_PIECES = "qrbn"


class IllegalMoveError(ValueError):
    """A move that is malformed or not legal in the current position."""


def parse_square(name: str) -> int:
    """Return the index of a square name such as ``"e4"``; ValueError if invalid."""
    try:
        return _SQUARE_INDEX[name]
    except (KeyError, TypeError):
        raise ValueError(f"invalid square name: {name!r}") from None


def square_name(square: int) -> str:
    """Return the name (``"e4"``) of a square index."""
    return SQUARE_NAMES[square]


class Move(NamedTuple):
    """A move from one square to another, with an optional promotion piece.

    ``promotion`` is ``None`` or one of ``"q"``, ``"r"``, ``"b"``, ``"n"``.
    Castling is encoded as the king's two-square move (``e1g1``), as in UCI.
    """

    from_square: int
    to_square: int
    promotion: str | None = None

    @classmethod
    def from_uci(cls, uci: str) -> Move:
        """Parse UCI text (``"e2e4"``, ``"e7e8q"``); IllegalMoveError if malformed."""
        cached = _UCI_CACHE.get(uci) if isinstance(uci, str) else None
        if cached is not None and cls is Move:
            return cached
        if not isinstance(uci, str) or len(uci) not in (4, 5):
            raise IllegalMoveError(f"malformed UCI move: {uci!r}")
        frm = _SQUARE_INDEX.get(uci[:2])
        to = _SQUARE_INDEX.get(uci[2:4])
        if frm is None or to is None:
            raise IllegalMoveError(f"malformed UCI move: {uci!r} (bad square)")
        if frm == to:
            raise IllegalMoveError(f"malformed UCI move: {uci!r} (null move)")
        promotion = None
        if len(uci) == 5:
            promotion = uci[4]
            if promotion not in PROMOTION_PIECES:
                raise IllegalMoveError(
                    f"malformed UCI move: {uci!r} (promotion must be one of q, r, b, n)"
                )
        move = cls(frm, to, promotion)
        if cls is Move:
            # At most 64 * 63 * 5 distinct valid texts: the cache stays small.
            _UCI_CACHE[uci] = move
        return move

    def uci(self) -> str:
        """Return the UCI text of the move, e.g. ``"e2e4"`` or ``"e7e8q"``."""
        text = SQUARE_NAMES[self.from_square] + SQUARE_NAMES[self.to_square]
        return text + self.promotion if self.promotion else text

    def __str__(self) -> str:
        return self.uci()

    def __repr__(self) -> str:
        return f"Move.from_uci({self.uci()!r})"


_UCI_CACHE: dict[str, Move] = {}
