"""Every write of the roulette app: wallets, bets and spins.

Each action runs in one transaction with the wallet row locked first (``_locked``, or
``visitor_wallet_locked`` for the table's views).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import transaction
from django.db.models import F, Max, Sum
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


def wallet_of_visitor(*, visitor_ids: Sequence[str]) -> Wallet | None:
    """The web visitor's wallet, or None before their first table action.

    A visitor with two ids (a browser signed in to an account that had its own)
    plays the account's wallet (the first id's), else the one they had as a guest.
    """
    return _preferred(Wallet.objects.filter(visitor_id__in=visitor_ids), visitor_ids)


def _preferred(wallets: Iterable[Wallet], visitor_ids: Sequence[str]) -> Wallet | None:
    by_visitor = {wallet.visitor_id: wallet for wallet in wallets}
    return next((by_visitor[i] for i in visitor_ids if i in by_visitor), None)


def visitor_wallet(*, visitor_ids: Sequence[str]) -> Wallet:
    """The web visitor's wallet, opened for ``visitor_ids[0]`` if they have none."""
    wallet = wallet_of_visitor(visitor_ids=visitor_ids)
    return wallet if wallet is not None else wallet_open(visitor_id=visitor_ids[0])


def wallet_unopened() -> Wallet:
    """The wallet a visitor without one sees (unsaved: a page view stores nothing)."""
    return Wallet(bankroll=conf.starting_bankroll(), chip=_default_chip())


def wallet_open(*, visitor_id: str) -> Wallet:
    """The wallet of `visitor_id`, created with the starting bankroll on first use."""
    wallet, _ = Wallet.objects.get_or_create(
        visitor_id=visitor_id,
        defaults={"bankroll": conf.starting_bankroll(), "chip": _default_chip()},
    )
    return wallet


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


class LockedWallet:
    """A wallet row locked by ``visitor_wallet_locked``, for use inside its block only.

    The table's views lock the visitor's wallet first and validate the submitted form
    against it (the layout depends on the wheel), then pass it to one action as
    ``locked=``: one read of the wallet per action, under the lock.
    """

    __slots__ = ("wallet", "active")

    def __init__(self, wallet: Wallet) -> None:
        self.wallet = wallet
        self.active = True


@contextmanager
def visitor_wallet_locked(*, visitor_ids: Sequence[str]) -> Iterator[LockedWallet]:
    """Lock the web visitor's wallet (see ``wallet_of_visitor``) for one table
    action, in one transaction.

    Opens the wallet of ``visitor_ids[0]`` first when the visitor has none yet. An
    exception leaving the block rolls the whole action back.
    """
    if not visitor_ids:
        raise ValueError("a wallet needs a visitor id")
    with transaction.atomic():
        # Both of a two-id visitor's wallets are locked: both are theirs.
        mine = Wallet.objects.select_for_update().filter(visitor_id__in=visitor_ids)
        wallet = _preferred(mine, visitor_ids)
        if wallet is None:
            opened = wallet_open(visitor_id=visitor_ids[0])
            wallet = Wallet.objects.select_for_update().get(pk=opened.pk)
        locked = LockedWallet(wallet)
        try:
            yield locked
        finally:
            locked.active = False


@contextmanager
def _locked(
    wallet_id: int | None, version: int | None, locked: LockedWallet | None = None
) -> Iterator[Wallet]:
    """Lock the wallet row for one action; bump its version when the action succeeds.

    The lock (``select_for_update``; on SQLite the IMMEDIATE transaction mode
    serialises writers instead) means two tabs or two API clients of one session can
    never overdraw the wallet or settle a bet twice. Forms pass the ``version`` they
    were rendered with; an out-of-date version is refused, so a replayed POST is
    harmless. ``locked`` is a wallet already locked by ``visitor_wallet_locked``: the
    action then runs in that block's transaction.
    """
    if locked is not None:
        if not locked.active:
            raise RuntimeError("a LockedWallet is only valid inside its lock's block")
        with _versioned(locked.wallet, version) as wallet:
            yield wallet
        return
    if wallet_id is None:
        raise TypeError("pass wallet_id or locked")
    with transaction.atomic():
        wallet = Wallet.objects.select_for_update().get(pk=wallet_id)
        with _versioned(wallet, version):
            yield wallet


