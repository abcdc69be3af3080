"""Reads of the roulette app: table state, wheel statistics, home-page figures.

Plain data only, never a lazy queryset: templates cannot trigger queries by accident.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from django.db.models import Count, Q, Sum

from roulette import conf, rules
from roulette.layout import Layout, layout
from roulette.models import Bet, BetStatus, Spin, Wallet

RECENT_RESULTS = 15
HOT_COLD_WINDOW = 500
HOT_COLD_SIZE = 5
# Fewer spins than this say nothing at all, so no hot/cold lists are shown.
HOT_COLD_MINIMUM = 38


def home_stats() -> dict[str, int]:
    """Figures for the home page card."""
    return {"spins_served": Spin.objects.count()}


@dataclass(frozen=True)
class PocketView:
    """A pocket as the templates draw it."""

    pocket: str
    colour: str
    count: int = 0


# A PocketView is immutable and depends on its arguments only; the table page draws
# about 25 of them from the same few pockets.
@lru_cache(maxsize=1024)
def pocket_view(pocket: rules.Pocket | str, count: int = 0) -> PocketView:
    value = rules.parse_pocket(pocket)
    return PocketView(str(value), rules.colour(value), count)


@dataclass(frozen=True)
class SpotStake:
    """Chips on one spot of the layout (several placements summed)."""

    spot: str
    label: str
    kind: str
    amount: int
    odds: int


@dataclass(frozen=True)
class SettledStake:
    """Chips on one spot after the spin (chips stacked on a spot form one bet)."""

    label: str
    amount: int
    net: int

    @property
    def status(self) -> str:
        return "won" if self.net > 0 else "lost"


def _settled_by_spot(
    rows: list[tuple[str, str, int, int | None]],
) -> list[SettledStake]:
    """A spin's bets, as ``(spot, kind, amount, net)`` rows in id order, merged per
    spot in the order the spots were first bet on.

    Plain rows, not model instances, and each spot's label built once: a spot can
    hold a hundred placements.
    """
    merged: dict[str, list[Any]] = {}
    for spot, kind, amount, net in rows:
        entry = merged.setdefault(spot, [kind, 0, 0])
        entry[1] += amount
        entry[2] += net or 0
    return [
        SettledStake(_bet_label(kind, spot), amount, net)
        for spot, (kind, amount, net) in merged.items()
    ]


# Labels depend on the spot's notation only, and a table has about 160 spots.
@lru_cache(maxsize=1024)
def _bet_label(kind: str, spot: str) -> str:
    """``Bet.label`` without a model instance."""
    _, numbers = rules.parse_spot(rules.AMERICAN, spot)
    return rules.describe(kind, sorted(numbers, key=rules.pocket_sort_key))


@lru_cache(maxsize=1024)
def _spot_kind_label(spot: str) -> tuple[str, str]:
    """The kind and the wording of an open stake's spot."""
    kind, numbers = rules.parse_spot(rules.AMERICAN, spot)
    return kind, rules.describe(kind, numbers)


@dataclass(frozen=True)
class LastSpin:
    """The result panel: winning pocket, each bet won or lost, and the net."""

    id: int
    pocket: PocketView
    round: int | None
    bets: list[SettledStake]
    staked: int
    returned: int

    @property
    def net(self) -> int:
        return self.returned - self.staked


@dataclass
class TableState:
    """Everything the table page shows for one wallet."""

    wallet: Wallet
    layout: Layout
    stakes: list[SpotStake]
    on_spot: dict[str, int]
    reserved: int
    last_spin: LastSpin | None
    recent: list[PocketView]
    hot: list[PocketView]
    cold: list[PocketView]
    hot_cold_window: int
    limits: conf.Limits
    chips: tuple[int, ...]
    can_rebet: bool
    bankrupt: bool
    wheels: list[tuple[str, str]] = field(
        default_factory=lambda: list(rules.WHEEL_LABELS.items())
    )

    @property
    def has_open_bets(self) -> bool:
        return bool(self.stakes)

    @property
    def total(self) -> int:
        """Bankroll plus chips on the table."""
        return self.wallet.bankroll + self.reserved


class RecentSpin(NamedTuple):
    id: int
    wheel: str
    pocket: str
    round: int | None
    staked: int
    returned: int


