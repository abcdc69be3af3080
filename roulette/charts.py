"""Inline SVG geometry for the simulator's bankroll chart (no JavaScript, no library).

A sample of the runs, each thinned to a few hundred points: tens of kilobytes at most.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 320
PAD_LEFT = 56
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 32
MAX_CURVES = 40
MAX_POINTS = 160


@dataclass(frozen=True)
class Tick:
    value: int
    position: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    curves: list[tuple[str, bool]]  # ("x,y x,y ...", went bust) per drawn run
    mean: str
    budget_y: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    left: int
    right: int
    top: int
    bottom: int
    drawn: int
    total: int


def _thin(curve: Sequence[int]) -> list[tuple[int, int]]:
    """(spin index, bankroll) pairs, at most MAX_POINTS, always keeping the last."""
    step = max(1, -(-len(curve) // MAX_POINTS))
    points = [(i, curve[i]) for i in range(0, len(curve), step)]
    if points[-1][0] != len(curve) - 1:
        points.append((len(curve) - 1, curve[-1]))
    return points


def _nice_step(span: float, ticks: int = 5) -> int:
    raw = max(span / ticks, 1)
    magnitude: int = 10 ** (len(str(int(raw))) - 1)
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10 * magnitude


def bankroll_chart(
    curves: Sequence[Sequence[int]],
    *,
    ruined: Sequence[bool],
    budget: int,
    spins: int,
) -> Chart:
    """Scale bankroll curves (one per run) into SVG coordinates."""
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    peak = max([budget, *(max(c) for c in curves)]) if curves else budget
    y_step = _nice_step(peak)
    y_max = -(-peak // y_step) * y_step or 1
    x_max = max(spins, 1)

    def x(i: float) -> float:
        return round(left + (right - left) * i / x_max, 1)

    def y(value: float) -> float:
        return round(bottom - (bottom - top) * value / y_max, 1)

    def polyline(points: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{x(i):g},{y(v):g}" for i, v in points)

    sample = list(curves[:MAX_CURVES])
    # Mean bankroll per spin over every run; a ruined run stays at its final value.
    longest = max((len(c) for c in curves), default=1)
    mean_curve = [float(budget)]
    if curves:
        mean_curve = [
            statistics.fmean(c[i] if i < len(c) else c[-1] for c in curves)
            for i in range(longest)
        ]
    step = max(1, -(-len(mean_curve) // MAX_POINTS))
    mean_points = [(i, mean_curve[i]) for i in range(0, len(mean_curve), step)]
    if mean_points[-1][0] != len(mean_curve) - 1:
        mean_points.append((len(mean_curve) - 1, mean_curve[-1]))
    x_step = _nice_step(x_max)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        curves=[
            (polyline(_thin(c)), bust) for c, bust in zip(sample, ruined, strict=False)
        ],
        mean=polyline(mean_points),
        budget_y=y(budget),
        y_ticks=[Tick(v, y(v)) for v in range(0, y_max + 1, y_step)],
        x_ticks=[Tick(v, x(v)) for v in range(0, x_max + 1, x_step)],
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        drawn=len(sample),
        total=len(curves),
    )
