"""Forms of the chess app: create a game, and the no-JavaScript command form."""

from __future__ import annotations

from django import forms

from chess.models import ColourChoice

COMMANDS = [
    ("move", "Move"),
    ("resign", "Resign"),
    ("draw_offer", "Offer a draw"),
    ("draw_accept", "Accept the draw"),
    ("draw_decline", "Decline the draw"),
    ("draw_claim", "Claim a draw"),
    ("abort", "Abort"),
    ("rematch", "Rematch"),
]


class GameCreateForm(forms.Form):
    colour = forms.ChoiceField(
        label="Play as",
        choices=ColourChoice.choices,
        initial=ColourChoice.RANDOM,
        widget=forms.RadioSelect,
    )


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

    def clean(self) -> dict:
        data = super().clean()
        if data.get("command") == "move" and (
            not data.get("uci") or data.get("ply") is None
        ):
            raise forms.ValidationError("Enter a move.")
        return data
