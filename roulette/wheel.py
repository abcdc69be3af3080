"""Roulette rules in pure Python: wheels, pockets, bets, payouts, spins, strategies.

Only the standard library is imported here (an architecture test enforces it), so the
views, the JSON API, the management command and the tests all share one authority.
"""

from __future__ import annotations

import math
import random
import secrets
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
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


class InvalidBet(ValueError):
    """A bet that is not on the layout, not on this wheel, or has a bad stake."""


# --- pockets ------------------------------------------------------------------


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


# --- the layout ---------------------------------------------------------------


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


_EVEN_MONEY_SETS: Final[dict[str, frozenset[int]]] = {
    "red": REDS,
    "black": BLACKS,
    "odd": frozenset(n for n in NUMBERS if n % 2 == 1),
    "even": frozenset(n for n in NUMBERS if n % 2 == 0),
    "low": frozenset(range(1, 19)),
    "high": frozenset(range(19, 37)),
}


def outside_numbers(kind: str, index: int | None = None) -> frozenset[int]:
    """The pockets an outside bet covers (``index`` picks the column or dozen)."""
    if kind == "column":
        return column_numbers(_need_index(kind, index))
    if kind == "dozen":
        return dozen_numbers(_need_index(kind, index))
    if kind in _EVEN_MONEY_SETS:
        if index is not None:
            raise InvalidBet(f"a {kind} bet takes no column or dozen number")
        return _EVEN_MONEY_SETS[kind]
    raise InvalidBet(f"{kind!r} is not an outside bet")


def _need_index(kind: str, index: int | None) -> int:
    if index is None:
        raise InvalidBet(f"a {kind} bet needs to say which {kind} (1, 2 or 3)")
    return index


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
    for kind, numbers in _EVEN_MONEY_SETS.items():
        shapes[kind] = frozenset({numbers})
    if american:
        shapes["top_line"] = frozenset({frozenset({0, DOUBLE_ZERO, 1, 2, 3})})
    else:
        shapes["first_four"] = frozenset({frozenset({0, 1, 2, 3})})
    return shapes


_SHAPES: Final = {wheel: _shapes(wheel) for wheel in WHEELS}


def kinds(wheel: str = AMERICAN) -> tuple[str, ...]:
    """The bet kinds offered on this wheel, in payout order."""
    offered = _SHAPES[check_wheel(wheel)]
    return tuple(kind for kind in PAYOUTS if kind in offered)


def is_inside(kind: str) -> bool:
    """Inside bets cover at most six numbers and use the inside table limits."""
    if kind not in PAYOUTS:
        raise InvalidBet(f"unknown bet kind {kind!r}")
    return kind in INSIDE_KINDS


def shapes(wheel: str, kind: str) -> frozenset[frozenset[Pocket]]:
    """Every legal set of pockets for ``kind`` on ``wheel`` (empty when not offered)."""
    return _SHAPES[check_wheel(wheel)].get(kind, frozenset())


# --- bets ---------------------------------------------------------------------


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
    def sorted_numbers(self) -> list[Pocket]:
        return sorted(self.numbers, key=pocket_sort_key)

    @property
    def spot(self) -> str:
        """The layout spot this bet sits on, as understood by :func:`parse_spot`."""
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
        return f"Column {_index_of(numbers, column_numbers)}"
    if kind == "dozen":
        first = _index_of(numbers, dozen_numbers)
        return f"Dozen {first} ({12 * first - 11}-{12 * first})"
    if kind in _EVEN_MONEY_SETS:
        return KIND_LABELS[kind]
    listed = "/".join(str(p) for p in sorted(numbers, key=pocket_sort_key))
    return f"{KIND_LABELS.get(kind, kind)} {listed}"


def _index_of(numbers: frozenset[Pocket], of: Callable[[int], frozenset[int]]) -> int:
    for index in (1, 2, 3):
        if numbers == of(index):
            return index
    raise InvalidBet("not a column or dozen")


# --- layout spots (what a click means) ----------------------------------------


def spot_for(kind: str, numbers: Iterable[Pocket]) -> str:
    """Encode a spot: ``"straight:17"``, ``"split:0-00"``, ``"column:2"``, ``"red"``."""
    numbers = frozenset(numbers)
    if kind == "column":
        return f"column:{_index_of(numbers, column_numbers)}"
    if kind == "dozen":
        return f"dozen:{_index_of(numbers, dozen_numbers)}"
    if kind in _EVEN_MONEY_SETS:
        return kind
    return kind + ":" + "-".join(str(p) for p in sorted(numbers, key=pocket_sort_key))


