"""Forms of the chess app: create a game, and the no-JavaScript command form."""

from __future__ import annotations

from typing import Any

from django import forms

from chess.clock import PRESETS
from chess.models import ColourChoice

NO_CLOCK = "none"
CUSTOM_CLOCK = "custom"
TIME_CONTROLS = [
    (NO_CLOCK, "No clock"),
    *[(name, name) for name, _, _ in PRESETS],
    (CUSTOM_CLOCK, "Custom"),
]

COMMANDS = [
    ("move", "Move"),
    ("resign", "Resign"),
    ("draw_offer", "Offer a draw"),
    ("draw_accept", "Accept the draw"),
    ("draw_decline", "Decline the draw"),
    ("draw_claim", "Claim a draw"),
    ("abort", "Abort"),
    ("rematch", "Rematch"),
    ("flag", "Claim a win on time"),
    ("gone_claim", "Claim: opponent left"),
]


class GameCreateForm(forms.Form):
    colour = forms.ChoiceField(
        label="Play as",
        choices=ColourChoice.choices,
        initial=ColourChoice.RANDOM,
        widget=forms.RadioSelect,
    )
    # Optional so that a bare {"colour": ...} post still makes an untimed game.
    time_control = forms.ChoiceField(
        label="Time control (minutes + seconds per move)",
        choices=TIME_CONTROLS,
        initial=NO_CLOCK,
        required=False,
        widget=forms.RadioSelect,
    )
    base_minutes = forms.IntegerField(
        label="Custom: minutes per side",
        min_value=1,
        max_value=180,
        required=False,
    )
    increment_seconds = forms.IntegerField(
        label="Custom: seconds added per move",
        min_value=0,
        max_value=60,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        """Resolve the time control to `base_seconds` (None: untimed) and
        `increment_seconds`."""
        super().clean()
        data = self.cleaned_data
        choice = data.get("time_control") or NO_CLOCK
        presets = {name: (base, inc) for name, base, inc in PRESETS}
        if choice == CUSTOM_CLOCK:
            if data.get("base_minutes") is None and "base_minutes" not in self.errors:
                self.add_error("base_minutes", "Enter the minutes per side (1-180).")
            base = data.get("base_minutes")
            data["base_seconds"] = base * 60 if base is not None else None
            data["increment_seconds"] = data.get("increment_seconds") or 0
        elif choice in presets:
            data["base_seconds"], data["increment_seconds"] = presets[choice]
        else:
            data["base_seconds"], data["increment_seconds"] = None, 0
        return data


class CommandForm(forms.Form):
    """One game command posted by a page without JavaScript (PRG)."""

    command = forms.ChoiceField(choices=COMMANDS)
    uci = forms.RegexField(
        label="Your move (UCI, e.g. e2e4)",
        regex=r"^[a-h][1-8][a-h][1-8][qrbn]?$",
        required=False,
        max_length=5,
        error_messages={"invalid": "Write the move as e2e4 (or e7e8q to promote)."},
    )
    ply = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("command") == "move" and (
            not data.get("uci") or data.get("ply") is None
        ):
            raise forms.ValidationError("Enter a move.")
        return data
