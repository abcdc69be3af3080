"""Pure tests of roulette.rules.strategies: progressions, caps and the simulator."""

import random

import pytest

from roulette import rules
from roulette.rules import InvalidBet


def stakes(strategy, results, base=10):
    progression = rules.Progression(strategy, base)
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
        rules.Progression("labouchere", 10)


def test_next_stake_caps_at_table_max_and_bankroll():
    assert rules.next_stake(640, bankroll=1000, table_min=10, table_max=500) == 500
    assert rules.next_stake(80, bankroll=35, table_min=10, table_max=500) == 35
    assert rules.next_stake(80, bankroll=9, table_min=10, table_max=500) == 0


@pytest.mark.parametrize("strategy", rules.STRATEGIES)
def test_simulated_run_is_deterministic_and_never_overdraws(strategy):
    kwargs = dict(strategy=strategy, base=10, table_max=100, budget=300, spins=300)
    run = rules.simulate_run(rng=random.Random(7), **kwargs)
    assert run == rules.simulate_run(rng=random.Random(7), **kwargs)
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
    run = rules.simulate_run(
        strategy="martingale", rng=always_black, base=10, budget=100, spins=50
    )
    # 10 + 20 + 40 = 70 lost, then 30 left: bet 30 (capped by bankroll), lose, ruined.
    assert run.curve == (100, 90, 70, 30, 0)
    assert run.ruined and run.wagered == 100


def test_simulation_summary_statistics():
    summary = rules.simulate(
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
        rules.simulate(strategy="flat", runs=1, rng=random.Random(), proposition="blue")
