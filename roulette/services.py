"""Every write of the roulette app: wallets, bets and spins.

Each action runs in one transaction with the wallet row locked first (``_locked``).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from roulette import conf, rules
from roulette.models import Bet, BetStatus, Spin, Wallet


class TableError(ValueError):
    """An action the table refuses; the message is shown to the player as is."""


class StaleAction(TableError):
    """The form was rendered for an earlier state of the table (replay, other tab)."""


# --- wallets ------------------------------------------------------------------


# The wallet columns a table action may change, written back in one UPDATE.
_WALLET_WRITES = ["bankroll", "chip", "round", "resets", "version", "wheel"]


def wallet_for_session(*, session_key: str) -> Wallet:
    """The web visitor's wallet, created with the starting bankroll on first use."""
    wallet, _ = Wallet.objects.get_or_create(
        session_key=session_key,
        defaults={"bankroll": conf.starting_bankroll(), "chip": _default_chip()},
    )
    return wallet


def wallet_rekey(old: str, new: str) -> None:
    """The visitor's session key changed (logging in): their bankroll follows."""
    Wallet.objects.filter(session_key=old).update(session_key=new)


def wallet_create(
    *, wheel_name: str = rules.AMERICAN, bankroll: int | None = None
) -> Wallet:
    """A new API betting session (addressed by its unguessable ``public_id``)."""
    wheel_name = rules.check_wheel(wheel_name)
    if bankroll is None:
        bankroll = conf.starting_bankroll()
    elif isinstance(bankroll, bool) or not isinstance(bankroll, int):
        raise TableError("bankroll must be a whole number of chips")
    elif not 1 <= bankroll <= conf.MAX_API_BANKROLL:
        raise TableError(f"bankroll must be between 1 and {conf.MAX_API_BANKROLL}")
    return Wallet.objects.create(
        wheel=wheel_name, bankroll=bankroll, chip=_default_chip()
    )


def _default_chip() -> int:
    chips = conf.chip_values()
    return 5 if 5 in chips else chips[0]


@contextmanager
def _locked(wallet_id: int, version: int | None) -> Iterator[Wallet]:
    """Lock the wallet row for one action; bump its version when the action succeeds.

    The lock (``select_for_update``; on SQLite the IMMEDIATE transaction mode
    serialises writers instead) means two tabs or two API clients of one session can
    never overdraw the wallet or settle a bet twice. Forms pass the ``version`` they
    were rendered with; an out-of-date version is refused, so a replayed POST is
    harmless.
    """
    with transaction.atomic():
        wallet = Wallet.objects.select_for_update().get(pk=wallet_id)
        if version is not None and wallet.version != version:
            raise StaleAction(
                "That was already done, or the table changed in another tab: "
                "nothing was changed. Check the table and try again."
            )
        yield wallet
        wallet.version += 1
        # updated_at is auto_now: save() sets it only when it is listed.
        wallet.save(update_fields=[*_WALLET_WRITES, "updated_at"])


def _open_bets(wallet: Wallet) -> list[Bet]:
    return list(wallet.bets.filter(status=BetStatus.OPEN).order_by("id"))


def _stake_by_spot(bets: Iterable[Bet | rules.Bet]) -> dict[str, int]:
    """Chips per layout spot (stored bets and pure bets both have spot and amount)."""
    totals: dict[str, int] = defaultdict(int)
    for bet in bets:
        totals[bet.spot] += bet.amount
    return totals


def _check_limits(
    wallet: Wallet, placing: dict[str, int], on_table: dict[str, int]
) -> None:
    """Refuse unless every spot's total after placing is within the table limits."""
    limits = conf.limits()
    for spot, amount in placing.items():
        kind, numbers = rules.parse_spot(wallet.wheel, spot)
        inside = rules.is_inside(kind)
        low, high = limits.for_kind(inside=inside)
        total = on_table.get(spot, 0) + amount
        label = rules.describe(kind, numbers)
        side = "Inside" if inside else "Outside"
        if total < low:
            raise TableError(
                f"{side} bets need at least {low} chips per spot; "
                f"{label} would have {total}."
            )
        if total > high:
            already = on_table.get(spot, 0)
            extra = f" ({already} already on it)" if already else ""
            raise TableError(
                f"{side} bets are limited to {high} chips per spot; "
                f"{label} would have {total}{extra}."
            )


