"""The betting layout as the table template draws it: every clickable spot of one
wheel, with its notation, wording and position."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from roulette import rules
from roulette.rules import Pocket


@dataclass(frozen=True)
class Spot:
    """One clickable place on the layout."""

    spot: str
    kind: str
    numbers: tuple[Pocket, ...]
    label: str

    @property
    def aria_label(self) -> str:
        return f"{self.label}, pays {rules.PAYOUTS[self.kind]} to 1"

    @property
    def short(self) -> str:
        """The text printed on the layout for this spot."""
        if self.kind == "straight":
            return str(self.numbers[0])
        if self.kind == "column":
            return "2 to 1"
        if self.kind == "dozen":
            index = rules.outside_index(self.kind, frozenset(self.numbers))
            return ("1st", "2nd", "3rd")[index - 1] + " 12"
        if self.kind in ("low", "high"):
            return "1-18" if self.kind == "low" else "19-36"
        if self.kind in rules.EVEN_MONEY_SETS:
            return rules.KIND_LABELS[self.kind]
        return "/".join(str(p) for p in self.numbers)


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
    """Everything the template needs to draw the table for one wheel."""

    wheel: str
    zeros: tuple[Spot, ...]
    zero_edges: tuple[Spot, ...]  # splits, trios, first four / top line
    rows: tuple[tuple[LayoutCell, ...], ...]
    columns: tuple[Spot, ...]
    dozens: tuple[Spot, ...]
    even_money: tuple[Spot, ...]


def layout(wheel: str = rules.AMERICAN) -> Layout:
    """The betting layout of ``wheel``: 12 rows of 3 numbers, zeros on top."""
    return _layout(rules.check_wheel(wheel))


def _spot(kind: str, numbers: Iterable[Pocket]) -> Spot:
    numbers = tuple(sorted(numbers, key=rules.pocket_sort_key))
    return Spot(
        rules.spot_for(kind, numbers), kind, numbers, rules.describe(kind, numbers)
    )


def _cell(r: int, c: int, n: int) -> LayoutCell:
    """Number ``n`` in row ``r`` (0..11), column ``c`` (1..3)."""
    row = rules.row_numbers(r)
    last_row = r == 11
    return LayoutCell(
        number=n,
        colour=rules.colour(n),
        straight=_spot("straight", [n]),
        right=_spot("split", [n, n + 1]) if c < 3 else None,
        below=None if last_row else _spot("split", [n, n + 3]),
        corner=_spot("corner", [n, n + 1, n + 3, n + 4])
        if c < 3 and not last_row
        else None,
        street=_spot("street", row) if c == 1 else None,
        six_line=_spot("six_line", row + rules.row_numbers(r + 1))
        if c == 1 and not last_row
        else None,
    )


def _zero_first(numbers: frozenset[Pocket]) -> list[tuple[int, int]]:
    return sorted(rules.pocket_sort_key(p) for p in numbers)


# A layout is immutable and depends on the wheel only, so each is built once.
@cache
def _layout(wheel: str) -> Layout:
    rows = tuple(
        tuple(_cell(r, c, n) for c, n in enumerate(rules.row_numbers(r), start=1))
        for r in range(12)
    )
    zero_edges = [
        _spot("split", s)
        for s in sorted(rules.shapes(wheel, "split"), key=_zero_first)
        if any(rules.is_zero(p) for p in s)
    ]
    zero_edges += [
        _spot("trio", t) for t in sorted(rules.shapes(wheel, "trio"), key=_zero_first)
    ]
    for kind in ("first_four", "top_line"):
        zero_edges += [_spot(kind, s) for s in rules.shapes(wheel, kind)]
    return Layout(
        wheel=wheel,
        zeros=tuple(
            _spot("straight", [z]) for z in rules.pockets(wheel) if rules.is_zero(z)
        ),
        zero_edges=tuple(zero_edges),
        rows=rows,
        columns=tuple(_spot("column", rules.column_numbers(c)) for c in (1, 2, 3)),
        dozens=tuple(_spot("dozen", rules.dozen_numbers(d)) for d in (1, 2, 3)),
        # The order printed down the side of a vertical layout.
        even_money=tuple(
            _spot(k, rules.EVEN_MONEY_SETS[k])
            for k in ("low", "even", "red", "black", "odd", "high")
        ),
    )
