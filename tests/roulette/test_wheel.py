"""Pure tests of roulette.wheel: shapes, payouts, zero cases, spins and strategies.

No database and no Django: these run in milliseconds with ``-p no:django``.
"""

import random

import pytest

from roulette import wheel as w
from roulette.wheel import AMERICAN, EUROPEAN, InvalidBet, make_bet

WHEELS = [AMERICAN, EUROPEAN]
OUTSIDE = ["column", "dozen", "red", "black", "odd", "even", "low", "high"]


def all_bets(wheel_name: str, amount: int = 10):
    for kind in w.kinds(wheel_name):
        for shape in w.shapes(wheel_name, kind):
            yield make_bet(wheel_name, kind, shape, amount)


# --- pockets and colours ------------------------------------------------------


def test_american_wheel_has_38_pockets_with_double_zero():
    assert len(w.pockets()) == 38
    assert w.pockets()[:2] == (0, "00")
    assert w.pockets(EUROPEAN)[0] == 0 and len(w.pockets(EUROPEAN)) == 37


def test_wheel_order_holds_every_pocket_once():
    for name in WHEELS:
        assert sorted(w.WHEEL_ORDER[name], key=w.pocket_sort_key) == list(
            w.pockets(name)
        )


def test_colours_follow_the_red_list():
    assert w.colour(1) == "red" and w.colour(2) == "black"
    assert w.colour(0) == "green" and w.colour("00") == "green"
    assert sum(w.colour(n) == "red" for n in range(1, 37)) == 18
    assert w.colour(10) == "black" and w.colour(19) == "red"


@pytest.mark.parametrize(
    ("value", "pocket"), [(17, 17), ("17", 17), ("0", 0), ("00", "00"), (" 5 ", 5)]
)
def test_pockets_parse_from_ints_and_strings(value, pocket):
    assert w.parse_pocket(value) == pocket


@pytest.mark.parametrize("value", [37, -1, "007", "000", "x", "", True, 1.0, None])
def test_non_pockets_are_refused(value):
    with pytest.raises(InvalidBet, match="pocket"):
        w.parse_pocket(value)


# --- the layout ------------------------------------------------------------------


def test_shape_counts_match_the_layout():
    assert len(w.shapes(AMERICAN, "straight")) == 38
    assert len(w.shapes(EUROPEAN, "straight")) == 37
    # 24 side-by-side + 33 one-above-the-other, plus the zero splits.
    assert len(w.shapes(AMERICAN, "split")) == 57 + 5
    assert len(w.shapes(EUROPEAN, "split")) == 57 + 3
    for name in WHEELS:
        assert len(w.shapes(name, "street")) == 12
        assert len(w.shapes(name, "corner")) == 22
        assert len(w.shapes(name, "six_line")) == 11
        assert len(w.shapes(name, "column")) == 3
        assert len(w.shapes(name, "dozen")) == 3
    assert len(w.shapes(AMERICAN, "trio")) == 3
    assert len(w.shapes(EUROPEAN, "trio")) == 2
    assert w.shapes(AMERICAN, "first_four") == frozenset()
    assert w.shapes(EUROPEAN, "top_line") == frozenset()


def test_columns_dozens_and_halves_avoid_classic_mistakes():
    assert w.column_numbers(1) == frozenset(range(1, 35, 3))
    assert 34 in w.column_numbers(1) and 36 in w.column_numbers(3)
    assert w.dozen_numbers(1) == frozenset(range(1, 13))
    assert 12 in w.dozen_numbers(1) and 13 in w.dozen_numbers(2)
    assert 36 in w.dozen_numbers(3)
    assert w.outside_numbers("high") == frozenset(range(19, 37))
    assert w.outside_numbers("low") == frozenset(range(1, 19))


def test_every_layout_spot_is_a_legal_shape_and_every_shape_is_clickable():
    for name in WHEELS:
        lay = w.layout(name)
        spots = [s.spot for s in lay.zeros + lay.zero_edges]
        spots += [s.spot for s in lay.columns + lay.dozens + lay.even_money]
        for row in lay.rows:
            for cell in row:
                edges = [cell.right, cell.below, cell.corner, cell.street]
                edges += [cell.six_line]
                spots += [cell.straight.spot] + [e.spot for e in edges if e]
        assert len(spots) == len(set(spots))
        clicked = {w.bet_for_spot(name, s, 1) for s in spots}
        assert clicked == set(all_bets(name, 1))


