"""The arithmetic of the house: win probability, expected result, house edge, and a
chi-square check that a wheel's spins look uniform."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from roulette.rules.bets import Bet, make_bet, shapes
from roulette.rules.pockets import InvalidBet, check_wheel, pockets


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
    offered = shapes(wheel, kind)
    if not offered:
        raise InvalidBet(f"{kind!r} is not offered on the {wheel} wheel")
    return -expected_net(make_bet(wheel, kind, next(iter(offered)), 1))


def chi_square(counts: Sequence[int]) -> float:
    """Pearson's chi-square statistic of ``counts`` against a uniform distribution."""
    total = sum(counts)
    if not counts or total == 0:
        return 0.0
    expected = total / len(counts)
    return math.fsum((c - expected) ** 2 / expected for c in counts)
