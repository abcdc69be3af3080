"""Template helpers for the roulette pages: the betting layout, signed results and
the table's form URLs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from roulette.layout import Spot, layout

register = template.Library()


@register.filter
def signed(value: int) -> str:
    """``+25`` / ``-10`` / ``0`` for results; a real minus sign for screen readers."""
    if not isinstance(value, int | float):
        return ""
    if value > 0:
        return f"+{value:g}"
    if value < 0:
        return f"\u2212{-value:g}"
    return "0"


# --- The betting layout -------------------------------------------------------
#
# About 160 spot buttons, built in Python. Everything that depends on the wheel only
# (the cells, the buttons' classes, data attributes, accessible names and label
# texts) is built and escaped once per wheel. A request joins those pieces, swapping
# in the few buttons that hold chips and the winning number's cell.


class _Button(NamedTuple):
    """A spot button's escaped markup around the parts that depend on the visitor:
    ``head`` + [`` has-stake``] + ``label`` + [``, N chips on it``] + ``tail`` +
    [the stake] + ``</button>``."""

    position: int  # where the button sits in LayoutMarkup.pieces
    head: SafeString  # '<button ... class="rl-num rl-red'
    label: SafeString  # '" aria-label="Straight 17, pays 35 to 1'
    tail: SafeString  # '" title="Straight 17" data-row="6" data-col="2">17'

    def with_stake(self, amount: int) -> SafeString:
        return format_html(
            '{} has-stake{}, {} chips on it{}<span class="rl-stake" '
            'aria-hidden="true">{}</span></button>',
            self.head,
            self.label,
            amount,
            self.tail,
            amount,
        )


@dataclass(frozen=True)
class LayoutMarkup:
    """The betting layout of one wheel as escaped pieces of markup.

    ``"".join(pieces)`` is the layout with no chips and no winning number. Each
    button is a piece of its own (``buttons`` gives its index by spot), and so is
    the opening tag of each number's cell (``win_cells`` gives its index and the
    tag marked ``rl-win``, by pocket).
    """

    pieces: tuple[SafeString, ...]
    buttons: Mapping[str, _Button]
    win_cells: Mapping[str, tuple[int, SafeString]]

    def render(self, on_spot: Mapping[str, int], winning: str | None) -> SafeString:
        if not on_spot and winning is None:
            return mark_safe("".join(self.pieces))
        pieces = list(self.pieces)
        for spot, amount in on_spot.items():
            button = self.buttons.get(spot)
            if button is not None and amount:
                pieces[button.position] = button.with_stake(amount)
        cell = self.win_cells.get(winning) if winning is not None else None
        if cell is not None:
            pieces[cell[0]] = cell[1]
        return mark_safe("".join(pieces))


class _Builder:
    """Collects the pieces of a LayoutMarkup in page order."""

    def __init__(self) -> None:
        self.pieces: list[SafeString] = []
        self.buttons: dict[str, _Button] = {}
        self.win_cells: dict[str, tuple[int, SafeString]] = {}

    def add(self, markup: SafeString) -> None:
        self.pieces.append(markup)

    def win_cell(self, pocket: str, plain: SafeString, marked: SafeString) -> None:
        self.win_cells[pocket] = (len(self.pieces), marked)
        self.pieces.append(plain)

    def button(
        self,
        spot: Spot,
        css: str,
        text: object = "",
        row: int | None = None,
        col: int | None = None,
    ) -> None:
        """A submit button named ``spot``; ``row``/``col`` for the arrow keys (the
        numbers only; the zeros are row 0)."""
        coords = (
            format_html(' data-row="{}" data-col="{}"', row, col)
            if row is not None
            else ""
        )
        parts = _Button(
            len(self.pieces),
            format_html(
                '<button type="submit" name="spot" value="{}" class="{}', spot.spot, css
            ),
            format_html('" aria-label="{}', spot.aria_label),
            format_html('" title="{}"{}>{}', spot.label, coords, text),
        )
        self.buttons[spot.spot] = parts
        self.pieces.append(
            mark_safe(parts.head + parts.label + parts.tail + "</button>")
        )

    def build(self) -> LayoutMarkup:
        return LayoutMarkup(
            tuple(self.pieces),
            MappingProxyType(self.buttons),
            MappingProxyType(self.win_cells),
        )


@lru_cache(maxsize=8)
def layout_markup(wheel: str) -> LayoutMarkup:
    """The escaped pieces of ``wheel``'s betting layout, built once per wheel."""
    lay = layout(wheel)
    b = _Builder()
    b.add(
        format_html(
            '<div class="rl-layout rl-{}" role="group" aria-label="Betting layout" '
            'aria-describedby="rl-hint">\n',
            lay.wheel,
        )
    )
    for col, zero in enumerate(lay.zeros, start=1):
        b.add(format_html('<div class="rl-cell rl-zero rl-zero-{}">', col))
        b.button(zero, "rl-num rl-green", zero.short, 0, col)
        b.add(mark_safe("</div>\n"))
    for row, cells in enumerate(lay.rows, start=1):
        for col, cell in enumerate(cells, start=1):
            # The row is a class, not a style attribute: the CSP allows no inline style.
            opening = '<div class="rl-cell rl-c{} rl-row-{}{}">'
            b.win_cell(
                str(cell.number),
                format_html(opening, col, row + 1, ""),
                format_html(opening, col, row + 1, " rl-win"),
            )
            b.button(cell.straight, f"rl-num rl-{cell.colour}", cell.number, row, col)
            for edge, css in (
                (cell.right, "rl-edge rl-right"),
                (cell.below, "rl-edge rl-below"),
                (cell.corner, "rl-edge rl-corner"),
                (cell.street, "rl-edge rl-street"),
                (cell.six_line, "rl-edge rl-six"),
            ):
                if edge is not None:
                    b.button(edge, css)
            b.add(mark_safe("</div>\n"))
    for index, dozen in enumerate(lay.dozens, start=1):
        b.add(format_html('<div class="rl-cell rl-dozen rl-dozen-{}">', index))
        b.button(dozen, "rl-out", dozen.short)
        b.add(mark_safe("</div>\n"))
    for index, bet in enumerate(lay.even_money, start=1):
        b.add(format_html('<div class="rl-cell rl-even rl-even-{}">', index))
        b.button(bet, f"rl-out rl-{bet.kind}", bet.short)
        b.add(mark_safe("</div>\n"))
    for index, column in enumerate(lay.columns, start=1):
        b.add(format_html('<div class="rl-cell rl-column rl-c{}">', index))
        b.button(column, "rl-out", column.short)
        b.add(mark_safe("</div>\n"))
    b.add(
        mark_safe(
            '</div>\n<div class="rl-zero-bets" role="group" aria-label="Bets with '
            'zero">\n<span class="muted">With zero:</span>\n'
        )
    )
    for edge in lay.zero_edges:
        b.button(edge, "rl-out rl-small", edge.label)
        b.add(mark_safe("\n"))
    b.add(mark_safe("</div>"))
    return b.build()