def test_layout_rows_read_3r_plus_1_to_3r_plus_3():
    rows = w.layout().rows
    assert [c.number for c in rows[0]] == [1, 2, 3]
    assert [c.number for c in rows[11]] == [34, 35, 36]
    assert rows[0][0].street.spot == "street:1-2-3"
    assert rows[0][0].corner.spot == "corner:1-2-4-5"
    assert rows[11][2].right is None and rows[11][2].below is None


def test_inside_and_outside_kinds():
    assert all(w.is_inside(k) for k in ["straight", "split", "top_line", "six_line"])
    assert not any(w.is_inside(k) for k in OUTSIDE)
    with pytest.raises(InvalidBet):
        w.is_inside("nope")


# --- payouts ----------------------------------------------------------------------


@pytest.mark.parametrize("wheel_name", WHEELS)
def test_every_bet_pays_its_odds_on_a_win_and_loses_its_stake_otherwise(wheel_name):
    for bet in all_bets(wheel_name, amount=7):
        for pocket in w.pockets(wheel_name):
            if pocket in bet.numbers:
                assert bet.net(pocket) == 7 * w.PAYOUTS[bet.kind], (bet, pocket)
                assert bet.returned(pocket) == 7 * (w.PAYOUTS[bet.kind] + 1)
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
        ("column", sorted(w.column_numbers(2)), 2),
        ("dozen", sorted(w.dozen_numbers(3)), 2),
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
    numbers = w.outside_numbers(kind)
    bet = make_bet(wheel_name, kind, numbers, 25)
    assert bet.odds == 1
    assert all(bet.net(n) == 25 for n in numbers)
    assert all(bet.net(n) == -25 for n in w.NUMBERS - numbers)


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
    bet = make_bet(wheel_name, kind, w.outside_numbers(kind, index), 10)
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
    bet = make_bet(EUROPEAN, "red", w.REDS, 1)
    with pytest.raises(InvalidBet, match="00 is not a pocket on the European wheel"):
        bet.net("00")


def test_numbers_may_be_given_as_strings_in_any_order():
    bet = make_bet("AMERICAN", "corner", ["21", "17", 20, "18"], 4)
    assert bet.wheel == AMERICAN
    assert bet.numbers == frozenset({17, 18, 20, 21})
    assert bet.label == "Corner 17/18/20/21"
    assert bet.spot == "corner:17-18-20-21"


def test_house_edge():
    from fractions import Fraction

    assert w.house_edge(AMERICAN) == Fraction(2, 38)
    assert w.house_edge(AMERICAN, "straight") == Fraction(2, 38)
    assert w.house_edge(AMERICAN, "top_line") == Fraction(3, 38)
    assert w.house_edge(EUROPEAN, "dozen") == Fraction(1, 37)


# --- invalid bets -------------------------------------------------------------------


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
        (AMERICAN, "red", sorted(w.BLACKS), 1, "do not form a red"),
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


@pytest.mark.parametrize(
    ("spot", "reason"),
    [
        ("", "choose a spot"),
        ("x" * 41, "choose a spot"),
        ("red:1", "takes no numbers"),
        ("column:4", "which column"),
        ("dozen", "which dozen"),
        ("split", "needs its numbers"),
        ("split:1-x", "not a pocket"),
        ("split:1-1", "more than once"),
        ("lucky:7", "unknown bet kind"),
        ("split:1-5", "do not form a split"),
    ],
)
def test_bad_spots_are_refused(spot, reason):
    with pytest.raises(InvalidBet, match=reason):
        w.bet_for_spot(AMERICAN, spot, 5)


def test_spot_round_trip():
    for name in WHEELS:
        for bet in all_bets(name):
            assert w.bet_for_spot(name, bet.spot, bet.amount) == bet


# --- spins --------------------------------------------------------------------------


def test_default_spin_uses_system_randomness_and_lands_on_the_wheel():
    seen = {w.spin() for _ in range(400)}
    assert seen <= set(w.pockets(AMERICAN))
    assert len(seen) > 20
    assert {w.spin(EUROPEAN) for _ in range(200)} <= set(w.pockets(EUROPEAN))


def test_seeded_spins_are_reproducible():
    first = [w.spin(AMERICAN, random.Random(42)) for _ in range(5)]
    again = [w.spin(AMERICAN, random.Random(42)) for _ in range(5)]
    assert first == again


