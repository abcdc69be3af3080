"""Services: stakes reserved, limits, replays refused, settlement exactly once."""

import random

import pytest

from roulette import rules, services
from roulette.models import Bet, BetStatus, Spin, Wallet
from roulette.services import StaleAction, TableError
from tests.roulette.roulette_support import FixedRandom

pytestmark = pytest.mark.django_db


def place(wallet, spot, amount, version=None):
    kind, numbers = rules.parse_spot(wallet.wheel, spot)
    return services.bet_place(
        wallet_id=wallet.pk, kind=kind, numbers=numbers, amount=amount, version=version
    )


def fresh(wallet):
    wallet.refresh_from_db()
    return wallet


def test_new_session_wallet_starts_with_1000_chips():
    wallet = services.wallet_open(visitor_id="k" * 22)
    assert wallet.bankroll == 1000
    assert services.wallet_open(visitor_id="k" * 22).pk == wallet.pk
    found = services.wallet_of_visitor(visitor_ids=["k" * 22])
    assert found is not None and found.pk == wallet.pk


def test_starting_bankroll_is_read_from_settings_at_call_time(settings):
    settings.ROULETTE_STARTING_BANKROLL = 250
    assert services.wallet_create().bankroll == 250


def test_placing_a_bet_reserves_the_stake(wallet):
    bet = place(wallet, "straight:17", 5)
    assert fresh(wallet).bankroll == 995
    assert bet.status == BetStatus.OPEN and bet.amount == 5 and bet.odds == 35
    assert wallet.version == 1


def test_not_enough_chips_is_refused_and_changes_nothing():
    wallet = services.wallet_create(bankroll=30)
    with pytest.raises(TableError, match="Not enough chips: that needs 40"):
        place(wallet, "red", 40)
    assert fresh(wallet).bankroll == 30 and not Bet.objects.exists()
    assert wallet.version == 0


@pytest.mark.parametrize(
    ("spot", "amount", "reason"),
    [
        ("straight:17", 101, "Inside bets are limited to 100 chips per spot"),
        ("red", 4, "Outside bets need at least 5 chips per spot"),
        ("dozen:1", 501, "Outside bets are limited to 500"),
    ],
)
def test_table_limits_are_enforced(wallet, spot, amount, reason):
    with pytest.raises(TableError, match=reason):
        place(wallet, spot, amount)
    assert fresh(wallet).bankroll == 1000


def test_limits_count_chips_already_on_the_spot(wallet):
    place(wallet, "straight:17", 60)
    with pytest.raises(TableError, match=r"would have 120 \(60 already on it\)"):
        place(wallet, "straight:17", 60)
    place(wallet, "straight:17", 40)  # exactly the maximum is fine
    assert fresh(wallet).bankroll == 900


def test_limits_come_from_settings(wallet, settings):
    settings.ROULETTE_LIMITS = {"inside_max": 10}
    with pytest.raises(TableError, match="limited to 10 chips"):
        place(wallet, "split:1-2", 11)
    place(wallet, "red", 500)  # outside defaults still apply