@register.simple_tag
def betting_layout(state: Any) -> SafeString:
    """The betting layout of ``state`` (a ``TableState``): every spot a submit button
    named ``spot`` with the chips of ``state.on_spot`` on it, and the last spin's
    winning number marked ``rl-win``; then the bets with zero."""
    last_spin = state.last_spin
    winning = last_spin.pocket.pocket if last_spin else None
    return layout_markup(state.layout.wheel).render(state.on_spot or {}, winning)


@register.simple_tag
def roulette_url(name: str) -> str:
    """``{% url 'roulette:<name>' %}`` for the table's forms, reversed once per script
    prefix: the page has ten of them."""
    return _reversed(f"roulette:{name}", get_script_prefix())


@lru_cache(maxsize=64)
def _reversed(view_name: str, script_prefix: str) -> str:
    return reverse(view_name)


# --- The rest of the table page -------------------------------------------------
#
# The table page's lists (chips, stakes, settled bets, recent, hot and cold pockets,
# wheels) are joined from markup built with format_html, and its figures are turned
# into text once per request: through the template engine each loop iteration, each
# variable lookup and each localised number costs microseconds, and the page had a
# couple of hundred of them. Markup that depends only on immutable values (a pocket
# and its count, the chip values, the wheels, the limits) is cached by those values.


@register.simple_tag(takes_context=True)
def table_figures(context: template.Context, state: Any) -> dict[str, Any]:
    """The figures of ``state`` (a ``TableState``) that the table page prints, as text
    (ints printed as ``{{ n }}`` would be, without the localisation's cost per
    number); the reversed URLs of its forms; and ``hidden``, the two hidden inputs
    every form of the table posts: the CSRF token (as ``{% csrf_token %}``
    renders it) and the wallet version the page shows."""
    wallet = state.wallet
    version = str(wallet.version)
    token = context.get("csrf_token")
    csrf = (
        format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
        )
        if token and token != "NOTPROVIDED"
        else ""
    )
    return {
        "version": version,
        "hidden": format_html(
            '{}<input type="hidden" name="version" value="{}">', csrf, version
        ),
        "bankroll": str(wallet.bankroll),
        "reserved": str(state.reserved),
        "round": str(wallet.round),
        "wheel_label": wallet.get_wheel_display(),
        "url": _table_urls(get_script_prefix()),
    }


