"""Pure tests of roulette.rules.pockets: pockets, colours, layout groups, spins."""

import random

import pytest

from roulette import rules
from roulette.rules import AMERICAN, EUROPEAN, WHEELS, InvalidBet


def test_american_wheel_has_38_pockets_with_double_zero():
    assert len(rules.pockets()) == 38
    assert rules.pockets()[:2] == (0, "00")
    assert rules.pockets(EUROPEAN)[0] == 0 and len(rules.pockets(EUROPEAN)) == 37


def test_wheel_order_holds_every_pocket_once():
    for name in WHEELS:
        assert sorted(rules.WHEEL_ORDER[name], key=rules.pocket_sort_key) == list(
            rules.pockets(name)
        )


def test_colours_follow_the_red_list():
    assert rules.colour(1) == "red" and rules.colour(2) == "black"
    assert rules.colour(0) == "green" and rules.colour("00") == "green"
    assert sum(rules.colour(n) == "red" for n in range(1, 37)) == 18
    assert rules.colour(10) == "black" and rules.colour(19) == "red"


@pytest.mark.parametrize(
    ("value", "pocket"), [(17, 17), ("17", 17), ("0", 0), ("00", "00"), (" 5 ", 5)]
)
def test_pockets_parse_from_ints_and_strings(value, pocket):
    assert rules.parse_pocket(value) == pocket


@pytest.mark.parametrize("value", [37, -1, "007", "000", "x", "", True, 1.0, None])
def test_non_pockets_are_refused(value):
    with pytest.raises(InvalidBet, match="pocket"):
        rules.parse_pocket(value)


def test_columns_dozens_and_halves_avoid_classic_mistakes():
    assert rules.column_numbers(1) == frozenset(range(1, 35, 3))
    assert 34 in rules.column_numbers(1) and 36 in rules.column_numbers(3)
    assert rules.dozen_numbers(1) == frozenset(range(1, 13))
    assert 12 in rules.dozen_numbers(1) and 13 in rules.dozen_numbers(2)
    assert 36 in rules.dozen_numbers(3)
    assert rules.outside_numbers("high") == frozenset(range(19, 37))
    assert rules.outside_numbers("low") == frozenset(range(1, 19))


def test_default_spin_uses_system_randomness_and_lands_on_the_wheel():
    seen = {rules.spin() for _ in range(400)}
    assert seen <= set(rules.pockets(AMERICAN))
    assert len(seen) > 20
    assert {rules.spin(EUROPEAN) for _ in range(200)} <= set(rules.pockets(EUROPEAN))


def test_seeded_spins_are_reproducible():
    first = [rules.spin(AMERICAN, random.Random(42)) for _ in range(5)]
    again = [rules.spin(AMERICAN, random.Random(42)) for _ in range(5)]
    assert first == again