# Critical values of chi-square at p = 0.001: df 37 -> 69.35, df 36 -> 67.99.
@pytest.mark.parametrize(
    ("wheel_name", "critical"), [(AMERICAN, 69.35), (EUROPEAN, 67.99)]
)
def test_seeded_spins_pass_a_chi_square_uniformity_check(wheel_name, critical):
    rng = random.Random(20261121)
    all_pockets = w.pockets(wheel_name)
    counts = dict.fromkeys(all_pockets, 0)
    for _ in range(500 * len(all_pockets)):
        counts[w.spin(wheel_name, rng)] += 1
    assert w.chi_square(list(counts.values())) < critical


def test_chi_square_flags_a_biased_wheel():
    class Loaded(random.Random):
        def randrange(self, stop, *args, **kwargs):  # lands on 0 a third of the time
            return 0 if super().random() < 1 / 3 else super().randrange(stop)

    rng = Loaded(1)
    counts = dict.fromkeys(w.pockets(), 0)
    for _ in range(38 * 500):
        counts[w.spin(AMERICAN, rng)] += 1
    assert w.chi_square(list(counts.values())) > 69.35


# --- strategies -----------------------------------------------------------------------


def stakes(strategy, results, base=10):
    progression = w.Progression(strategy, base)
    out = []
    for won in results:
        out.append(progression.stake())
        progression.settle(won)
    return out


def test_martingale_doubles_after_each_loss_and_resets_after_a_win():
    assert stakes("martingale", [False, False, False, True, False]) == [
        10,
        20,
        40,
        80,
        10,
    ]


def test_fibonacci_steps_up_one_and_back_two():
    seq = stakes("fibonacci", [False] * 5 + [True, True, True])
    assert seq == [10, 10, 20, 30, 50, 80, 30, 10]


def test_dalembert_moves_one_unit():
    seq = stakes("dalembert", [False, False, True, True, True])
    assert seq == [10, 20, 30, 20, 10]


def test_flat_never_changes():
    assert stakes("flat", [False, True, False]) == [10, 10, 10]


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="unknown strategy"):
        w.Progression("labouchere", 10)


def test_next_stake_caps_at_table_max_and_bankroll():
    assert w.next_stake(640, bankroll=1000, table_min=10, table_max=500) == 500
    assert w.next_stake(80, bankroll=35, table_min=10, table_max=500) == 35
    assert w.next_stake(80, bankroll=9, table_min=10, table_max=500) == 0


@pytest.mark.parametrize("strategy", w.STRATEGIES)
def test_simulated_run_is_deterministic_and_never_overdraws(strategy):
    kwargs = dict(strategy=strategy, base=10, table_max=100, budget=300, spins=300)
    run = w.simulate_run(rng=random.Random(7), **kwargs)
    assert run == w.simulate_run(rng=random.Random(7), **kwargs)
    assert min(run.curve) >= 0
    assert run.curve[0] == 300
    assert run.spins <= 300
    steps = [b - a for a, b in zip(run.curve, run.curve[1:], strict=False)]
    assert all(abs(step) <= 100 for step in steps)  # never more than the table max
    if run.ruined:
        assert run.final < 10


def test_martingale_ruin_stops_the_run():
    always_black = random.Random(0)
    always_black.randrange = lambda stop: 3  # pockets[3] is 2, black
    run = w.simulate_run(
        strategy="martingale", rng=always_black, base=10, budget=100, spins=50
    )
    # 10 + 20 + 40 = 70 lost, then 30 left: bet 30 (capped by bankroll), lose, ruined.
    assert run.curve == (100, 90, 70, 30, 0)
    assert run.ruined and run.wagered == 100


def test_simulation_summary_statistics():
    summary = w.simulate(
        strategy="flat", runs=40, rng=random.Random(3), base=10, budget=500, spins=100
    )
    assert len(summary.runs) == 40
    assert 0 <= summary.ruin_rate <= 1
    finals = sorted(r.final for r in summary.runs)
    assert summary.median_final == (finals[19] + finals[20]) / 2
    assert summary.mean_result == pytest.approx(summary.mean_final - 500)
    # Flat betting stakes exactly base * spins when never ruined.
    assert summary.mean_wagered == 1000
    assert summary.expected_loss == pytest.approx(1000 * 2 / 38)


def test_simulation_refuses_a_bad_proposition():
    with pytest.raises(InvalidBet):
        w.simulate(strategy="flat", runs=1, rng=random.Random(), proposition="blue")
