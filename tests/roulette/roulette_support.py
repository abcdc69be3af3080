"""Helpers for the roulette tests (imported by the conftest and the test modules)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from roulette import rules


class FixedRandom(random.Random):
    """An RNG whose spins land on the given pockets in order (then repeat the last)."""

    def __init__(self, wheel_name: str, *outcomes: rules.Pocket) -> None:
        super().__init__(0)
        self.indexes = [rules.pockets(wheel_name).index(p) for p in outcomes]

    def randrange(self, stop, *args, **kwargs):
        return self.indexes.pop(0) if len(self.indexes) > 1 else self.indexes[0]


def all_bets(wheel_name: str, amount: int = 10) -> Iterator[rules.Bet]:
    """Every legal bet on ``wheel_name``: each shape of each kind offered there."""
    for kind in rules.PAYOUTS:
        for shape in rules.shapes(wheel_name, kind):
            yield rules.make_bet(wheel_name, kind, shape, amount)
