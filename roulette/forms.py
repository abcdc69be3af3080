"""Forms of the roulette pages: every POST and the simulator's GET validate here."""

from __future__ import annotations

from typing import Any

from django import forms

from roulette import conf, rules


class TableActionForm(forms.Form):
    """A button on the table: carries the wallet version the page was rendered with.

    The version makes each form single-use: a double click, the back button or a
    second tab submits an old version and is refused without changing anything.
    """

    version = forms.IntegerField(
        min_value=0,
        widget=forms.HiddenInput,
        error_messages={
            "required": "That form was incomplete; use the buttons on the table.",
            "invalid": "That form was incomplete; use the buttons on the table.",
            "min_value": "That form was incomplete; use the buttons on the table.",
        },
    )


class PlaceBetForm(TableActionForm):
    """A click on the layout: the spot clicked and the chip value selected."""

    spot = forms.CharField(
        max_length=40, error_messages={"required": "Click a spot on the layout."}
    )
    chip = forms.TypedChoiceField(
        coerce=int,
        # A callable: the chip values are read from the settings at each use.
        choices=lambda: [(c, f"{c}") for c in conf.chip_values()],
        label="Chip value",
        error_messages={
            "invalid_choice": "Choose one of the chip values on the table."
        },
    )

    def __init__(self, *args: Any, wheel_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wheel_name = wheel_name

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        spot = cleaned.get("spot")
        if spot:
            try:
                kind, numbers = rules.parse_spot(self.wheel_name, spot)
                # Checks the shape too, so a forged spot gets a precise reason.
                rules.make_bet(self.wheel_name, kind, numbers, 1)
            except rules.InvalidBet as exc:
                self.add_error("spot", str(exc).capitalize() + ".")
            else:
                cleaned["kind"], cleaned["numbers"] = kind, numbers
        return cleaned


class WheelChoiceForm(TableActionForm):
    wheel = forms.ChoiceField(
        choices=list(rules.WHEEL_LABELS.items()),
        widget=forms.RadioSelect,
        label="Wheel",
    )


class WheelSpinForm(forms.Form):
    """The wheel service page's bare spin."""

    wheel = forms.ChoiceField(choices=list(rules.WHEEL_LABELS.items()), label="Wheel")


PROPOSITIONS = [
    ("red", "Red"),
    ("black", "Black"),
    ("odd", "Odd"),
    ("even", "Even"),
    ("low", "Low (1-18)"),
    ("high", "High (19-36)"),
    ("dozen:1", "First dozen (pays 2 to 1)"),
    ("column:1", "First column (pays 2 to 1)"),
    ("straight:17", "Straight 17 (pays 35 to 1)"),
]


class SimulatorForm(forms.Form):
    """Parameters of a strategy simulation (read by GET: it changes nothing)."""

    strategy = forms.ChoiceField(
        choices=[
            ("martingale", "Martingale"),
            ("fibonacci", "Fibonacci"),
            ("dalembert", "D'Alembert"),
            ("flat", "Flat"),
        ],
        help_text="Martingale doubles after a loss; Fibonacci steps up one after a "
        "loss and back two after a win; D'Alembert adds or removes one base; flat "
        "always bets the base.",
    )
    wheel = forms.ChoiceField(
        choices=[(rules.AMERICAN, "American"), (rules.EUROPEAN, "European")]
    )
    proposition = forms.ChoiceField(choices=PROPOSITIONS, label="Bet on")
    base = forms.IntegerField(
        min_value=1, max_value=10_000, initial=10, label="Base stake (table minimum)"
    )
    table_max = forms.IntegerField(
        min_value=1, max_value=1_000_000, initial=500, label="Table maximum"
    )
    budget = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1000)
    spins = forms.IntegerField(
        min_value=1, max_value=1000, initial=200, label="Spins per run"
    )
    runs = forms.IntegerField(min_value=1, max_value=200, initial=50)
    seed = forms.IntegerField(
        min_value=0,
        max_value=2**32 - 1,
        required=False,
        help_text="Optional: the same seed replays the same spins.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        base, table_max = cleaned.get("base"), cleaned.get("table_max")
        if base is not None and table_max is not None and table_max < base:
            self.add_error("table_max", "The table maximum must be at least the base.")
        budget = cleaned.get("budget")
        if base is not None and budget is not None and budget < base:
            self.add_error("budget", "The budget must cover at least one base stake.")
        return cleaned
