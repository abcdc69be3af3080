"""Reading the layout spot notation (``"split:17-20"``, ``"dozen:2"``, ``"red"``) that
``bets.spot_for`` writes: what a click on the layout means."""

from __future__ import annotations

from roulette.rules.bets import KIND_LABELS, PAYOUTS, Bet, make_bet
from roulette.rules.pockets import (
    EVEN_MONEY_SETS,
    InvalidBet,
    Pocket,
    check_pocket,
    check_wheel,
    outside_numbers,
)


def parse_spot(wheel: str, spot: str) -> tuple[str, frozenset[Pocket]]:
    """Decode a layout spot into ``(kind, numbers)``; raise InvalidBet when malformed.

    The shape itself is checked by ``make_bet``; this only reads the notation.
    """
    wheel = check_wheel(wheel)
    if not isinstance(spot, str) or not spot.strip() or len(spot) > 40:
        raise InvalidBet("choose a spot on the layout")
    kind, _, rest = spot.strip().partition(":")
    if kind in EVEN_MONEY_SETS:
        if rest:
            raise InvalidBet(f"a {kind} bet takes no numbers")
        return kind, frozenset(EVEN_MONEY_SETS[kind])
    if kind in ("column", "dozen"):
        if rest not in ("1", "2", "3"):
            raise InvalidBet(f"a {kind} bet needs to say which {kind} (1, 2 or 3)")
        return kind, frozenset(outside_numbers(kind, int(rest)))
    if kind not in PAYOUTS:
        raise InvalidBet(f"unknown bet kind {kind!r}")
    if not rest:
        raise InvalidBet(f"a {KIND_LABELS[kind].lower()} bet needs its numbers")
    parts = rest.split("-")
    numbers = [check_pocket(wheel, part) for part in parts]
    if len(set(numbers)) != len(numbers):
        raise InvalidBet("a pocket is listed more than once")
    return kind, frozenset(numbers)


def bet_for_spot(wheel: str, spot: str, amount: int) -> Bet:
    """The bet that a click on ``spot`` with a chip of ``amount`` means."""
    kind, numbers = parse_spot(wheel, spot)
    return make_bet(wheel, kind, numbers, amount)
