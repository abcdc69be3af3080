"""The Python-built betting layout (ADR 0008) shows the browser exactly what the
template loop showed: the same elements, classes, attributes, accessible names and
texts, on both wheels, with and without chips and a winning number.

Compared after parsing (html.parser), so only the whitespace between tags may differ.
"""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import engines

from roulette import rules
from roulette.layout import Layout, layout
from roulette.templatetags.roulette_tags import layout_markup
from tests.roulette.layout_reference import render_reference

BUTTONS = {rules.AMERICAN: 161, rules.EUROPEAN: 157}

Event = tuple[Any, ...]


class _Parsed(HTMLParser):
    """The markup as a list of events (attributes sorted, blank text dropped), and
    each spot button by its value: attributes, text and stake."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[Event] = []
        self.buttons: dict[str, dict[str, Any]] = {}
        self._button: dict[str, Any] | None = None
        self._in_stake = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, tuple(sorted(attrs))))
        attributes = dict(attrs)
        if tag == "button" and attributes.get("name") == "spot":
            assert attributes["value"] not in self.buttons, "a spot drawn twice"
            self._button = {"attrs": attributes, "text": "", "stake": None}
            self.buttons[str(attributes["value"])] = self._button
        elif tag == "span" and self._button is not None:
            assert attributes == {"class": "rl-stake", "aria-hidden": "true"}
            self._in_stake = True

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))
        if tag == "span":
            self._in_stake = False
        elif tag == "button":
            self._button = None

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.events.append(("text", data.strip()))
        if self._button is not None:
            if self._in_stake:
                self._button["stake"] = data
            else:
                self._button["text"] += data


def _state(lay: Layout, on_spot: dict[str, int], winning: str | None) -> Any:
    """What the layout reads of a TableState."""
    last_spin = SimpleNamespace(pocket=SimpleNamespace(pocket=winning))
    return SimpleNamespace(
        layout=lay, on_spot=on_spot, last_spin=last_spin if winning else None
    )


def _rendered(state: Any) -> str:
    """Through the template engine, as table.html includes it."""
    tag = engines["django"].from_string(
        "{% load roulette_tags %}{% betting_layout s %}"
    )
    return tag.render({"s": state})


def _spots(lay: Layout) -> list[str]:
    return list(layout_markup(lay.wheel).buttons)


def _scenarios(wheel: str) -> list[tuple[str, dict[str, int], str | None]]:
    lay = layout(wheel)
    zero = str(lay.zeros[0].short)
    every = {spot: index + 1 for index, spot in enumerate(_spots(lay))}
    others = {s for w in rules.WHEELS if w != wheel for s in _spots(layout(w))}
    off_layout = {spot: 5 for spot in sorted(others - set(every))}
    assert off_layout
    scenarios = [
        ("empty", {}, None),
        ("a few chips", {"straight:17": 30, "red": 25, "split:17-20": 5}, None),
        ("a win, no chips", {}, "17"),
        ("chips and a win", {"straight:17": 30, "corner:13-14-16-17": 5}, "17"),
        ("chips and a win on zero", {f"straight:{zero}": 5, "high": 25}, zero),
        ("chips on every spot", every, "36"),
        # Stakes on spots only the other wheel has are not drawn, as before.
        ("stakes off the layout", off_layout, "00"),
    ]
    scenarios += [
        (f"win on {pocket}", {}, str(pocket)) for pocket in rules.pockets(wheel)
    ]
    return scenarios


CASES = [
    pytest.param(wheel, on_spot, winning, id=f"{wheel}-{name}")
    for wheel in rules.WHEELS
    for name, on_spot, winning in _scenarios(wheel)
]


@pytest.mark.parametrize(("wheel", "on_spot", "winning"), CASES)
def test_layout_markup_matches_the_template_loop(wheel, on_spot, winning):
    state = _state(layout(wheel), on_spot, winning)
    new, old = _Parsed(_rendered(state)), _Parsed(render_reference(state))
    assert len(new.buttons) == BUTTONS[wheel]
    # Button by button first, for a readable failure; then the whole tree, in order.
    assert new.buttons == old.buttons
    assert new.events == old.events
    staked = {s: a for s, a in on_spot.items() if s in new.buttons}
    assert {s: b["stake"] for s, b in new.buttons.items() if b["stake"]} == {
        s: str(a) for s, a in staked.items()
    }
    marked = [e for e in new.events if e[0] == "start" and "rl-win" in str(e[2])]
    assert len(marked) == (1 if winning and winning not in ("0", "00") else 0)


def test_each_wheel_is_built_once_and_requests_do_not_change_it():
    markup = layout_markup(rules.AMERICAN)
    assert layout_markup(rules.AMERICAN) is markup
    assert layout_markup(rules.EUROPEAN) is not markup
    plain = markup.render({}, None)
    busy = markup.render({spot: 5 for spot in markup.buttons}, "17")
    assert busy.count("has-stake") == BUTTONS[rules.AMERICAN]
    assert markup.render({}, None) == plain
    assert "has-stake" not in plain and "rl-win" not in plain