def parse_spot(wheel: str, spot: str) -> tuple[str, frozenset[Pocket]]:
    """Decode a layout spot into ``(kind, numbers)``; raise InvalidBet when malformed.

    The shape itself is checked by :func:`make_bet`; this only reads the notation.
    """
    wheel = check_wheel(wheel)
    if not isinstance(spot, str) or not spot.strip() or len(spot) > 40:
        raise InvalidBet("choose a spot on the layout")
    kind, _, rest = spot.strip().partition(":")
    if kind in _EVEN_MONEY_SETS:
        if rest:
            raise InvalidBet(f"a {kind} bet takes no numbers")
        return kind, frozenset(_EVEN_MONEY_SETS[kind])
    if kind in ("column", "dozen"):
        if rest not in ("1", "2", "3"):
            raise InvalidBet(f"a {kind} bet needs to say which {kind} (1, 2 or 3)")
        return kind, frozenset(outside_numbers(kind, int(rest)))
    if kind not in PAYOUTS:
        raise InvalidBet(f"unknown bet kind {kind!r}")
    if not rest:
        raise InvalidBet(f"a {KIND_LABELS[kind].lower()} bet needs its numbers")
    parts = rest.split("-")
    numbers = [check_pocket(wheel, part) for part in parts]
    if len(set(numbers)) != len(numbers):
        raise InvalidBet("a pocket is listed more than once")
    return kind, frozenset(numbers)


def bet_for_spot(wheel: str, spot: str, amount: int) -> Bet:
    """The bet that a click on ``spot`` with a chip of ``amount`` means."""
    kind, numbers = parse_spot(wheel, spot)
    return make_bet(wheel, kind, numbers, amount)


@dataclass(frozen=True)
class Spot:
    """One clickable place on the layout, for templates."""

    spot: str
    kind: str
    numbers: tuple[Pocket, ...]
    label: str

    @property
    def aria_label(self) -> str:
        return f"{self.label}, pays {PAYOUTS[self.kind]} to 1"

    @property
    def short(self) -> str:
        """The text printed on the layout for this spot."""
        if self.kind == "straight":
            return str(self.numbers[0])
        if self.kind == "column":
            return "2 to 1"
        if self.kind == "dozen":
            index = _index_of(frozenset(self.numbers), dozen_numbers)
            return ("1st", "2nd", "3rd")[index - 1] + " 12"
        if self.kind in ("low", "high"):
            return "1-18" if self.kind == "low" else "19-36"
        if self.kind in _EVEN_MONEY_SETS:
            return KIND_LABELS[self.kind]
        return "/".join(str(p) for p in self.numbers)


def _spot(kind: str, numbers: Iterable[Pocket]) -> Spot:
    numbers = tuple(sorted(numbers, key=pocket_sort_key))
    return Spot(spot_for(kind, numbers), kind, numbers, describe(kind, numbers))


@dataclass(frozen=True)
class LayoutCell:
    """A number on the layout with the edge spots anchored to it.

    ``right`` is the split with the next number in its row, ``below`` the split with
    the number in the next row, ``corner`` the corner below-right, ``street`` and
    ``six_line`` sit on the outer edge of the first number of a row.
    """

    number: int
    colour: str
    straight: Spot
    right: Spot | None
    below: Spot | None
    corner: Spot | None
    street: Spot | None
    six_line: Spot | None


@dataclass(frozen=True)
class Layout:
    """Everything a template needs to draw the table for one wheel."""

    wheel: str
    zeros: tuple[Spot, ...]
    zero_edges: tuple[Spot, ...]  # splits, trios, first four / top line
    rows: tuple[tuple[LayoutCell, ...], ...]
    columns: tuple[Spot, ...]
    dozens: tuple[Spot, ...]
    even_money: tuple[Spot, ...]


def layout(wheel: str = AMERICAN) -> Layout:
    """The betting layout of ``wheel``: 12 rows of 3 numbers, zeros on top."""
    return _LAYOUTS[check_wheel(wheel)]