def table_state(*, wallet: Wallet) -> TableState:
    """The table as `wallet` sees it (an unsaved wallet: a visitor yet to play)."""
    recent_rows = (
        Spin.objects.filter(wallet_id=wallet.pk)
        .order_by("-id")
        .values_list("id", "wheel", "pocket", "round", "staked", "returned")
    )
    # `wallet_id=None` would match the wheel service's bare spins.
    found = recent_rows[:RECENT_RESULTS] if wallet.pk is not None else []
    spins = [RecentSpin(*row) for row in found]
    latest = spins[0] if spins else None
    # One query for the open stakes and the last spin's bets: plain rows rather than
    # model instances, as a spot can hold many placements. Each branch of the OR has
    # its index: (wallet, status) and spin.
    wanted = Q(wallet_id=wallet.pk, status=BetStatus.OPEN)
    if latest is not None:
        wanted |= Q(spin_id=latest.id)
    totals: dict[str, int] = {}
    settled: list[tuple[str, str, int, int | None]] = []
    for spot, kind, amount, net, status in (
        Bet.objects.filter(wanted)
        .order_by("id")
        .values_list("spot", "kind", "amount", "net", "status")
    ):
        if status == BetStatus.OPEN:
            totals[spot] = totals.get(spot, 0) + amount
        else:  # settled: only the last spin's bets match
            settled.append((spot, kind, amount, net))
    stakes = []
    for spot, amount in totals.items():
        kind, label = _spot_kind_label(spot)
        stakes.append(SpotStake(spot, label, kind, amount, rules.PAYOUTS[kind]))
    last_spin = None
    if latest is not None:
        last_spin = LastSpin(
            id=latest.id,
            pocket=pocket_view(latest.pocket),
            round=latest.round,
            bets=_settled_by_spot(settled),
            staked=latest.staked,
            returned=latest.returned,
        )
    hot, cold, window = hot_cold(wheel_name=wallet.wheel)
    limits = conf.limits()
    reserved = sum(totals.values())
    return TableState(
        wallet=wallet,
        layout=layout(wallet.wheel),
        stakes=stakes,
        on_spot=totals,
        reserved=reserved,
        last_spin=last_spin,
        recent=[pocket_view(spin.pocket) for spin in spins],
        hot=hot,
        cold=cold,
        hot_cold_window=window,
        limits=limits,
        chips=conf.chip_values(),
        can_rebet=bool(last_spin and last_spin.bets and spins[0].wheel == wallet.wheel),
        bankrupt=not reserved and wallet.bankroll < limits.smallest_bet,
    )


def hot_cold(
    *, wheel_name: str, size: int = HOT_COLD_SIZE
) -> tuple[list[PocketView], list[PocketView], int]:
    """Most and least frequent pockets over the wheel's last HOT_COLD_WINDOW spins."""
    # Counting the 500 pockets in Python measured faster on SQLite than a GROUP BY
    # over an IN (... LIMIT 500) subquery, which scans the whole table.
    recent = list(
        Spin.objects.filter(wheel=wheel_name)
        .order_by("-id")
        .values_list("pocket", flat=True)[:HOT_COLD_WINDOW]
    )
    if len(recent) < HOT_COLD_MINIMUM:
        return [], [], len(recent)
    counts = Counter(recent)
    # Sorting is stable: ties keep the order of rules.pockets().
    every = _pocket_names(wheel_name)
    ranked = sorted(every, key=lambda p: -counts[p])
    hot = [pocket_view(p, counts[p]) for p in ranked[:size]]
    cold_ranked = sorted(every, key=lambda p: counts[p])
    cold = [pocket_view(p, counts[p]) for p in cold_ranked[:size]]
    return hot, cold, len(recent)


@lru_cache(maxsize=8)
def _pocket_names(wheel_name: str) -> tuple[str, ...]:
    return tuple(str(p) for p in rules.pockets(wheel_name))


def wheel_stats() -> dict[str, Any]:
    """The wheel service page: spins served and the distribution per wheel."""
    by_wheel = dict(
        Spin.objects.values_list("wheel").annotate(n=Count("id")).order_by()
    )
    wheels = []
    for name in rules.WHEELS:
        counts = dict(
            Spin.objects.filter(wheel=name)
            .values_list("pocket")
            .annotate(n=Count("id"))
            .order_by()
        )
        total = by_wheel.get(name, 0)
        pockets = [pocket_view(p, counts.get(str(p), 0)) for p in rules.pockets(name)]
        peak = max((p.count for p in pockets), default=0)
        wheels.append(
            {
                "name": name,
                "label": rules.WHEEL_LABELS[name],
                "total": total,
                "pockets": pockets,
                "peak": peak or 1,
                "expected": total / len(pockets) if total else 0,
                "chi_square": rules.chi_square([p.count for p in pockets]),
                "degrees_of_freedom": len(pockets) - 1,
            }
        )
    recent = [
        pocket_view(pocket)
        for pocket in Spin.objects.order_by("-id").values_list("pocket", flat=True)[:20]
    ]
    totals = Spin.objects.aggregate(staked=Sum("staked"), returned=Sum("returned"))
    return {
        "spins_served": sum(by_wheel.values()),
        "wheels": wheels,
        "recent": recent,
        "staked": totals["staked"] or 0,
        "returned": totals["returned"] or 0,
    }


def wallet_by_public_id(public_id: str) -> Wallet | None:
    """An API betting session by its id, or None (malformed ids included)."""
    try:
        parsed = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Wallet.objects.filter(public_id=parsed, visitor_id__isnull=True).first()


def wallet_open_bets(wallet: Wallet) -> list[Bet]:
    return list(wallet.bets.filter(status=BetStatus.OPEN).order_by("id"))


def wallet_bets(wallet: Wallet, *, limit: int = 100) -> list[Bet]:
    return list(wallet.bets.select_related("spin").order_by("-id")[:limit])


def wallet_bet(wallet: Wallet, bet_id: int) -> Bet | None:
    return wallet.bets.select_related("spin").filter(pk=bet_id).first()


def wallet_spin(wallet: Wallet, spin_id: int) -> Spin | None:
    return wallet.spins.filter(pk=spin_id).first()


def spin_bets(spin: Spin) -> list[Bet]:
    return list(Bet.objects.filter(spin=spin).order_by("id"))