_TABLE_FORMS = (
    "bet_place",
    "spin",
    "bet_undo",
    "bets_clear",
    "bets_rebet",
    "bets_double",
    "reset",
    "wheel_type",
    "simulator",
    "wheel",
)


@lru_cache(maxsize=16)
def _table_urls(script_prefix: str) -> Mapping[str, str]:
    return MappingProxyType(
        {name: _reversed(f"roulette:{name}", script_prefix) for name in _TABLE_FORMS}
    )


@register.simple_tag
def chip_choices(chips: tuple[int, ...], selected: int) -> SafeString:
    """The chip selector's radio buttons, ``selected`` checked."""
    return _chip_choices(tuple(chips), selected)


@lru_cache(maxsize=64)
def _chip_choices(chips: tuple[int, ...], selected: int) -> SafeString:
    return format_html_join(
        "\n",
        '<label class="rl-chip"><input type="radio" name="chip" value="{}"{}>'
        "<span>{}</span></label>",
        ((chip, " checked" if chip == selected else "", chip) for chip in chips),
    )


@register.simple_tag
def wheel_choices(wheels: Any, selected: str) -> SafeString:
    """The wheel form's radio buttons, ``selected`` checked."""
    return _wheel_choices(tuple(wheels), selected)


@lru_cache(maxsize=16)
def _wheel_choices(wheels: tuple[tuple[str, str], ...], selected: str) -> SafeString:
    return format_html_join(
        "\n",
        '<label><input type="radio" name="wheel" value="{}"{}> {}</label>',
        (
            (value, " checked" if value == selected else "", label)
            for value, label in wheels
        ),
    )


@register.simple_tag
def limits_note(limits: Any) -> SafeString:
    """The table limits line (``limits`` is an immutable ``conf.Limits``)."""
    return _limits_note(limits)


@lru_cache(maxsize=16)
def _limits_note(limits: Any) -> SafeString:
    return format_html(
        '<p class="muted rl-limits">Limits per spot: inside {}–{}, outside {}–{} '
        "chips.</p>",
        limits.inside_min,
        limits.inside_max,
        limits.outside_min,
        limits.outside_max,
    )


@register.simple_tag
def stake_rows(stakes: Any) -> SafeString:
    """The open stakes' table rows."""
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{} to 1</td></tr>",
        ((stake.label, stake.amount, stake.odds) for stake in stakes),
    )


@register.simple_tag
def spin_figures(spin: Any) -> dict[str, str]:
    """The result panel's figures of ``spin`` (a ``LastSpin``), as text."""
    net = spin.net
    return {
        "round": str(spin.round) if spin.round else "",
        "pocket": spin.pocket.pocket,
        "colour": spin.pocket.colour,
        "colour_label": capfirst(spin.pocket.colour),
        "net_class": "is-win" if net > 0 else "is-loss" if net < 0 else "",
        "net": signed(net),
        "staked": str(spin.staked),
        "returned": str(spin.returned),
    }


@register.simple_tag
def settled_rows(bets: Any) -> SafeString:
    """The last spin's settled stakes, as table rows."""
    return format_html_join(
        "\n",
        '<tr class="{}">\n<td>{}</td><td>{}</td>\n<td>{} {}</td>\n</tr>',
        (
            (
                "is-win" if bet.status == "won" else "is-loss",
                bet.label,
                bet.amount,
                "Won" if bet.status == "won" else "Lost",
                signed(bet.net),
            )
            for bet in bets
        ),
    )


@register.simple_tag
def pocket_strip(pockets: Any) -> SafeString:
    """Recent results: one ball per pocket, its colour spelled out for screen
    readers."""
    return mark_safe("".join(_recent_ball(pocket) for pocket in pockets))


@lru_cache(maxsize=256)
def _recent_ball(pocket: Any) -> SafeString:
    return format_html(
        '<li class="rl-ball rl-{}"><span class="visually-hidden">{} </span>{}</li>',
        pocket.colour,
        pocket.colour,
        pocket.pocket,
    )


@register.simple_tag
def counted_strip(pockets: Any) -> SafeString:
    """Hot or cold pockets: one ball per pocket with its count."""
    return mark_safe("".join(_counted_ball(pocket) for pocket in pockets))


@lru_cache(maxsize=4096)
def _counted_ball(pocket: Any) -> SafeString:
    return format_html(
        '<li class="rl-ball rl-{}" title="{} times">{}<small>×{}</small></li>',
        pocket.colour,
        pocket.count,
        pocket.pocket,
        pocket.count,
    )
