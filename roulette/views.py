"""HTML pages of the roulette app: the table (PRG), the wheel service, the simulator.

A refused action re-renders the table with the reason (status 400), changing nothing.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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
from site_config.visitors.identity import identity_from_request

TABLE = "roulette:table"


def _wallet(request: HttpRequest) -> Wallet:
    session_key = identity_from_request(request).session_key
    assert session_key  # identity_from_request saves a new session first
    return services.wallet_for_session(session_key=session_key)


def _render_table(
    request: HttpRequest,
    wallet: Wallet,
    *,
    errors: list[str] | None = None,
    status: int = 200,
    refresh: bool = True,
) -> HttpResponse:
    if refresh:  # after a refused action: show the table as it is now
        wallet.refresh_from_db()
    context = {
        "state": selectors.table_state(wallet=wallet),
        "errors": errors or [],
    }
    return render(request, "roulette/table.html", context, status=status)


@require_GET
def table(request: HttpRequest) -> HttpResponse:
    return _render_table(request, _wallet(request), refresh=False)


def _form_errors(form: Any) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _act(
    request: HttpRequest,
    form: TableActionForm,
    wallet: Wallet,
    action: Callable[[], str],
) -> HttpResponse:
    """Run one table action: redirect on success or replay, re-render when refused."""
    if not form.is_valid():
        return _render_table(request, wallet, errors=_form_errors(form), status=400)
    try:
        message = action()
    except services.StaleAction as exc:
        # A replay (double click, back button, other tab): the first submission
        # already did the work, so show the table as it is now.
        messages.warning(request, str(exc))
        return redirect(TABLE)
    except (services.TableError, rules.InvalidBet) as exc:
        return _render_table(request, wallet, errors=[str(exc)], status=400)
    messages.success(request, message)
    return redirect(TABLE)


@require_POST
def bet_place(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = PlaceBetForm(request.POST, wheel_name=wallet.wheel)

    def place() -> str:
        bet = services.bet_place(
            wallet_id=wallet.pk,
            kind=form.cleaned_data["kind"],
            numbers=form.cleaned_data["numbers"],
            amount=form.cleaned_data["chip"],
            version=form.cleaned_data["version"],
        )
        return f"{bet.amount} on {bet.label} (pays {bet.odds} to 1)."

    return _act(request, form, wallet, place)


@require_POST
def bet_undo(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = TableActionForm(request.POST)

    def undo() -> str:
        undone = services.bet_undo(
            wallet_id=wallet.pk, version=form.cleaned_data["version"]
        )
        chips = sum(bet.amount for bet in undone)
        if len(undone) == 1:
            return f"Took back {chips} on {undone[0].label}."
        return f"Took back the last {len(undone)} bets ({chips} chips)."

    return _act(request, form, wallet, undo)


@require_POST
def bets_clear(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = TableActionForm(request.POST)

    def clear() -> str:
        chips = services.bets_clear(
            wallet_id=wallet.pk, version=form.cleaned_data["version"]
        )
        return f"Table cleared: {chips} chips back in your bankroll."

    return _act(request, form, wallet, clear)


@require_POST
def bets_rebet(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = TableActionForm(request.POST)

    def rebet() -> str:
        placed = services.bets_rebet(
            wallet_id=wallet.pk, version=form.cleaned_data["version"]
        )
        chips = sum(bet.amount for bet in placed)
        return f"Rebet: {len(placed)} bet{'s' * (len(placed) != 1)}, {chips} chips."

    return _act(request, form, wallet, rebet)


@require_POST
def bets_double(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = TableActionForm(request.POST)

    def double() -> str:
        placed = services.bets_double(
            wallet_id=wallet.pk, version=form.cleaned_data["version"]
        )
        return f"Doubled: {sum(bet.amount for bet in placed)} more chips on the table."

    return _act(request, form, wallet, double)


@require_POST
def spin(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = TableActionForm(request.POST)

    def spin_wheel() -> str:
        result = services.spin_resolve(
            wallet_id=wallet.pk, version=form.cleaned_data["version"]
        )
        net = result.net
        outcome = f"{result.pocket} {result.colour}"
        if net > 0:
            return f"The ball lands on {outcome}. You win {net} chips."
        if net < 0:
            return f"The ball lands on {outcome}. You lose {-net} chips."
        return f"The ball lands on {outcome}. You break even."

    return _act(request, form, wallet, spin_wheel)


@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = TableActionForm(request.POST)

    def reset_wallet() -> str:
        fresh = services.wallet_reset(
            wallet_id=wallet.pk, version=form.cleaned_data["version"]
        )
        return f"Fresh start: {fresh.bankroll} chips."

    return _act(request, form, wallet, reset_wallet)


@require_POST
def wheel_type(request: HttpRequest) -> HttpResponse:
    wallet = _wallet(request)
    form = WheelChoiceForm(request.POST)

    def change() -> str:
        changed = services.wallet_set_wheel(
            wallet_id=wallet.pk,
            wheel_name=form.cleaned_data["wheel"],
            version=form.cleaned_data["version"],
        )
        return f"Now playing the {rules.WHEEL_LABELS[changed.wheel]} wheel."

    return _act(request, form, wallet, change)


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
