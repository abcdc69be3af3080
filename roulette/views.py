"""HTML pages of the roulette app: the table (PRG), the wheel service, the simulator.

A refused action re-renders the table with the reason (status 400), changing nothing.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from roulette import charts, rules, selectors, services
from roulette.forms import (
    PlaceBetForm,
    SimulatorForm,
    TableActionForm,
    WheelChoiceForm,
    WheelSpinForm,
)
from roulette.models import Wallet
from site_config.visitors.identity import identity_from_request, visitor_from_request

TABLE = "roulette:table"


def _wallet(request: HttpRequest) -> Wallet:
    """The visitor's wallet; before their first action, an unsaved fresh one (a
    page view opens nothing)."""
    visitor_ids = identity_from_request(request).visitor_ids
    wallet = services.wallet_of_visitor(visitor_ids=visitor_ids)
    return wallet if wallet is not None else services.wallet_unopened()


def _render_table(
    request: HttpRequest,
    wallet: Wallet,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "state": selectors.table_state(wallet=wallet),
        "errors": errors or [],
    }
    return render(request, "roulette/table.html", context, status=status)


@require_GET
def table(request: HttpRequest) -> HttpResponse:
    return _render_table(request, _wallet(request))


def _to_table() -> HttpResponseRedirect:
    """``redirect(TABLE)``, with the URL reversed once per script prefix."""
    return HttpResponseRedirect(_reversed(TABLE, get_script_prefix()))


@lru_cache(maxsize=16)
def _reversed(view_name: str, script_prefix: str) -> str:
    return reverse(view_name)


def _form_errors(form: Any) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


class _Refused(Exception):
    """The submitted form was invalid: the action's transaction is rolled back."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors


# An action runs on the visitor's locked wallet with the form's cleaned data, and
# returns the flash message.
Action = Callable[[services.LockedWallet, dict[str, Any]], str]


def _act(
    request: HttpRequest,
    make_form: Callable[[Wallet], TableActionForm],
    action: Action,
) -> HttpResponse:
    """Run one table action: redirect on success or replay, re-render when refused.

    The wallet is read once, locked, and the form is validated against it (a spot
    depends on the wheel) inside the action's transaction.
    """
    visitor_ids = visitor_from_request(request).visitor_ids
    try:
        with services.visitor_wallet_locked(visitor_ids=visitor_ids) as locked:
            form = make_form(locked.wallet)
            if not form.is_valid():
                raise _Refused(_form_errors(form))
            message = action(locked, form.cleaned_data)
    except _Refused as exc:
        errors = exc.errors
    except services.StaleAction as exc:
        # A replay (double click, back button, other tab): the first submission
        # already did the work, so show the table as it is now.
        messages.warning(request, str(exc))
        return _to_table()
    except (services.TableError, rules.InvalidBet) as exc:
        errors = [str(exc)]
    else:
        messages.success(request, message)
        return _to_table()
    # Refused and rolled back: show the table as it is now (the visitor acted,
    # so their wallet is open from now on, as after a first accepted action).
    wallet = services.visitor_wallet(visitor_ids=visitor_ids)
    return _render_table(request, wallet, errors=errors, status=400)


def _table_action_form(request: HttpRequest) -> Callable[[Wallet], TableActionForm]:
    return lambda wallet: TableActionForm(request.POST)


