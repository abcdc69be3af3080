"""The betting layout the table draws: every spot is a legal bet, in layout order."""

from roulette import rules
from roulette.layout import layout
from roulette.rules import WHEELS
from tests.roulette.roulette_support import all_bets


def test_every_layout_spot_is_a_legal_shape_and_every_shape_is_clickable():
    for name in WHEELS:
        lay = layout(name)
        spots = [s.spot for s in lay.zeros + lay.zero_edges]
        spots += [s.spot for s in lay.columns + lay.dozens + lay.even_money]
        for row in lay.rows:
            for cell in row:
                edges = [cell.right, cell.below, cell.corner, cell.street]
                edges += [cell.six_line]
                spots += [cell.straight.spot] + [e.spot for e in edges if e]
        assert len(spots) == len(set(spots))
        clicked = {rules.bet_for_spot(name, s, 1) for s in spots}
        assert clicked == set(all_bets(name, 1))


def test_layout_rows_read_3r_plus_1_to_3r_plus_3():
    rows = layout().rows
    assert [c.number for c in rows[0]] == [1, 2, 3]
    assert [c.number for c in rows[11]] == [34, 35, 36]
    assert rows[0][0].street.spot == "street:1-2-3"
    assert rows[0][0].corner.spot == "corner:1-2-4-5"
    assert rows[11][2].right is None and rows[11][2].below is None
