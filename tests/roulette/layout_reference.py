"""The betting layout as the table template drew it before ADR 0008: a template loop
calling the ``spot_button`` and ``win_mark`` tags per spot. Kept, unchanged, as the
reference that ``roulette_tags.betting_layout`` must match (test_layout_markup.py).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from roulette.layout import Spot

register = template.Library()


@register.simple_tag(takes_context=True)
def spot_button(
    context: template.Context,
    spot: Spot,
    css: str,
    text: object = "",
    row: object = "",
    col: object = "",
) -> SafeString:
    on_spot = getattr(context.get("state"), "on_spot", None) or {}
    amount = on_spot.get(spot.spot, 0)
    label = spot.aria_label + (f", {amount} chips on it" if amount else "")
    stake = (
        format_html('<span class="rl-stake" aria-hidden="true">{}</span>', amount)
        if amount
        else ""
    )
    position = format_html(' data-row="{}" data-col="{}"', row, col) if str(row) else ""
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


@register.simple_tag(takes_context=True)
def win_mark(context: template.Context, number: object) -> str:
    last_spin = getattr(context.get("state"), "last_spin", None)
    return " rl-win" if last_spin and last_spin.pocket.pocket == str(number) else ""


# The block of templates/roulette/table.html that `{% betting_layout state %}` replaced.
REFERENCE = """{% load layout_reference %}
      {% with layout=state.layout %}
      <div class="rl-layout rl-{{ layout.wheel }}" role="group" aria-label="Betting layout" aria-describedby="rl-hint">
        {% for zero in layout.zeros %}
          <div class="rl-cell rl-zero rl-zero-{{ forloop.counter }}">
            {% spot_button zero "rl-num rl-green" zero.short 0 forloop.counter %}
          </div>
        {% endfor %}
        {% for cells in layout.rows %}
          {% for cell in cells %}
            <div class="rl-cell rl-c{{ forloop.counter }} rl-row-{{ forloop.parentloop.counter|add:1 }}{% win_mark cell.number %}">
              {% spot_button cell.straight "rl-num rl-"|add:cell.colour cell.number forloop.parentloop.counter forloop.counter %}
              {% if cell.right %}{% spot_button cell.right "rl-edge rl-right" %}{% endif %}
              {% if cell.below %}{% spot_button cell.below "rl-edge rl-below" %}{% endif %}
              {% if cell.corner %}{% spot_button cell.corner "rl-edge rl-corner" %}{% endif %}
              {% if cell.street %}{% spot_button cell.street "rl-edge rl-street" %}{% endif %}
              {% if cell.six_line %}{% spot_button cell.six_line "rl-edge rl-six" %}{% endif %}
            </div>
          {% endfor %}
        {% endfor %}
        {% for dozen in layout.dozens %}
          <div class="rl-cell rl-dozen rl-dozen-{{ forloop.counter }}">{% spot_button dozen "rl-out" dozen.short %}</div>
        {% endfor %}
        {% for bet in layout.even_money %}
          <div class="rl-cell rl-even rl-even-{{ forloop.counter }}">{% spot_button bet "rl-out rl-"|add:bet.kind bet.short %}</div>
        {% endfor %}
        {% for column in layout.columns %}
          <div class="rl-cell rl-column rl-c{{ forloop.counter }}">{% spot_button column "rl-out" column.short %}</div>
        {% endfor %}
      </div>

      <div class="rl-zero-bets" role="group" aria-label="Bets with zero">
        <span class="muted">With zero:</span>
        {% for edge in layout.zero_edges %}
          {% spot_button edge "rl-out rl-small" edge.label %}
        {% endfor %}
      </div>
      {% endwith %}
"""  # noqa: E501

_engine = template.Engine(libraries={"layout_reference": __name__})
_reference = _engine.from_string(REFERENCE)


def render_reference(state: Any) -> str:
    """The layout of ``state`` as the template loop rendered it."""
    return _reference.render(template.Context({"state": state}))