@require_POST
def bet_place(request: HttpRequest) -> HttpResponse:
    def place(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        bet = services.bet_place(
            locked=locked,
            kind=data["kind"],
            numbers=data["numbers"],
            amount=data["chip"],
            version=data["version"],
        )
        return f"{bet.amount} on {bet.label} (pays {bet.odds} to 1)."

    return _act(
        request,
        lambda wallet: PlaceBetForm(request.POST, wheel_name=wallet.wheel),
        place,
    )


@require_POST
def bet_undo(request: HttpRequest) -> HttpResponse:
    def undo(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        undone = services.bet_undo(locked=locked, version=data["version"])
        chips = sum(bet.amount for bet in undone)
        if len(undone) == 1:
            return f"Took back {chips} on {undone[0].label}."
        return f"Took back the last {len(undone)} bets ({chips} chips)."

    return _act(request, _table_action_form(request), undo)


@require_POST
def bets_clear(request: HttpRequest) -> HttpResponse:
    def clear(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        chips = services.bets_clear(locked=locked, version=data["version"])
        return f"Table cleared: {chips} chips back in your bankroll."

    return _act(request, _table_action_form(request), clear)


@require_POST
def bets_rebet(request: HttpRequest) -> HttpResponse:
    def rebet(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        placed = services.bets_rebet(locked=locked, version=data["version"])
        chips = sum(bet.amount for bet in placed)
        return f"Rebet: {len(placed)} bet{'s' * (len(placed) != 1)}, {chips} chips."

    return _act(request, _table_action_form(request), rebet)


@require_POST
def bets_double(request: HttpRequest) -> HttpResponse:
    def double(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        placed = services.bets_double(locked=locked, version=data["version"])
        return f"Doubled: {sum(bet.amount for bet in placed)} more chips on the table."

    return _act(request, _table_action_form(request), double)


@require_POST
def spin(request: HttpRequest) -> HttpResponse:
    def spin_wheel(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        result = services.spin_resolve(locked=locked, version=data["version"])
        net = result.net
        outcome = f"{result.pocket} {result.colour}"
        if net > 0:
            return f"The ball lands on {outcome}. You win {net} chips."
        if net < 0:
            return f"The ball lands on {outcome}. You lose {-net} chips."
        return f"The ball lands on {outcome}. You break even."

    return _act(request, _table_action_form(request), spin_wheel)


@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    def reset_wallet(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        fresh = services.wallet_reset(locked=locked, version=data["version"])
        return f"Fresh start: {fresh.bankroll} chips."

    return _act(request, _table_action_form(request), reset_wallet)


@require_POST
def wheel_type(request: HttpRequest) -> HttpResponse:
    def change(locked: services.LockedWallet, data: dict[str, Any]) -> str:
        changed = services.wallet_set_wheel(
            locked=locked, wheel_name=data["wheel"], version=data["version"]
        )
        return f"Now playing the {rules.WHEEL_LABELS[changed.wheel]} wheel."

    return _act(request, lambda wallet: WheelChoiceForm(request.POST), change)


# --- wheel service ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def wheel_service(request: HttpRequest) -> HttpResponse:
    """The wheel service: spins served, distribution, and a bare spin (PRG)."""
    status = 200
    if request.method == "POST":
        form = WheelSpinForm(request.POST)
        if form.is_valid():
            result = services.wheel_spin(wheel_name=form.cleaned_data["wheel"])
            messages.success(
                request,
                f"The {result.wheel} wheel served {result.pocket} ({result.colour}).",
            )
            return redirect("roulette:wheel")
        status = 400
    else:
        form = WheelSpinForm(initial={"wheel": rules.AMERICAN})
    context = {"form": form, "stats": selectors.wheel_stats()}
    return render(request, "roulette/wheel.html", context, status=status)


# --- simulator ----------------------------------------------------------------


@require_GET
def simulator(request: HttpRequest) -> HttpResponse:
    """Strategy simulator: read-only, so a GET form (shareable, bookmarkable)."""
    if request.GET:
        form = SimulatorForm(request.GET)
    else:
        defaults = {
            name: field.initial
            for name, field in SimulatorForm.base_fields.items()
            if field.initial is not None
        }
        form = SimulatorForm(
            {
                "strategy": "martingale",
                "wheel": "american",
                "proposition": "red",
                **defaults,
            }
        )
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "roulette/simulator.html", context, status=400)
    data = form.cleaned_data
    seed = data["seed"] if data["seed"] is not None else secrets.randbelow(2**32)
    summary = rules.simulate(
        strategy=data["strategy"],
        runs=data["runs"],
        rng=random.Random(seed),
        wheel=data["wheel"],
        proposition=data["proposition"],
        base=data["base"],
        table_max=data["table_max"],
        budget=data["budget"],
        spins=data["spins"],
    )
    context.update(
        summary=summary,
        seed=seed,
        edge_percent=float(summary.edge) * 100,
        chart=charts.bankroll_chart(
            [run.curve for run in summary.runs],
            ruined=[run.ruined for run in summary.runs],
            budget=data["budget"],
            spins=data["spins"],
        ),
    )
    return render(request, "roulette/simulator.html", context)