def _layout(wheel: str) -> Layout:
    rows = []
    for r in range(12):
        cells = []
        for c, n in enumerate(row_numbers(r), start=1):
            cells.append(
                LayoutCell(
                    number=n,
                    colour=colour(n),
                    straight=_spot("straight", [n]),
                    right=_spot("split", [n, n + 1]) if c < 3 else None,
                    below=_spot("split", [n, n + 3]) if r < 11 else None,
                    corner=_spot("corner", [n, n + 1, n + 3, n + 4])
                    if c < 3 and r < 11
                    else None,
                    street=_spot("street", row_numbers(r)) if c == 1 else None,
                    six_line=_spot("six_line", row_numbers(r) + row_numbers(r + 1))
                    if c == 1 and r < 11
                    else None,
                )
            )
        rows.append(tuple(cells))
    shapes_here = _SHAPES[wheel]
    zero_edges = [
        _spot("split", s)
        for s in sorted(shapes_here["split"], key=_zero_first)
        if any(is_zero(p) for p in s)
    ]
    zero_edges += [
        _spot("trio", t) for t in sorted(shapes_here["trio"], key=_zero_first)
    ]
    for kind in ("first_four", "top_line"):
        zero_edges += [_spot(kind, s) for s in shapes_here.get(kind, ())]
    return Layout(
        wheel=wheel,
        zeros=tuple(_spot("straight", [z]) for z in pockets(wheel) if is_zero(z)),
        zero_edges=tuple(zero_edges),
        rows=tuple(rows),
        columns=tuple(_spot("column", column_numbers(c)) for c in (1, 2, 3)),
        dozens=tuple(_spot("dozen", dozen_numbers(d)) for d in (1, 2, 3)),
        # The order printed down the side of a vertical layout.
        even_money=tuple(
            _spot(k, _EVEN_MONEY_SETS[k])
            for k in ("low", "even", "red", "black", "odd", "high")
        ),
    )


def _zero_first(numbers: frozenset[Pocket]) -> list[tuple[int, int]]:
    return sorted(pocket_sort_key(p) for p in numbers)


# Layouts are immutable, so each is built once.
_LAYOUTS: Final = {name: _layout(name) for name in WHEELS}


# --- spins and odds -----------------------------------------------------------


def spin(wheel: str = AMERICAN, rng: random.Random | None = None) -> Pocket:
    """Draw one pocket, uniformly; cryptographic randomness unless an RNG is given."""
    all_pockets = pockets(wheel)
    source = rng if rng is not None else secrets.SystemRandom()
    return all_pockets[source.randrange(len(all_pockets))]


def win_probability(bet: Bet) -> Fraction:
    return Fraction(len(bet.numbers), len(pockets(bet.wheel)))


def expected_net(bet: Bet) -> Fraction:
    """Expected result of one spin in chips (negative: the house edge)."""
    p = win_probability(bet)
    return p * bet.amount * bet.odds - (1 - p) * bet.amount


def house_edge(wheel: str, kind: str = "red") -> Fraction:
    """Fraction of each chip staked that the house keeps on average.

    2/38 for every American bet except the top line (3/38), 1/37 on the European wheel.
    """
    wheel = check_wheel(wheel)
    if kind not in _SHAPES[wheel]:
        raise InvalidBet(f"{kind!r} is not offered on the {wheel} wheel")
    some_shape = next(iter(_SHAPES[wheel][kind]))
    return -expected_net(make_bet(wheel, kind, some_shape, 1))


# --- strategies ---------------------------------------------------------------

STRATEGIES: Final = ("martingale", "fibonacci", "dalembert", "flat")
STRATEGY_LABELS: Final = {
    "martingale": "Martingale (double after a loss)",
    "fibonacci": "Fibonacci (one step up after a loss, two back after a win)",
    "dalembert": "D'Alembert (one unit up after a loss, one down after a win)",
    "flat": "Flat (always the base stake)",
}


@dataclass
class Progression:
    """Stake sizing for one run: ``stake()`` is the next wish, ``settle()`` learns."""

    strategy: str
    base: int
    # Martingale: doublings so far; Fibonacci: index; D'Alembert: units above base.
    step: int = 0
    _fib: list[int] = field(default_factory=lambda: [1, 1])

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"unknown strategy {self.strategy!r}: expected one of "
                + ", ".join(STRATEGIES)
            )
        check_amount(self.base)

    def stake(self) -> int:
        if self.strategy == "martingale":
            return self.base * (1 << self.step)  # 2**step, typed as int
        if self.strategy == "fibonacci":
            while len(self._fib) <= self.step:
                self._fib.append(self._fib[-1] + self._fib[-2])
            return self.base * self._fib[self.step]
        if self.strategy == "dalembert":
            return self.base * (1 + self.step)
        return self.base

    def settle(self, won: bool) -> None:
        if self.strategy == "martingale":
            self.step = 0 if won else self.step + 1
        elif self.strategy == "fibonacci":
            self.step = max(0, self.step - 2) if won else self.step + 1
        elif self.strategy == "dalembert":
            self.step = max(0, self.step - 1) if won else self.step + 1


