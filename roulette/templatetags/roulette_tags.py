"""Template helpers for the roulette pages."""

from functools import lru_cache

from django import template
from django.utils.html import format_html

from roulette.wheel import Spot

register = template.Library()


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
    about 160 of them; a spot without chips is the same markup on every page, so it
    is built once and cached, which keeps the table page render to a few ms.
    """
    state = context.get("state")
    on_spot = getattr(state, "on_spot", None) or {}
    amount = on_spot.get(spot.spot, 0)
    if not amount:
        return _empty_button(spot, css, str(text), str(row), str(col))
    return _button(spot, css, str(text), str(row), str(col), amount)


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
