"""CPU per table GET, in process (ADR 0008's "Measured figures").

Run it with ``.venv/bin/pytest tests/roulette/test_table_cpu.py -m slow -s``: it prints
the CPU time per request (``time.process_time``, 300 requests x 5 runs) of the table
GET and of ``/healthz``, and of the betting layout's tag alone. The only assertion on
time is a loose one: the layout must stay a small part of the GET.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

import pytest

from roulette import rules, selectors, services
from roulette.templatetags.roulette_tags import layout_markup
from tests.roulette.roulette_support import FixedRandom

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

REQUESTS = 300
RUNS = 5
SPOTS = [
    "straight:17",
    "split:17-20",
    "corner:13-14-16-17",
    "street:31-32-33",
    "six_line:1-2-3-4-5-6",
    "red",
    "dozen:2",
    "column:3",
]


def _cpu_ms(call: Callable[[], object], requests: int = REQUESTS) -> list[float]:
    """CPU ms per call, one figure per run, after a warm-up."""
    for _ in range(30):
        call()
    runs = []
    for _ in range(RUNS):
        start = time.process_time()
        for _ in range(requests):
            call()
        runs.append((time.process_time() - start) / requests * 1000)
    return runs


def _place(wallet_id: int, spots: list[str]) -> None:
    for spot in spots:
        kind, numbers = rules.parse_spot(rules.AMERICAN, spot)
        amount = 25 if kind in rules.OUTSIDE_KINDS else 5
        services.bet_place(
            wallet_id=wallet_id, kind=kind, numbers=numbers, amount=amount
        )


def test_table_get_cpu(table, client):
    """A busy table: 300 wheel spins (hot/cold), a settled spin with bets (the result
    panel and the win mark) and open bets on 8 spots (chips on the layout)."""
    rng = random.Random(1)
    for _ in range(300):
        services.wheel_spin(wheel_name=rules.AMERICAN, rng=rng)
    table.get()
    wallet = table.wallet()
    _place(wallet.pk, SPOTS)
    services.spin_resolve(wallet_id=wallet.pk, rng=FixedRandom(rules.AMERICAN, 17))
    _place(wallet.pk, SPOTS)
    html = table.get()
    assert html.count("has-stake") == len(SPOTS) and html.count(" rl-win") == 1

    def get() -> None:
        assert client.get("/roulette/").status_code == 200

    table_ms = _cpu_ms(get)
    healthz_ms = _cpu_ms(lambda: client.get("/healthz"))
    state = selectors.table_state(wallet=table.wallet())
    markup = layout_markup(state.layout.wheel)
    layout_ms = _cpu_ms(lambda: markup.render(state.on_spot, "17"), 3000)

    def show(name: str, runs: list[float]) -> str:
        return (
            f"{name}: min {min(runs):.3f} median {statistics.median(runs):.3f} ms "
            f"({', '.join(f'{r:.2f}' for r in runs)})"
        )

    print()
    print(show("table GET", table_ms))
    print(show("/healthz", healthz_ms))
    print(show("betting layout (8 stakes + win)", layout_ms))
    # The template loop it replaced cost about 5 ms of a 12 ms GET.
    assert min(layout_ms) < 0.1 * min(table_ms)
