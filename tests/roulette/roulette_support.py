"""Helpers for the roulette tests (imported by the conftest and the test modules)."""

from __future__ import annotations

import random

from roulette import wheel


class FixedRandom(random.Random):
    """An RNG whose spins land on the given pockets in order (then repeat the last)."""

    def __init__(self, wheel_name: str, *outcomes: wheel.Pocket) -> None:
        super().__init__(0)
        self.indexes = [wheel.pockets(wheel_name).index(p) for p in outcomes]

    def randrange(self, stop, *args, **kwargs):
        return self.indexes.pop(0) if len(self.indexes) > 1 else self.indexes[0]