def _reserve(wallet: Wallet, cost: int) -> None:
    if cost > wallet.bankroll:
        raise TableError(
            f"Not enough chips: that needs {cost} and you have {wallet.bankroll} "
            "left to bet."
        )
    wallet.bankroll -= cost


def _create_bets(wallet: Wallet, placing: list[rules.Bet]) -> list[Bet]:
    bets = [
        Bet(
            wallet=wallet,
            round=wallet.round,
            batch=wallet.version + 1,
            kind=bet.kind,
            spot=bet.spot,
            amount=bet.amount,
        )
        for bet in placing
    ]
    return Bet.objects.bulk_create(bets)


# --- bets ---------------------------------------------------------------------


def bet_place(
    *,
    wallet_id: int,
    kind: str,
    numbers: Iterable[int | str],
    amount: int,
    version: int | None = None,
) -> Bet:
    """Put ``amount`` chips on a spot; the stake leaves the bankroll at once.

    Raises ``InvalidBet`` for a shape not on this wheel and ``TableError`` for table
    limits (checked on the spot's total with chips already there) or too few chips.
    """
    with _locked(wallet_id, version) as wallet:
        bet = rules.make_bet(wallet.wheel, kind, numbers, amount)
        # Only this spot's total matters for its limit: summed in SQL.
        on_spot = (
            wallet.bets.filter(status=BetStatus.OPEN, spot=bet.spot).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        _check_limits(wallet, {bet.spot: bet.amount}, {bet.spot: on_spot})
        _reserve(wallet, bet.amount)
        if bet.amount in conf.chip_values():
            wallet.chip = bet.amount  # the chip selector keeps the last chip used
        (created,) = _create_bets(wallet, [bet])
    return created


def bet_undo(*, wallet_id: int, version: int | None = None) -> list[Bet]:
    """Take back the last placement (a single bet, or the whole rebet or double)."""
    with _locked(wallet_id, version) as wallet:
        open_bets = wallet.bets.filter(status=BetStatus.OPEN)
        last_batch = open_bets.aggregate(last=Max("batch"))["last"]
        if last_batch is None:
            raise TableError("There is no bet on the table to undo.")
        undone = list(open_bets.filter(batch=last_batch))
        wallet.bankroll += sum(bet.amount for bet in undone)
        open_bets.filter(batch=last_batch).delete()
    return undone


def bets_clear(*, wallet_id: int, version: int | None = None) -> int:
    """Take every open bet back; returns the chips returned to the bankroll."""
    with _locked(wallet_id, version) as wallet:
        open_bets = wallet.bets.filter(status=BetStatus.OPEN)
        refund = open_bets.aggregate(total=Sum("amount"))["total"] or 0
        if not refund:
            raise TableError("The table is already clear.")
        open_bets.delete()
        wallet.bankroll += refund
    return refund


def bets_rebet(*, wallet_id: int, version: int | None = None) -> list[Bet]:
    """Place again every bet of the last spin of this wallet, as one placement."""
    with _locked(wallet_id, version) as wallet:
        last_spin = wallet.spins.order_by("-id").first()
        previous = list(last_spin.bets.order_by("id")) if last_spin else []
        if not previous:
            raise TableError("There is no previous round to repeat.")
        if last_spin is not None and last_spin.wheel != wallet.wheel:
            raise TableError("The last round was played on the other wheel.")
        again = [
            rules.bet_for_spot(wallet.wheel, spot, amount)
            for spot, amount in _stake_by_spot(previous).items()
        ]
        return _place_batch(wallet, again)


def bets_double(*, wallet_id: int, version: int | None = None) -> list[Bet]:
    """Double every open bet: the same chips again on each spot, as one placement."""
    with _locked(wallet_id, version) as wallet:
        on_table = _stake_by_spot(_open_bets(wallet))
        if not on_table:
            raise TableError("There are no bets on the table to double.")
        again = [
            rules.bet_for_spot(wallet.wheel, spot, amount)
            for spot, amount in on_table.items()
        ]
        return _place_batch(wallet, again)


def _place_batch(wallet: Wallet, placing: list[rules.Bet]) -> list[Bet]:
    """All or nothing: limits and chips are checked for the whole batch first."""
    _check_limits(wallet, _stake_by_spot(placing), _stake_by_spot(_open_bets(wallet)))
    _reserve(wallet, sum(bet.amount for bet in placing))
    return _create_bets(wallet, placing)


# --- spins --------------------------------------------------------------------


def spin_resolve(
    *,
    wallet_id: int,
    version: int | None = None,
    rng: random.Random | None = None,
) -> Spin:
    """Spin this wallet's wheel and settle every open bet exactly once."""
    with _locked(wallet_id, version) as wallet:
        open_bets = _open_bets(wallet)
        if not open_bets:
            raise TableError("Place a bet before spinning.")
        outcome = rules.spin(wallet.wheel, rng)
        now = timezone.now()
        spin = Spin.objects.create(
            wheel=wallet.wheel,
            pocket=str(outcome),
            wallet=wallet,
            round=wallet.round,
            staked=sum(bet.amount for bet in open_bets),
        )
        returned = 0
        for bet in open_bets:
            domain = rules.bet_for_spot(wallet.wheel, bet.spot, bet.amount)
            won = domain.wins(outcome)
            bet.status = BetStatus.WON if won else BetStatus.LOST
            bet.net = domain.net(outcome)
            bet.spin = spin
            bet.settled_at = now
            returned += domain.returned(outcome)
        Bet.objects.bulk_update(open_bets, ["status", "net", "spin", "settled_at"])
        spin.returned = returned
        spin.save(update_fields=["returned"])
        wallet.bankroll += returned
        wallet.round += 1
    return spin


def wheel_spin(
    *, wheel_name: str = rules.AMERICAN, rng: random.Random | None = None
) -> Spin:
    """A bare spin of the wheel service (no bets), recorded for its statistics."""
    wheel_name = rules.check_wheel(wheel_name)
    outcome = rules.spin(wheel_name, rng)
    return Spin.objects.create(wheel=wheel_name, pocket=str(outcome))


# --- table settings -----------------------------------------------------------


def wallet_reset(*, wallet_id: int, version: int | None = None) -> Wallet:
    """Start again with the starting bankroll; only once the chips are gone."""
    with _locked(wallet_id, version) as wallet:
        if wallet.bets.filter(status=BetStatus.OPEN).exists():
            raise TableError("Spin or clear your open bets before resetting.")
        if wallet.bankroll >= conf.limits().smallest_bet:
            raise TableError("You can reset only when you cannot cover a minimum bet.")
        wallet.bankroll = conf.starting_bankroll()
        wallet.resets += 1
    return wallet


def wallet_set_wheel(
    *, wallet_id: int, wheel_name: str, version: int | None = None
) -> Wallet:
    """Switch between the American and European wheel between rounds."""
    wheel_name = rules.check_wheel(wheel_name)
    with _locked(wallet_id, version) as wallet:
        if wallet.wheel == wheel_name:
            raise TableError(f"You are already playing the {wheel_name} wheel.")
        if wallet.bets.filter(status=BetStatus.OPEN).exists():
            raise TableError("Spin or clear your open bets before changing wheel.")
        wallet.wheel = wheel_name
    return wallet
