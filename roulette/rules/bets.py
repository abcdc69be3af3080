"""Bet kinds, their payouts and legal shapes, and the validated :class:`Bet`.

``spot_for`` names a bet's spot in the layout notation that ``spots.parse_spot`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from roulette.rules.pockets import (
    AMERICAN,
    DOUBLE_ZERO,
    EUROPEAN,
    EVEN_MONEY_SETS,
    WHEELS,
    InvalidBet,
    Pocket,
    check_pocket,
    check_wheel,
    column_numbers,
    dozen_numbers,
    outside_index,
    pocket_sort_key,
    pockets,
    row_numbers,
)

# Payouts, "x to 1".
PAYOUTS: Final[dict[str, int]] = {
    "straight": 35,
    "split": 17,
    "street": 11,
    "trio": 11,
    "corner": 8,
    "first_four": 8,
    "top_line": 6,
    "six_line": 5,
    "column": 2,
    "dozen": 2,
    "red": 1,
    "black": 1,
    "odd": 1,
    "even": 1,
    "low": 1,
    "high": 1,
}
INSIDE_KINDS: Final = frozenset(
    {
        "straight",
        "split",
        "street",
        "trio",
        "corner",
        "first_four",
        "top_line",
        "six_line",
    }
)
OUTSIDE_KINDS: Final = frozenset(PAYOUTS) - INSIDE_KINDS
EVEN_MONEY_KINDS: Final = ("red", "black", "odd", "even", "low", "high")
KIND_LABELS: Final[dict[str, str]] = {
    "straight": "Straight",
    "split": "Split",
    "street": "Street",
    "trio": "Trio",
    "corner": "Corner",
    "first_four": "First four",
    "top_line": "Top line",
    "six_line": "Six line",
    "column": "Column",
    "dozen": "Dozen",
    "red": "Red",
    "black": "Black",
    "odd": "Odd",
    "even": "Even",
    "low": "Low (1-18)",
    "high": "High (19-36)",
}
# How many pockets each kind covers; used to give a precise reason for a bad shape.
_SIZES: Final[dict[str, int]] = {
    "straight": 1,
    "split": 2,
    "street": 3,
    "trio": 3,
    "corner": 4,
    "first_four": 4,
    "top_line": 5,
    "six_line": 6,
    "column": 12,
    "dozen": 12,
    "red": 18,
    "black": 18,
    "odd": 18,
    "even": 18,
    "low": 18,
    "high": 18,
}


def _shapes(wheel: str) -> dict[str, frozenset[frozenset[Pocket]]]:
    """Every legal set of pockets per bet kind on one wheel."""
    american = wheel == AMERICAN
    rows = range(12)
    straight = {frozenset({p}) for p in pockets(wheel)}
    split: set[frozenset[Pocket]] = set()
    for n in range(1, 37):
        if n % 3 != 0:  # the next number in the same row
            split.add(frozenset({n, n + 1}))
        if n <= 33:  # the number in the next row, same column
            split.add(frozenset({n, n + 3}))
    # The zeros sit above the first row. On the American layout 0 touches 1 and 2 and
    # 00 touches 2 and 3; on the European layout the single 0 touches 1, 2 and 3.
    zero_splits: list[tuple[Pocket, ...]]
    trios: list[tuple[Pocket, ...]]
    if american:
        zero_splits = [
            (0, DOUBLE_ZERO),
            (0, 1),
            (0, 2),
            (DOUBLE_ZERO, 2),
            (DOUBLE_ZERO, 3),
        ]
        trios = [(0, 1, 2), (0, DOUBLE_ZERO, 2), (DOUBLE_ZERO, 2, 3)]
    else:
        zero_splits = [(0, 1), (0, 2), (0, 3)]
        trios = [(0, 1, 2), (0, 2, 3)]
    split.update(frozenset(s) for s in zero_splits)
    street = {frozenset(row_numbers(r)) for r in rows}
    corner = {frozenset({n, n + 1, n + 3, n + 4}) for n in range(1, 33) if n % 3 != 0}
    six_line = {frozenset(row_numbers(r) + row_numbers(r + 1)) for r in range(11)}
    shapes: dict[str, frozenset[frozenset[Pocket]]] = {
        "straight": frozenset(straight),
        "split": frozenset(split),
        "street": frozenset(street),
        "trio": frozenset(frozenset(t) for t in trios),
        "corner": frozenset(corner),
        "six_line": frozenset(six_line),
        "column": frozenset(column_numbers(c) for c in (1, 2, 3)),
        "dozen": frozenset(dozen_numbers(d) for d in (1, 2, 3)),
    }
    for kind, numbers in EVEN_MONEY_SETS.items():
        shapes[kind] = frozenset({numbers})
    if american:
        shapes["top_line"] = frozenset({frozenset({0, DOUBLE_ZERO, 1, 2, 3})})
    else:
        shapes["first_four"] = frozenset({frozenset({0, 1, 2, 3})})
    return shapes


_SHAPES: Final = {wheel: _shapes(wheel) for wheel in WHEELS}


def is_inside(kind: str) -> bool:
    """Inside bets cover at most six numbers and use the inside table limits."""
    if kind not in PAYOUTS:
        raise InvalidBet(f"unknown bet kind {kind!r}")
    return kind in INSIDE_KINDS


def shapes(wheel: str, kind: str) -> frozenset[frozenset[Pocket]]:
    """Every legal set of pockets for ``kind`` on ``wheel`` (empty when not offered)."""
    return _SHAPES[check_wheel(wheel)].get(kind, frozenset())


@dataclass(frozen=True)
class Bet:
    """A validated bet. Build it with :func:`make_bet`, never directly."""

    wheel: str
    kind: str
    numbers: frozenset[Pocket]
    amount: int

    @property
    def odds(self) -> int:
        return PAYOUTS[self.kind]

    @property
    def inside(self) -> bool:
        return self.kind in INSIDE_KINDS

    def wins(self, outcome: Pocket) -> bool:
        """Whether the bet wins when the ball lands in ``outcome``."""
        return check_pocket(self.wheel, outcome) in self.numbers

    def net(self, outcome: Pocket) -> int:
        """``amount * odds`` on a win, ``-amount`` on a loss."""
        return self.amount * self.odds if self.wins(outcome) else -self.amount

    def returned(self, outcome: Pocket) -> int:
        """Chips handed back after the spin: stake plus winnings, or nothing."""
        return self.amount * (self.odds + 1) if self.wins(outcome) else 0

    @property
    def spot(self) -> str:
        """The layout spot this bet sits on, as read by ``parse_spot``."""
        return spot_for(self.kind, self.numbers)

    @property
    def label(self) -> str:
        """Human wording, e.g. ``"Split 17/20"``, ``"Column 2"``, ``"Red"``."""
        return describe(self.kind, self.numbers)

    def with_amount(self, amount: int) -> Bet:
        """The same spot with another stake (validated)."""
        return make_bet(self.wheel, self.kind, self.numbers, amount)


def check_amount(amount: object) -> int:
    """A stake is a positive whole number of chips."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidBet(f"the stake must be a whole number of chips, not {amount!r}")
    if amount <= 0:
        raise InvalidBet("the stake must be at least 1 chip")
    return amount