@contextmanager
def _versioned(wallet: Wallet, version: int | None) -> Iterator[Wallet]:
    """Refuse a stale ``version``; on success, write the wallet back with the next."""
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
    wallet_id: int | None = None,
    kind: str,
    numbers: Iterable[int | str],
    amount: int,
    version: int | None = None,
    locked: LockedWallet | None = None,
) -> Bet:
    """Put ``amount`` chips on a spot; the stake leaves the bankroll at once.

    Raises ``InvalidBet`` for a shape not on this wheel and ``TableError`` for table
    limits (checked on the spot's total with chips already there) or too few chips.
    """
    with _locked(wallet_id, version, locked) as wallet:
        bet = rules.make_bet(wallet.wheel, kind, numbers, amount)
        # Only this spot's total matters for its limit: summed in SQL.
        on_spot = (
            Bet.objects.filter(
                wallet_id=wallet.pk, status=BetStatus.OPEN, spot=bet.spot
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        _check_limits(wallet, {bet.spot: bet.amount}, {bet.spot: on_spot})
        _reserve(wallet, bet.amount)
        if bet.amount in conf.chip_values():
            wallet.chip = bet.amount  # the chip selector keeps the last chip used
        (created,) = _create_bets(wallet, [bet])
    return created


def bet_undo(
    *,
    wallet_id: int | None = None,
    version: int | None = None,
    locked: LockedWallet | None = None,
) -> list[Bet]:
    """Take back the last placement (a single bet, or the whole rebet or double)."""
    with _locked(wallet_id, version, locked) as wallet:
        open_bets = wallet.bets.filter(status=BetStatus.OPEN)
        last_batch = open_bets.aggregate(last=Max("batch"))["last"]
        if last_batch is None:
            raise TableError("There is no bet on the table to undo.")
        undone = list(open_bets.filter(batch=last_batch))
        wallet.bankroll += sum(bet.amount for bet in undone)
        open_bets.filter(batch=last_batch).delete()
    return undone


def bets_clear(
    *,
    wallet_id: int | None = None,
    version: int | None = None,
    locked: LockedWallet | None = None,
) -> int:
    """Take every open bet back; returns the chips returned to the bankroll."""
    with _locked(wallet_id, version, locked) as wallet:
        open_bets = wallet.bets.filter(status=BetStatus.OPEN)
        refund = open_bets.aggregate(total=Sum("amount"))["total"] or 0
        if not refund:
            raise TableError("The table is already clear.")
        open_bets.delete()
        wallet.bankroll += refund
    return refund


def bets_rebet(
    *,
    wallet_id: int | None = None,
    version: int | None = None,
    locked: LockedWallet | None = None,
) -> list[Bet]:
    """Place again every bet of the last spin of this wallet, as one placement."""
    with _locked(wallet_id, version, locked) as wallet:
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


def bets_double(
    *,
    wallet_id: int | None = None,
    version: int | None = None,
    locked: LockedWallet | None = None,
) -> list[Bet]:
    """Double every open bet: the same chips again on each spot, as one placement."""
    with _locked(wallet_id, version, locked) as wallet:
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
    wallet_id: int | None = None,
    version: int | None = None,
    rng: random.Random | None = None,
    locked: LockedWallet | None = None,
) -> Spin:
    """Spin this wallet's wheel and settle every open bet exactly once."""
    with _locked(wallet_id, version, locked) as wallet:
        open_bets = list(
            Bet.objects.filter(wallet_id=wallet.pk, status=BetStatus.OPEN)
            .order_by("id")
            .values_list("pk", "spot", "amount")
        )
        if not open_bets:
            raise TableError("Place a bet before spinning.")
        outcome = rules.spin(wallet.wheel, rng)
        now = timezone.now()
        # Settled in a few UPDATEs rather than one bulk_update (a CASE per column and
        # bet): the lost bets, then the won bets per payout, as each bet's net is its
        # amount times the odds, or minus its amount.
        lost: list[int] = []
        won: defaultdict[int, list[int]] = defaultdict(list)
        staked = returned = 0
        for pk, spot, amount in open_bets:
            domain = rules.bet_for_spot(wallet.wheel, spot, amount)
            staked += amount
            returned += domain.returned(outcome)
            if domain.wins(outcome):
                won[domain.odds].append(pk)
            else:
                lost.append(pk)
        spin = Spin.objects.create(
            wheel=wallet.wheel,
            pocket=str(outcome),
            wallet=wallet,
            round=wallet.round,
            staked=staked,
            returned=returned,
        )
        settled = {"spin": spin, "settled_at": now}
        if lost:
            Bet.objects.filter(pk__in=lost).update(
                status=BetStatus.LOST, net=F("amount") * -1, **settled
            )
        for odds, ids in won.items():
            Bet.objects.filter(pk__in=ids).update(
                status=BetStatus.WON, net=F("amount") * odds, **settled
            )
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


def wallet_reset(
    *,
    wallet_id: int | None = None,
    version: int | None = None,
    locked: LockedWallet | None = None,
) -> Wallet:
    """Start again with the starting bankroll; only once the chips are gone."""
    with _locked(wallet_id, version, locked) as wallet:
        if wallet.bets.filter(status=BetStatus.OPEN).exists():
            raise TableError("Spin or clear your open bets before resetting.")
        if wallet.bankroll >= conf.limits().smallest_bet:
            raise TableError("You can reset only when you cannot cover a minimum bet.")
        wallet.bankroll = conf.starting_bankroll()
        wallet.resets += 1
    return wallet


def wallet_set_wheel(
    *,
    wallet_id: int | None = None,
    wheel_name: str,
    version: int | None = None,
    locked: LockedWallet | None = None,
) -> Wallet:
    """Switch between the American and European wheel between rounds."""
    wheel_name = rules.check_wheel(wheel_name)
    with _locked(wallet_id, version, locked) as wallet:
        if wallet.wheel == wheel_name:
            raise TableError(f"You are already playing the {wheel_name} wheel.")
        if wallet.bets.filter(status=BetStatus.OPEN).exists():
            raise TableError("Spin or clear your open bets before changing wheel.")
        wallet.wheel = wheel_name
    return wallet
