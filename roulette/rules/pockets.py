"""Wheels and their pockets: pocket order, colours, the layout's rows, columns,
dozens and even-money sets, and the spin itself."""

from __future__ import annotations

import random
import secrets
from typing import Final

Pocket = int | str
"""A pocket is an int 0..36 or the string ``"00"`` (American wheel only)."""

AMERICAN: Final = "american"
EUROPEAN: Final = "european"
WHEELS: Final = (AMERICAN, EUROPEAN)
WHEEL_LABELS: Final = {AMERICAN: "American (0 and 00)", EUROPEAN: "European (single 0)"}

DOUBLE_ZERO: Final = "00"
REDS: Final = frozenset(
    {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}
)
NUMBERS: Final = frozenset(range(1, 37))
BLACKS: Final = NUMBERS - REDS


class InvalidBet(ValueError):
    """A bet that is not on the layout, not on this wheel, or has a bad stake."""


def _wheel_order(text: str) -> tuple[Pocket, ...]:
    return tuple(p if p == DOUBLE_ZERO else int(p) for p in text.split())


# Physical order of the pockets round each wheel (for a future animated wheel).
WHEEL_ORDER: Final[dict[str, tuple[Pocket, ...]]] = {
    AMERICAN: _wheel_order(
        "0 28 9 26 30 11 7 20 32 17 5 22 34 15 3 24 36 13 1 "
        "00 27 10 25 29 12 8 19 31 18 6 21 33 16 4 23 35 14 2"
    ),
    EUROPEAN: _wheel_order(
        "0 32 15 19 4 21 2 25 17 34 6 27 13 36 11 30 8 23 10 "
        "5 24 16 33 1 20 14 31 9 22 18 29 7 28 12 35 3 26"
    ),
}


def check_wheel(wheel: str) -> str:
    """Return the canonical wheel name or raise InvalidBet."""
    if not isinstance(wheel, str) or wheel.lower() not in WHEELS:
        raise InvalidBet(f"unknown wheel {wheel!r}: expected 'american' or 'european'")
    return wheel.lower()


_POCKETS: Final[dict[str, tuple[Pocket, ...]]] = {
    AMERICAN: (0, DOUBLE_ZERO, *range(1, 37)),
    EUROPEAN: (0, *range(1, 37)),
}


def pockets(wheel: str = AMERICAN) -> tuple[Pocket, ...]:
    """Every pocket of the wheel, zeros first then 1..36."""
    return _POCKETS[check_wheel(wheel)]


def parse_pocket(value: object) -> Pocket:
    """Turn ``17``, ``"17"``, ``0`` or ``"00"`` into a pocket; raise InvalidBet.

    Strings are accepted so that form fields and JSON can be passed straight in; only
    the canonical spelling is accepted (``"007"`` is refused): one pocket, one name.
    """
    if isinstance(value, bool):  # bool is an int subclass: True must not mean 1
        raise InvalidBet(f"{value!r} is not a pocket")
    if isinstance(value, int):
        if 0 <= value <= 36:
            return value
        raise InvalidBet(f"{value} is not a pocket: pockets are 0-36 and 00")
    if isinstance(value, str):
        text = value.strip()
        if text == DOUBLE_ZERO:
            return DOUBLE_ZERO
        if text.isdecimal() and text.isascii() and str(int(text)) == text:
            return parse_pocket(int(text))
        raise InvalidBet(f"{value!r} is not a pocket: pockets are 0-36 and 00")
    raise InvalidBet(f"{value!r} is not a pocket: pockets are 0-36 and 00")


def check_pocket(wheel: str, value: object) -> Pocket:
    """Parse a pocket and make sure it exists on this wheel."""
    pocket = parse_pocket(value)
    if pocket == DOUBLE_ZERO and check_wheel(wheel) == EUROPEAN:
        raise InvalidBet("00 is not a pocket on the European wheel")
    return pocket


def colour(pocket: Pocket) -> str:
    """``"red"``, ``"black"`` or ``"green"`` (the zeros)."""
    pocket = parse_pocket(pocket)
    if pocket == 0 or pocket == DOUBLE_ZERO:
        return "green"
    return "red" if pocket in REDS else "black"


def is_zero(pocket: Pocket) -> bool:
    """True for 0 and 00, which lose every outside bet."""
    return pocket == 0 or pocket == DOUBLE_ZERO


def pocket_sort_key(pocket: Pocket) -> tuple[int, int]:
    """Sort 0, 00, 1..36 in layout order."""
    if pocket == DOUBLE_ZERO:
        return (0, 1)
    assert isinstance(pocket, int)
    return (0, 0) if pocket == 0 else (1, pocket)


def spin(wheel: str = AMERICAN, rng: random.Random | None = None) -> Pocket:
    """Draw one pocket, uniformly; cryptographic randomness unless an RNG is given."""
    all_pockets = pockets(wheel)
    source = rng if rng is not None else secrets.SystemRandom()
    return all_pockets[source.randrange(len(all_pockets))]


# --- the layout's groups of numbers ---------------------------------------------


def column_numbers(column: int) -> frozenset[int]:
    """Column c (1..3) holds n with (n - 1) % 3 == c - 1."""
    if column not in (1, 2, 3):
        raise InvalidBet(f"there is no column {column}: columns are 1, 2 and 3")
    return frozenset(n for n in NUMBERS if (n - 1) % 3 == column - 1)


def dozen_numbers(dozen: int) -> frozenset[int]:
    """Dozen d (1..3) holds 12(d-1)+1 .. 12d."""
    if dozen not in (1, 2, 3):
        raise InvalidBet(f"there is no dozen {dozen}: dozens are 1, 2 and 3")
    return frozenset(range(12 * (dozen - 1) + 1, 12 * dozen + 1))


def row_numbers(row: int) -> tuple[int, int, int]:
    """Row r (0..11) of the layout holds 3r+1 .. 3r+3 (one street)."""
    return (3 * row + 1, 3 * row + 2, 3 * row + 3)


EVEN_MONEY_SETS: Final[dict[str, frozenset[int]]] = {
    "red": REDS,
    "black": BLACKS,
    "odd": frozenset(n for n in NUMBERS if n % 2 == 1),
    "even": frozenset(n for n in NUMBERS if n % 2 == 0),
    "low": frozenset(range(1, 19)),
    "high": frozenset(range(19, 37)),
}


def outside_numbers(kind: str, index: int | None = None) -> frozenset[int]:
    """The pockets an outside bet covers (``index`` picks the column or dozen)."""
    if kind in ("column", "dozen"):
        if index is None:
            raise InvalidBet(f"a {kind} bet needs to say which {kind} (1, 2 or 3)")
        return column_numbers(index) if kind == "column" else dozen_numbers(index)
    if kind in EVEN_MONEY_SETS:
        if index is not None:
            raise InvalidBet(f"a {kind} bet takes no column or dozen number")
        return EVEN_MONEY_SETS[kind]
    raise InvalidBet(f"{kind!r} is not an outside bet")


def outside_index(kind: str, numbers: frozenset[Pocket]) -> int:
    """Which column or dozen (1, 2 or 3) ``numbers`` is."""
    for index in (1, 2, 3):
        if numbers == outside_numbers(kind, index):
            return index
    raise InvalidBet(f"not a {kind}")