def test_misconfigured_limits_are_reported(wallet, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.ROULETTE_LIMITS = {"inside_min": 50, "inside_max": 10}
    with pytest.raises(ImproperlyConfigured, match="inside_min exceeds inside_max"):
        place(wallet, "split:1-2", 11)
    settings.ROULETTE_LIMITS = {"outside_top": 10}
    with pytest.raises(ImproperlyConfigured, match="unknown keys: outside_top"):
        place(wallet, "red", 11)


def test_invalid_shape_is_refused_with_a_reason(wallet):
    with pytest.raises(rules.InvalidBet, match="do not form a split"):
        services.bet_place(wallet_id=wallet.pk, kind="split", numbers=[1, 5], amount=5)
    assert fresh(wallet).bankroll == 1000


def test_double_zero_is_refused_on_a_european_wallet():
    wallet = services.wallet_create(wheel_name="european")
    with pytest.raises(rules.InvalidBet, match="00 is not a pocket on the European"):
        services.bet_place(
            wallet_id=wallet.pk, kind="straight", numbers=["00"], amount=5
        )


def test_a_stale_version_is_refused(wallet):
    place(wallet, "straight:17", 5, version=0)
    with pytest.raises(StaleAction):
        place(wallet, "straight:17", 5, version=0)
    assert fresh(wallet).bankroll == 995 and Bet.objects.count() == 1


def test_spin_settles_every_open_bet_once():
    wallet = services.wallet_create()
    place(wallet, "straight:17", 10)
    place(wallet, "split:17-20", 10)
    place(wallet, "red", 100)
    place(wallet, "column:2", 20)
    spin = services.spin_resolve(
        wallet_id=wallet.pk, rng=FixedRandom(rules.AMERICAN, 17)
    )
    # 17 is black, in column 2: straight 10*36, split 10*18, column 20*3; red lost.
    assert spin.pocket == "17" and spin.staked == 140
    assert spin.returned == 360 + 180 + 60
    assert fresh(wallet).bankroll == 1000 - 140 + 600
    assert wallet.round == 2
    nets = dict(Bet.objects.values_list("spot", "net"))
    assert nets == {"straight:17": 350, "split:17-20": 170, "red": -100, "column:2": 40}
    assert not Bet.objects.filter(status=BetStatus.OPEN).exists()
    with pytest.raises(TableError, match="Place a bet before spinning"):
        services.spin_resolve(wallet_id=wallet.pk)
    assert Spin.objects.count() == 1


@pytest.mark.parametrize("seed", range(6))
def test_spin_settles_each_bet_as_the_rules_do(seed):
    """Many bets of every kind and size: each settled row has the rules' status and
    net, the spin and its time; the wallet gets back what the rules return."""
    rng = random.Random(seed)
    wallet = services.wallet_create(bankroll=100_000)
    placed = []
    for _ in range(30):
        kind = rng.choice(sorted(rules.PAYOUTS))
        shapes = sorted(rules.shapes(wallet.wheel, kind), key=sorted_pockets)
        if not shapes:
            continue
        bet = rules.make_bet(
            wallet.wheel, kind, rng.choice(shapes), rng.choice([5, 25])
        )
        try:
            placed.append(place(wallet, bet.spot, bet.amount))
        except TableError:  # over the spot's limit: skip it
            continue
    bankroll = fresh(wallet).bankroll
    spin = services.spin_resolve(wallet_id=wallet.pk, rng=random.Random(seed))
    outcome = rules.parse_pocket(spin.pocket)
    returned = 0
    for bet in Bet.objects.filter(pk__in=[b.pk for b in placed]):
        domain = rules.bet_for_spot(wallet.wheel, bet.spot, bet.amount)
        won = domain.wins(outcome)
        assert bet.status == (BetStatus.WON if won else BetStatus.LOST)
        assert bet.net == domain.net(outcome)
        assert bet.spin_id == spin.pk and bet.settled_at is not None
        returned += domain.returned(outcome)
    assert spin.staked == sum(b.amount for b in placed)
    assert spin.returned == returned == Spin.objects.get().returned
    assert fresh(wallet).bankroll == bankroll + returned


def sorted_pockets(shape):
    return sorted(rules.pocket_sort_key(p) for p in shape)


def test_a_locked_wallet_is_only_valid_inside_its_block():
    kind, numbers = rules.parse_spot(rules.AMERICAN, "red")
    with services.visitor_wallet_locked(visitor_ids=["k" * 22]) as locked:
        bet = services.bet_place(locked=locked, kind=kind, numbers=numbers, amount=5)
    wallet = services.wallet_open(visitor_id="k" * 22)
    assert wallet.version == 1 and wallet.bankroll == 995 and bet.wallet_id == wallet.pk
    with pytest.raises(RuntimeError):
        services.bet_place(locked=locked, kind=kind, numbers=numbers, amount=5)
    assert fresh(wallet).bankroll == 995


@pytest.mark.parametrize(("wheel_name", "zero"), [("american", "00"), ("american", 0)])
def test_zero_loses_every_outside_bet_at_the_table(wheel_name, zero):
    wallet = services.wallet_create(wheel_name=wheel_name)
    for spot in ("red", "black", "odd", "even", "low", "high", "dozen:1", "column:3"):
        place(wallet, spot, 10)
    spin = services.spin_resolve(wallet_id=wallet.pk, rng=FixedRandom(wheel_name, zero))
    assert spin.returned == 0 and fresh(wallet).bankroll == 920


def test_spin_refuses_a_replayed_round(wallet):
    place(wallet, "red", 10)
    version = fresh(wallet).version
    services.spin_resolve(wallet_id=wallet.pk, version=version)
    place(wallet, "red", 10)
    with pytest.raises(StaleAction):
        services.spin_resolve(wallet_id=wallet.pk, version=version)
    assert Spin.objects.count() == 1
    assert Bet.objects.filter(status=BetStatus.OPEN).count() == 1


def test_undo_takes_back_the_last_placement_only(wallet):
    place(wallet, "straight:17", 5)
    place(wallet, "red", 25)
    (undone,) = services.bet_undo(wallet_id=wallet.pk)
    assert undone.spot == "red"
    assert fresh(wallet).bankroll == 995
    services.bet_undo(wallet_id=wallet.pk)
    with pytest.raises(TableError, match="no bet on the table to undo"):
        services.bet_undo(wallet_id=wallet.pk)
    assert fresh(wallet).bankroll == 1000


def test_clear_returns_every_stake(wallet):
    place(wallet, "straight:17", 5)
    place(wallet, "red", 25)
    assert services.bets_clear(wallet_id=wallet.pk) == 30
    assert fresh(wallet).bankroll == 1000
    with pytest.raises(TableError, match="already clear"):
        services.bets_clear(wallet_id=wallet.pk)


def test_double_reserves_the_same_again_and_undo_takes_it_back_whole(wallet):
    place(wallet, "straight:17", 5)
    place(wallet, "straight:17", 5)
    place(wallet, "red", 25)
    doubled = services.bets_double(wallet_id=wallet.pk)
    assert sorted((b.spot, b.amount) for b in doubled) == [
        ("red", 25),
        ("straight:17", 10),
    ]
    assert fresh(wallet).bankroll == 1000 - 70
    services.bet_undo(wallet_id=wallet.pk)
    assert fresh(wallet).bankroll == 1000 - 35


def test_double_is_all_or_nothing(wallet):
    place(wallet, "red", 25)
    place(wallet, "straight:17", 60)
    with pytest.raises(TableError, match="limited to 100 chips per spot"):
        services.bets_double(wallet_id=wallet.pk)
    assert fresh(wallet).bankroll == 915 and Bet.objects.count() == 2


def test_double_needs_chips_for_every_bet():
    wallet = services.wallet_create(bankroll=100)
    place(wallet, "red", 60)
    with pytest.raises(TableError, match="Not enough chips"):
        services.bets_double(wallet_id=wallet.pk)
    assert fresh(wallet).bankroll == 40


def test_rebet_repeats_the_last_round(wallet):
    with pytest.raises(TableError, match="no previous round"):
        services.bets_rebet(wallet_id=wallet.pk)
    place(wallet, "straight:17", 5)
    place(wallet, "red", 25)
    services.spin_resolve(wallet_id=wallet.pk, rng=random.Random(1))
    before = fresh(wallet).bankroll
    again = services.bets_rebet(wallet_id=wallet.pk)
    assert sorted((b.spot, b.amount) for b in again) == [
        ("red", 25),
        ("straight:17", 5),
    ]
    assert fresh(wallet).bankroll == before - 30


def test_rebet_after_a_wheel_change_is_refused(wallet):
    place(wallet, "straight:00", 5)
    services.spin_resolve(wallet_id=wallet.pk)
    services.wallet_set_wheel(wallet_id=wallet.pk, wheel_name="european")
    with pytest.raises(TableError, match="other wheel"):
        services.bets_rebet(wallet_id=wallet.pk)


def test_wheel_change_needs_an_empty_table(wallet):
    place(wallet, "red", 5)
    with pytest.raises(TableError, match="before changing wheel"):
        services.wallet_set_wheel(wallet_id=wallet.pk, wheel_name="european")
    with pytest.raises(TableError, match="already playing"):
        services.wallet_set_wheel(wallet_id=wallet.pk, wheel_name="american")
    with pytest.raises(rules.InvalidBet, match="unknown wheel"):
        services.wallet_set_wheel(wallet_id=wallet.pk, wheel_name="french")


def test_reset_only_when_bankrupt():
    wallet = services.wallet_create(bankroll=10)
    with pytest.raises(TableError, match="only when you cannot cover"):
        services.wallet_reset(wallet_id=wallet.pk)
    place(wallet, "straight:1", 10)
    with pytest.raises(TableError, match="Spin or clear"):
        services.wallet_reset(wallet_id=wallet.pk)
    services.spin_resolve(wallet_id=wallet.pk, rng=FixedRandom("american", 2))
    reset = services.wallet_reset(wallet_id=wallet.pk)
    assert reset.bankroll == 1000 and reset.resets == 1


def test_wheel_service_spin_is_recorded_without_a_wallet():
    spin = services.wheel_spin(wheel_name="european", rng=FixedRandom("european", 0))
    assert spin.pocket == "0" and spin.wallet is None and spin.colour == "green"
    assert Spin.objects.get().wheel == "european"


@pytest.mark.parametrize("bankroll", [0, -5, 10**7, "100", 2.5, True])
def test_api_wallet_bankroll_is_validated(bankroll):
    with pytest.raises(TableError):
        services.wallet_create(bankroll=bankroll)
    assert not Wallet.objects.exists()
