"""Pure tests of roulette.rules.bets: shapes, payouts, zero cases, invalid bets."""

import pytest

from roulette import rules
from roulette.rules import AMERICAN, EUROPEAN, WHEELS, InvalidBet, make_bet
from tests.roulette.roulette_support import all_bets

OUTSIDE = ["column", "dozen", "red", "black", "odd", "even", "low", "high"]


def test_shape_counts_match_the_layout():
    assert len(rules.shapes(AMERICAN, "straight")) == 38
    assert len(rules.shapes(EUROPEAN, "straight")) == 37
    # 24 side-by-side + 33 one-above-the-other, plus the zero splits.
    assert len(rules.shapes(AMERICAN, "split")) == 57 + 5
    assert len(rules.shapes(EUROPEAN, "split")) == 57 + 3
    for name in WHEELS:
        assert len(rules.shapes(name, "street")) == 12
        assert len(rules.shapes(name, "corner")) == 22
        assert len(rules.shapes(name, "six_line")) == 11
        assert len(rules.shapes(name, "column")) == 3
        assert len(rules.shapes(name, "dozen")) == 3
    assert len(rules.shapes(AMERICAN, "trio")) == 3
    assert len(rules.shapes(EUROPEAN, "trio")) == 2
    assert rules.shapes(AMERICAN, "first_four") == frozenset()
    assert rules.shapes(EUROPEAN, "top_line") == frozenset()


def test_inside_and_outside_kinds():
    assert all(
        rules.is_inside(k) for k in ["straight", "split", "top_line", "six_line"]
    )
    assert not any(rules.is_inside(k) for k in OUTSIDE)
    with pytest.raises(InvalidBet):
        rules.is_inside("nope")


@pytest.mark.parametrize("wheel_name", WHEELS)
def test_every_bet_pays_its_odds_on_a_win_and_loses_its_stake_otherwise(wheel_name):
    for bet in all_bets(wheel_name, amount=7):
        for pocket in rules.pockets(wheel_name):
            if pocket in bet.numbers:
                assert bet.net(pocket) == 7 * rules.PAYOUTS[bet.kind], (bet, pocket)
                assert bet.returned(pocket) == 7 * (rules.PAYOUTS[bet.kind] + 1)
            else:
                assert bet.net(pocket) == -7, (bet, pocket)
                assert bet.returned(pocket) == 0


@pytest.mark.parametrize(
    ("kind", "numbers", "odds"),
    [
        ("straight", [17], 35),
        ("split", [17, 20], 17),
        ("street", [13, 14, 15], 11),
        ("corner", [17, 18, 20, 21], 8),
        ("six_line", [31, 32, 33, 34, 35, 36], 5),
        ("column", sorted(rules.column_numbers(2)), 2),
        ("dozen", sorted(rules.dozen_numbers(3)), 2),
    ],
)
@pytest.mark.parametrize("wheel_name", WHEELS)
def test_payout_table(wheel_name, kind, numbers, odds):
    bet = make_bet(wheel_name, kind, numbers, 10)
    assert bet.odds == odds
    assert bet.net(numbers[0]) == 10 * odds
    assert bet.net(0) == -10


@pytest.mark.parametrize("kind", ["red", "black", "odd", "even", "low", "high"])
@pytest.mark.parametrize("wheel_name", WHEELS)
def test_even_money_bets_pay_one_to_one(wheel_name, kind):
    numbers = rules.outside_numbers(kind)
    bet = make_bet(wheel_name, kind, numbers, 25)
    assert bet.odds == 1
    assert all(bet.net(n) == 25 for n in numbers)
    assert all(bet.net(n) == -25 for n in rules.NUMBERS - numbers)


@pytest.mark.parametrize(
    ("wheel_name", "zero"), [(AMERICAN, 0), (AMERICAN, "00"), (EUROPEAN, 0)]
)
@pytest.mark.parametrize(
    ("kind", "index"),
    [("column", 1), ("column", 2), ("column", 3), ("dozen", 1), ("dozen", 2)]
    + [("dozen", 3), ("red", None), ("black", None), ("odd", None)]
    + [("even", None), ("low", None), ("high", None)],
)
def test_zeros_lose_every_outside_bet(wheel_name, zero, kind, index):
    bet = make_bet(wheel_name, kind, rules.outside_numbers(kind, index), 10)
    assert bet.net(zero) == -10
    assert not bet.wins(zero)


def test_zero_inside_bets_american():
    assert make_bet(AMERICAN, "straight", ["00"], 2).net("00") == 70
    assert make_bet(AMERICAN, "straight", [0], 2).net("00") == -2
    assert make_bet(AMERICAN, "straight", ["00"], 2).net(0) == -2
    zero_split = make_bet(AMERICAN, "split", [0, "00"], 2)
    assert zero_split.net(0) == 34 and zero_split.net("00") == 34
    assert zero_split.net(1) == -2
    assert make_bet(AMERICAN, "split", ["00", 3], 1).net(3) == 17
    for trio in ([0, 1, 2], [0, "00", 2], ["00", 2, 3]):
        bet = make_bet(AMERICAN, "trio", trio, 1)
        assert [bet.net(p) for p in trio] == [11, 11, 11]
    top = make_bet(AMERICAN, "top_line", [0, "00", 1, 2, 3], 3)
    assert [top.net(p) for p in (0, "00", 1, 2, 3, 4)] == [18] * 5 + [-3]