def make_bet(wheel: str, kind: str, numbers: Iterable[int | str], amount: int) -> Bet:
    """Validate a bet and return it; raise :class:`InvalidBet` with a reason otherwise.

    ``numbers`` is the full set of pockets the bet covers (all 18 reds for ``red``).
    """
    wheel = check_wheel(wheel)
    if not isinstance(kind, str) or kind not in PAYOUTS:
        known = ", ".join(PAYOUTS)
        raise InvalidBet(f"unknown bet kind {kind!r}: expected one of {known}")
    if kind not in _SHAPES[wheel]:
        other = "American" if wheel == EUROPEAN else "European"
        raise InvalidBet(
            f"{KIND_LABELS[kind].lower()} is only offered on the {other} wheel"
        )
    if isinstance(numbers, str | bytes) or not isinstance(numbers, Iterable):
        raise InvalidBet("numbers must be a list of pockets, e.g. [17] or [0, '00']")
    covered: list[Pocket] = [check_pocket(wheel, n) for n in numbers]
    unique = frozenset(covered)
    if len(unique) != len(covered):
        twice = sorted(
            {p for p in covered if covered.count(p) > 1}, key=pocket_sort_key
        )
        raise InvalidBet(f"pocket {twice[0]} is listed more than once")
    size = _SIZES[kind]
    label = KIND_LABELS[kind].lower()
    if len(unique) != size:
        raise InvalidBet(
            f"a {label} bet covers {size} pocket{'s' if size > 1 else ''}, "
            f"not {len(unique)}"
        )
    if unique not in _SHAPES[wheel][kind]:
        listed = ", ".join(str(p) for p in sorted(unique, key=pocket_sort_key))
        raise InvalidBet(
            f"pockets {listed} do not form a {label} on the {wheel.title()} layout"
        )
    return Bet(wheel=wheel, kind=kind, numbers=unique, amount=check_amount(amount))


def describe(kind: str, numbers: Iterable[Pocket]) -> str:
    """Human wording of a bet's spot."""
    numbers = frozenset(numbers)
    if kind == "column":
        return f"Column {outside_index(kind, numbers)}"
    if kind == "dozen":
        first = outside_index(kind, numbers)
        return f"Dozen {first} ({12 * first - 11}-{12 * first})"
    if kind in EVEN_MONEY_SETS:
        return KIND_LABELS[kind]
    listed = "/".join(str(p) for p in sorted(numbers, key=pocket_sort_key))
    return f"{KIND_LABELS.get(kind, kind)} {listed}"


def spot_for(kind: str, numbers: Iterable[Pocket]) -> str:
    """Encode a spot: ``"straight:17"``, ``"split:0-00"``, ``"column:2"``, ``"red"``."""
    numbers = frozenset(numbers)
    if kind in ("column", "dozen"):
        return f"{kind}:{outside_index(kind, numbers)}"
    if kind in EVEN_MONEY_SETS:
        return kind
    return kind + ":" + "-".join(str(p) for p in sorted(numbers, key=pocket_sort_key))
