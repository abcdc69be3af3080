"""Betting systems and the simulator: stake progressions (Martingale, Fibonacci,
D'Alembert, flat), table caps, and many seeded runs with their statistics."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from roulette.rules.bets import check_amount, make_bet
from roulette.rules.odds import house_edge
from roulette.rules.pockets import AMERICAN, pockets
from roulette.rules.spots import parse_spot

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