def test_zero_inside_bets_european():
    assert make_bet(EUROPEAN, "straight", [0], 1).net(0) == 35
    for other in (1, 2, 3):
        assert make_bet(EUROPEAN, "split", [0, other], 1).net(0) == 17
    assert make_bet(EUROPEAN, "trio", [0, 2, 3], 1).net(0) == 11
    first_four = make_bet(EUROPEAN, "first_four", [3, 2, 1, 0], 5)
    assert [first_four.net(p) for p in (0, 1, 2, 3, 4)] == [40] * 4 + [-5]


def test_net_refuses_an_outcome_not_on_the_wheel():
    bet = make_bet(EUROPEAN, "red", rules.REDS, 1)
    with pytest.raises(InvalidBet, match="00 is not a pocket on the European wheel"):
        bet.net("00")


def test_numbers_may_be_given_as_strings_in_any_order():
    bet = make_bet("AMERICAN", "corner", ["21", "17", 20, "18"], 4)
    assert bet.wheel == AMERICAN
    assert bet.numbers == frozenset({17, 18, 20, 21})
    assert bet.label == "Corner 17/18/20/21"
    assert bet.spot == "corner:17-18-20-21"


@pytest.mark.parametrize(
    ("wheel_name", "kind", "numbers", "amount", "reason"),
    [
        ("roulette", "straight", [1], 1, "unknown wheel"),
        (AMERICAN, "basket", [0, 1, 2], 1, "unknown bet kind"),
        (AMERICAN, "straight", [37], 1, "37 is not a pocket"),
        (AMERICAN, "straight", [1, 2], 1, "covers 1 pocket, not 2"),
        (AMERICAN, "straight", [], 1, "covers 1 pocket, not 0"),
        (AMERICAN, "straight", "17", 1, "must be a list"),
        (AMERICAN, "straight", 17, 1, "must be a list"),
        (EUROPEAN, "straight", ["00"], 1, "00 is not a pocket on the European"),
        (AMERICAN, "split", [1, 5], 1, "do not form a split"),
        (AMERICAN, "split", [3, 4], 1, "do not form a split"),  # end of row to next
        (AMERICAN, "split", [0, 3], 1, "do not form a split"),  # only European
        (AMERICAN, "split", ["00", 1], 1, "do not form a split"),
        (EUROPEAN, "split", [0, 4], 1, "do not form a split"),
        (AMERICAN, "split", [1, 1], 1, "listed more than once"),
        (AMERICAN, "street", [2, 3, 4], 1, "do not form a street"),
        (AMERICAN, "street", [1, 4, 7], 1, "do not form a street"),
        (AMERICAN, "corner", [1, 2, 4], 1, "covers 4 pockets, not 3"),
        (AMERICAN, "corner", [2, 3, 4, 5], 1, "do not form a corner"),
        (AMERICAN, "corner", [3, 4, 6, 7], 1, "do not form a corner"),
        (AMERICAN, "six_line", [1, 2, 3, 7, 8, 9], 1, "do not form a six line"),
        (AMERICAN, "trio", [0, 2, 3], 1, "do not form a trio"),  # European trio
        (EUROPEAN, "trio", [0, 1, 3], 1, "do not form a trio"),
        (AMERICAN, "first_four", [0, 1, 2, 3], 1, "only offered on the European"),
        (EUROPEAN, "top_line", [0, 1, 2, 3, 4], 1, "only offered on the American"),
        (AMERICAN, "column", range(1, 13), 1, "do not form a column"),
        (AMERICAN, "dozen", range(1, 35, 3), 1, "do not form a dozen"),
        (AMERICAN, "red", [1, 3], 1, "covers 18 pockets, not 2"),
        (AMERICAN, "red", sorted(rules.BLACKS), 1, "do not form a red"),
        (AMERICAN, "high", range(18, 36), 1, "do not form a high"),
        (AMERICAN, "low", [0, *range(1, 18)], 1, "do not form a low"),
        (AMERICAN, "straight", [1], 0, "at least 1 chip"),
        (AMERICAN, "straight", [1], -5, "at least 1 chip"),
        (AMERICAN, "straight", [1], 2.5, "whole number"),
        (AMERICAN, "straight", [1], "10", "whole number"),
        (AMERICAN, "straight", [1], True, "whole number"),
    ],
)
def test_invalid_bets_are_refused_with_a_reason(
    wheel_name, kind, numbers, amount, reason
):
    with pytest.raises(InvalidBet, match=reason) as info:
        make_bet(wheel_name, kind, numbers, amount)
    assert isinstance(info.value, ValueError)
