"""Pure tests of roulette.rules.odds: house edge and the chi-square check."""

import random
from fractions import Fraction

import pytest

from roulette import rules
from roulette.rules import AMERICAN, EUROPEAN


def test_house_edge():
    assert rules.house_edge(AMERICAN) == Fraction(2, 38)
    assert rules.house_edge(AMERICAN, "straight") == Fraction(2, 38)
    assert rules.house_edge(AMERICAN, "top_line") == Fraction(3, 38)
    assert rules.house_edge(EUROPEAN, "dozen") == Fraction(1, 37)


# Critical values of chi-square at p = 0.001: df 37 -> 69.35, df 36 -> 67.99.
@pytest.mark.parametrize(
    ("wheel_name", "critical"), [(AMERICAN, 69.35), (EUROPEAN, 67.99)]
)
def test_seeded_spins_pass_a_chi_square_uniformity_check(wheel_name, critical):
    rng = random.Random(20261121)
    all_pockets = rules.pockets(wheel_name)
    counts = dict.fromkeys(all_pockets, 0)
    for _ in range(500 * len(all_pockets)):
        counts[rules.spin(wheel_name, rng)] += 1
    assert rules.chi_square(list(counts.values())) < critical


def test_chi_square_flags_a_biased_wheel():
    class Loaded(random.Random):
        def randrange(self, stop, *args, **kwargs):  # lands on 0 a third of the time
            return 0 if super().random() < 1 / 3 else super().randrange(stop)

    rng = Loaded(1)
    counts = dict.fromkeys(rules.pockets(), 0)
    for _ in range(38 * 500):
        counts[rules.spin(AMERICAN, rng)] += 1
    assert rules.chi_square(list(counts.values())) > 69.35