def next_stake(wish: int, *, bankroll: int, table_min: int, table_max: int) -> int:
    """The stake actually placed: capped by the table maximum and what is left.

    Returns 0 when the bankroll is below the table minimum (the player is ruined).
    """
    if bankroll < table_min:
        return 0
    return max(table_min, min(wish, table_max, bankroll))


@dataclass(frozen=True)
class RunResult:
    """One simulated session."""

    curve: tuple[int, ...]  # bankroll before the first spin and after each spin
    wagered: int
    ruined: bool

    @property
    def final(self) -> int:
        return self.curve[-1]

    @property
    def spins(self) -> int:
        return len(self.curve) - 1


def simulate_run(
    *,
    strategy: str,
    rng: random.Random,
    wheel: str = AMERICAN,
    proposition: str = "red",
    base: int = 10,
    table_min: int | None = None,
    table_max: int = 500,
    budget: int = 1000,
    spins: int = 100,
) -> RunResult:
    """Play up to ``spins`` spins of one strategy; deterministic for a seeded rng."""
    kind, numbers = parse_spot(wheel, proposition)
    odds = make_bet(wheel, kind, numbers, 1).odds  # validates the proposition
    all_pockets = pockets(wheel)
    table_min = base if table_min is None else table_min
    progression = Progression(strategy, base)
    bankroll = budget
    curve = [bankroll]
    wagered = 0
    ruined = False
    for _ in range(spins):
        amount = next_stake(
            progression.stake(),
            bankroll=bankroll,
            table_min=table_min,
            table_max=table_max,
        )
        if amount == 0:
            ruined = True
            break
        # The shape was validated above; testing membership directly keeps a
        # 200-run x 1000-spin simulation well under a second.
        won = all_pockets[rng.randrange(len(all_pockets))] in numbers
        bankroll += amount * odds if won else -amount
        wagered += amount
        progression.settle(won)
        curve.append(bankroll)
    else:
        ruined = bankroll < table_min
    return RunResult(curve=tuple(curve), wagered=wagered, ruined=ruined)


@dataclass(frozen=True)
class SimulationSummary:
    """Many runs of one strategy and their statistics."""

    runs: tuple[RunResult, ...]
    budget: int
    edge: Fraction

    @property
    def ruin_rate(self) -> float:
        return sum(r.ruined for r in self.runs) / len(self.runs)

    @property
    def mean_final(self) -> float:
        return statistics.fmean(r.final for r in self.runs)

    @property
    def median_final(self) -> float:
        return float(statistics.median(r.final for r in self.runs))

    @property
    def mean_wagered(self) -> float:
        return statistics.fmean(r.wagered for r in self.runs)

    @property
    def expected_loss(self) -> float:
        """House edge times the mean amount staked: what the edge takes on average."""
        return float(self.edge) * self.mean_wagered

    @property
    def mean_result(self) -> float:
        return self.mean_final - self.budget


def simulate(
    *,
    strategy: str,
    runs: int,
    rng: random.Random,
    wheel: str = AMERICAN,
    proposition: str = "red",
    base: int = 10,
    table_min: int | None = None,
    table_max: int = 500,
    budget: int = 1000,
    spins: int = 100,
) -> SimulationSummary:
    """Run one strategy ``runs`` times from the same rng stream."""
    if runs < 1:
        raise ValueError("at least one run is needed")
    kind, _ = parse_spot(wheel, proposition)
    results = tuple(
        simulate_run(
            strategy=strategy,
            rng=rng,
            wheel=wheel,
            proposition=proposition,
            base=base,
            table_min=table_min,
            table_max=table_max,
            budget=budget,
            spins=spins,
        )
        for _ in range(runs)
    )
    return SimulationSummary(runs=results, budget=budget, edge=house_edge(wheel, kind))


def chi_square(counts: Sequence[int]) -> float:
    """Pearson's chi-square statistic of ``counts`` against a uniform distribution."""
    total = sum(counts)
    if not counts or total == 0:
        return 0.0
    expected = total / len(counts)
    return math.fsum((c - expected) ** 2 / expected for c in counts)
