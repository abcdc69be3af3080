"""Template helpers for the roulette pages.

The betting layout (about 160 spot buttons) is the same markup for every visitor of a
wheel except for the chips on spots and the winning number. ``betting_layout`` renders
the ``layout`` partial of ``roulette/table.html`` once per wheel, with ``spot_button``
and ``win_mark`` leaving a marked slot where per-visitor content goes, and caches the
result as static pieces; each page then only joins those pieces, filling the few slots
that have chips. Profiling showed the layout loop was most of the table page's time.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from roulette.wheel import Layout, Spot

register = template.Library()

LAYOUT_PARTIAL = "roulette/table.html#layout"
# Context key set only while the layout partial is compiled; its value collects slots.
_SLOTS = "_roulette_layout_slots"
# Marks a slot in the compiled markup; never part of real template output.
_MARK = "\x00"
WIN_CLASS = " rl-win"
ButtonArgs = tuple[Spot, str, str, str, str]


@register.filter
def stake_on(on_spot: dict[str, int], spot: str) -> int:
    """Chips on ``spot``, 0 when none: ``{{ state.on_spot|stake_on:spot.spot }}``."""
    return on_spot.get(spot, 0) if isinstance(on_spot, dict) else 0


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


@register.simple_tag(takes_context=True)
def spot_button(
    context: template.Context,
    spot: Spot,
    css: str,
    text: object = "",
    row: object = "",
    col: object = "",
) -> str:
    """One clickable spot of the layout: a submit button named ``spot``.

    Built in Python rather than with an included template because the layout has
    about 160 of them. While ``betting_layout`` compiles the layout it leaves a slot
    instead; otherwise it reads the chips from ``state.on_spot``.
    """
    args = (spot, css, str(text), str(row), str(col))
    slots = context.get(_SLOTS)
    if slots is not None:
        slots.append(("spot", args))
        return mark_safe(_MARK)
    state = context.get("state")
    on_spot = getattr(state, "on_spot", None) or {}
    amount = on_spot.get(spot.spot, 0)
    if not amount:
        return _empty_button(*args)
    return _button(*args, amount)


@register.simple_tag(takes_context=True)
def win_mark(context: template.Context, number: object) -> str:
    """`` rl-win`` on the layout cell of the last spin's winning number."""
    slots = context.get(_SLOTS)
    if slots is not None:
        slots.append(("win", str(number)))
        return mark_safe(_MARK)
    last_spin = getattr(context.get("state"), "last_spin", None)
    return WIN_CLASS if last_spin and last_spin.pocket.pocket == str(number) else ""


@register.simple_tag
def roulette_url(name: str) -> str:
    """``{% url 'roulette:<name>' %}`` for the table's forms, reversed once per script
    prefix: the page has ten of them, and reversing them measured about a quarter of
    its render time once the layout was cached."""
    return _reversed(f"roulette:{name}", get_script_prefix())


@lru_cache(maxsize=64)
def _reversed(view_name: str, script_prefix: str) -> str:
    return reverse(view_name)


@register.simple_tag
def betting_layout(state: Any) -> SafeString:
    """The betting layout of ``state`` (a ``TableState``): the cached markup of its
    wheel with this visitor's chips and the last winning number filled in."""
    last_spin = state.last_spin
    win = last_spin.pocket.pocket if last_spin else None
    return _compiled_layout(state.layout).render(state.on_spot, win)


@lru_cache(maxsize=1024)
def _empty_button(spot: Spot, css: str, text: str, row: str, col: str) -> str:
    return _button(spot, css, text, row, col, 0)


def _button(spot: Spot, css: str, text: str, row: str, col: str, amount: int) -> str:
    label = spot.aria_label + (f", {amount} chips on it" if amount else "")
    stake = (
        format_html('<span class="rl-stake" aria-hidden="true">{}</span>', amount)
        if amount
        else ""
    )
    position = format_html(' data-row="{}" data-col="{}"', row, col) if row else ""
    return format_html(
        '<button type="submit" name="spot" value="{}" class="{}{}" aria-label="{}" '
        'title="{}"{}>{}{}</button>',
        spot.spot,
        css,
        " has-stake" if amount else "",
        label,
        spot.label,
        position,
        text,
        stake,
    )


@dataclass(frozen=True)
class CompiledLayout:
    """The layout as static pieces; slot pieces hold their no-chips default."""

    pieces: tuple[str, ...]
    spots: dict[str, list[tuple[int, ButtonArgs]]]
    wins: dict[str, int]

    def render(self, on_spot: dict[str, int], win: str | None) -> SafeString:
        pieces = list(self.pieces)
        for spot, amount in on_spot.items():
            for index, args in self.spots.get(spot, ()) if amount else ():
                pieces[index] = _button(*args, amount)
        if win in self.wins:
            pieces[self.wins[win]] = WIN_CLASS
        return mark_safe("".join(pieces))  # pieces are escaped markup


# Keyed by the loaded partial, so a template reloaded in development (a new object)
# is compiled afresh; then by wheel.
_compiled: weakref.WeakKeyDictionary[Any, dict[str, CompiledLayout]] = (
    weakref.WeakKeyDictionary()
)
_compile_lock = threading.Lock()


def _compiled_layout(layout: Layout) -> CompiledLayout:
    partial = get_template(LAYOUT_PARTIAL)
    key = getattr(partial, "template", partial)
    cached = _compiled.get(key, {}).get(layout.wheel)
    if cached is not None:
        return cached
    with _compile_lock:
        slots: list[tuple[str, Any]] = []
        html = partial.render({"layout": layout, _SLOTS: slots}).strip()
        texts = html.split(_MARK)
        if len(texts) != len(slots) + 1:
            raise template.TemplateSyntaxError(
                f"{LAYOUT_PARTIAL}: {len(slots)} slots but {len(texts) - 1} marks"
            )
        pieces: list[str] = [texts[0]]
        spots: dict[str, list[tuple[int, ButtonArgs]]] = {}
        wins: dict[str, int] = {}
        for (kind, value), text in zip(slots, texts[1:], strict=True):
            if kind == "spot":
                spots.setdefault(value[0].spot, []).append((len(pieces), value))
                pieces.append(_empty_button(*value))
            else:
                wins[value] = len(pieces)
                pieces.append("")
            pieces.append(text)
        compiled = CompiledLayout(tuple(pieces), spots, wins)
        _compiled.setdefault(key, {})[layout.wheel] = compiled
    return compiled
