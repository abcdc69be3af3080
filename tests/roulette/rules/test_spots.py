"""Pure tests of roulette.rules.spots: the layout spot notation."""

import pytest

from roulette import rules
from roulette.rules import AMERICAN, WHEELS, InvalidBet
from tests.roulette.roulette_support import all_bets


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
        rules.bet_for_spot(AMERICAN, spot, 5)


def test_spot_round_trip():
    for name in WHEELS:
        for bet in all_bets(name):
            assert rules.bet_for_spot(name, bet.spot, bet.amount) == bet
