"""JSON API: betting sessions, bets, spins and the wheel (described in docs/api.md).

Errors are ``{"error": "<reason>"}`` with 400, 404, 405 or 413, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from roulette import conf, rules, selectors, services
from roulette.models import Bet, Spin, Wallet
from site_config.visitors.ratelimits import API_SESSION_CREATE, rate_limited

MAX_BODY_BYTES = 8 * 1024

View = Callable[..., HttpResponse]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str, **headers: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, headers=headers or None)


def endpoint(*methods: str) -> Callable[[View], View]:
    """Allow only ``methods``, answer JSON errors, and stay CSRF-exempt.

    A betting session is addressed by an unguessable id in the URL, never by the
    cookie session, so a cross-site page cannot know the id: CSRF cannot apply.
    """

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return error(
                    405,
                    f"method {request.method} not allowed; use {', '.join(methods)}",
                    Allow=", ".join(methods),
                )
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error(exc.status, exc.message)
            except (services.TableError, rules.InvalidBet) as exc:
                return error(400, str(exc))

        return wrapper

    return decorate


def _body(request: HttpRequest, allowed: set[str]) -> dict[str, Any]:
    """The JSON object sent (empty body: ``{}``), checked for unknown fields."""
    try:
        raw = request.body
    except RequestDataTooBig as exc:  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes") from exc
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"malformed JSON: {exc}") from exc
    except RecursionError as exc:  # e.g. thousands of nested brackets
        raise ApiError(400, "malformed JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApiError(
            400,
            f"unknown field {unknown[0]!r}; expected {', '.join(sorted(allowed))}",
        )
    return data


def _wallet(session_id: str) -> Wallet:
    wallet = selectors.wallet_by_public_id(session_id)
    if wallet is None:
        raise ApiError(404, "no such betting session")
    return wallet


# Larger ids cannot exist (64-bit keys) and would make the database driver raise.
MAX_ID = 2**63 - 1


def _check_id(value: int, what: str) -> int:
    if value > MAX_ID:
        raise ApiError(404, f"no such {what}")
    return value


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(reverse(f"roulette:{name}", kwargs=kwargs))


def _pocket(value: str | None) -> int | str | None:
    return None if value is None else rules.parse_pocket(value)


def bet_json(request: HttpRequest, wallet: Wallet, bet: Bet) -> dict[str, Any]:
    spin = bet.spin
    return {
        "id": bet.pk,
        "url": _url(request, "api_bet", session_id=wallet.public_id, bet_id=bet.pk),
        "kind": bet.kind,
        "numbers": bet.numbers,
        "spot": bet.spot,
        "label": bet.label,
        "amount": bet.amount,
        "odds": bet.odds,
        "round": bet.round,
        "status": bet.status,
        "outcome": _pocket(spin.pocket) if spin else None,
        "net": bet.net,
        "spin": (
            _url(request, "api_spin", session_id=wallet.public_id, spin_id=spin.pk)
            if spin
            else None
        ),
        "placed": bet.placed_at.isoformat(),
        "settled": bet.settled_at.isoformat() if bet.settled_at else None,
    }


def session_json(request: HttpRequest, wallet: Wallet) -> dict[str, Any]:
    open_bets = selectors.wallet_open_bets(wallet)
    last_spin = wallet.spins.order_by("-id").first()
    sid = wallet.public_id
    return {
        "id": str(sid),
        "url": _url(request, "api_session", session_id=sid),
        "wheel": wallet.wheel,
        "bankroll": wallet.bankroll,
        "on_table": sum(b.amount for b in open_bets),
        "round": wallet.round,
        "limits": conf.limits().as_dict(),
        "open_bets": [bet_json(request, wallet, b) for b in open_bets],
        "bets_url": _url(request, "api_bets", session_id=sid),
        "spins_url": _url(request, "api_spins", session_id=sid),
        "last_spin": (
            _url(request, "api_spin", session_id=sid, spin_id=last_spin.pk)
            if last_spin
            else None
        ),
        "created": wallet.created_at.isoformat(),
    }


def spin_json(
    request: HttpRequest, spin: Spin, wallet: Wallet | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": spin.pk,
        "wheel": spin.wheel,
        "pocket": spin.value,
        "colour": spin.colour,
        "created": spin.created_at.isoformat(),
    }
    if wallet is not None:
        data.update(
            url=_url(request, "api_spin", session_id=wallet.public_id, spin_id=spin.pk),
            round=spin.round,
            staked=spin.staked,
            returned=spin.returned,
            net=spin.net,
            bankroll=wallet.bankroll,
            bets=[bet_json(request, wallet, b) for b in selectors.spin_bets(spin)],
        )
    return data


def created(data: dict[str, Any], location: str) -> JsonResponse:
    return JsonResponse(data, status=201, headers={"Location": location})


# --- endpoints ----------------------------------------------------------------


@endpoint("GET")
def index(request: HttpRequest) -> HttpResponse:
    """Where to start: the collection URLs."""
    return JsonResponse(
        {
            "sessions": _url(request, "api_sessions"),
            "wheel_spins": _url(request, "api_wheel_spins"),
            "docs": "docs/api.md",
        }
    )


@endpoint("POST")
@rate_limited(API_SESSION_CREATE, as_json=True)
def sessions(request: HttpRequest) -> HttpResponse:
    """Open a betting session: ``{"wheel": "american"|"european", "bankroll": int}``."""
    body = _body(request, {"wheel", "bankroll"})
    wheel_name = body.get("wheel", rules.AMERICAN)
    if not isinstance(wheel_name, str):
        raise ApiError(400, "wheel must be 'american' or 'european'")
    wallet = services.wallet_create(
        wheel_name=wheel_name, bankroll=body.get("bankroll")
    )
    return created(
        session_json(request, wallet),
        _url(request, "api_session", session_id=wallet.public_id),
    )


@endpoint("GET")
def session_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    return JsonResponse(session_json(request, _wallet(session_id)))


def _bet_request(wallet: Wallet, body: dict[str, Any]) -> tuple[str, Any, int]:
    amount = body.get("amount")
    if amount is None:
        raise ApiError(400, "amount is required (a whole number of chips)")
    rules.check_amount(amount)
    if "spot" in body:
        if "kind" in body or "numbers" in body:
            raise ApiError(400, "send either spot, or kind and numbers, not both")
        if not isinstance(body["spot"], str):
            raise ApiError(400, "spot must be a string such as 'split:17-20'")
        spot_kind, spot_numbers = rules.parse_spot(wallet.wheel, body["spot"])
        return spot_kind, spot_numbers, amount
    kind = body.get("kind")
    if kind is None:
        raise ApiError(400, "send a spot (e.g. 'red'), or kind and numbers")
    numbers = body.get("numbers")
    if numbers is None and kind in rules.EVEN_MONEY_KINDS:
        return kind, rules.outside_numbers(kind), amount  # nothing to choose
    if numbers is None:
        raise ApiError(400, f"numbers are required for a {kind} bet")
    if not isinstance(numbers, list):
        raise ApiError(400, 'numbers must be a JSON list, e.g. [17, 20] or [0, "00"]')
    return kind, numbers, amount


@endpoint("GET", "POST")
def bets(request: HttpRequest, session_id: str) -> HttpResponse:
    """List this session's bets (GET) or place one (POST, 201 + Location)."""
    wallet = _wallet(session_id)
    if request.method == "GET":
        listed = [bet_json(request, wallet, b) for b in selectors.wallet_bets(wallet)]
        return JsonResponse({"bets": listed})
    body = _body(request, {"spot", "kind", "numbers", "amount"})
    kind, numbers, amount = _bet_request(wallet, body)
    bet = services.bet_place(
        wallet_id=wallet.pk, kind=kind, numbers=numbers, amount=amount
    )
    return created(
        bet_json(request, wallet, bet),
        _url(request, "api_bet", session_id=wallet.public_id, bet_id=bet.pk),
    )


@endpoint("GET")
def bet_detail(request: HttpRequest, session_id: str, bet_id: int) -> HttpResponse:
    """A bet's status: open, or won/lost with the outcome and net."""
    wallet = _wallet(session_id)
    bet = selectors.wallet_bet(wallet, _check_id(bet_id, "bet"))
    if bet is None:
        raise ApiError(404, "no such bet in this betting session")
    return JsonResponse(bet_json(request, wallet, bet))


@endpoint("POST")
def spins(request: HttpRequest, session_id: str) -> HttpResponse:
    """Spin and settle every open bet (201 + Location)."""
    wallet = _wallet(session_id)
    _body(request, set())
    spin = services.spin_resolve(wallet_id=wallet.pk)
    wallet.refresh_from_db()
    return created(
        spin_json(request, spin, wallet),
        _url(request, "api_spin", session_id=wallet.public_id, spin_id=spin.pk),
    )


@endpoint("GET")
def spin_detail(request: HttpRequest, session_id: str, spin_id: int) -> HttpResponse:
    wallet = _wallet(session_id)
    spin = selectors.wallet_spin(wallet, _check_id(spin_id, "spin"))
    if spin is None:
        raise ApiError(404, "no such spin in this betting session")
    return JsonResponse(spin_json(request, spin, wallet))


@endpoint("GET", "POST")
def wheel_spins(request: HttpRequest) -> HttpResponse:
    """The wheel service: spin once (POST ``{"wheel": ...}``) or read its figures."""
    if request.method == "GET":
        stats = selectors.wheel_stats()
        return JsonResponse(
            {
                "spins_served": stats["spins_served"],
                "wheels": {
                    w["name"]: {
                        "spins": w["total"],
                        "counts": {p.pocket: p.count for p in w["pockets"]},
                        "chi_square": round(w["chi_square"], 3),
                    }
                    for w in stats["wheels"]
                },
            }
        )
    body = _body(request, {"wheel"})
    wheel_name = body.get("wheel", rules.AMERICAN)
    if not isinstance(wheel_name, str):
        raise ApiError(400, "wheel must be 'american' or 'european'")
    spin = services.wheel_spin(wheel_name=wheel_name)
    url = _url(request, "api_wheel_spin", spin_id=spin.pk)
    return created({**spin_json(request, spin, None), "url": url}, url)


@endpoint("GET")
def wheel_spin_detail(request: HttpRequest, spin_id: int) -> HttpResponse:
    """Any spin the wheel has served (bets are only shown to their session)."""
    spin = Spin.objects.filter(pk=_check_id(spin_id, "spin")).first()
    if spin is None:
        raise ApiError(404, "no such spin")
    url = _url(request, "api_wheel_spin", spin_id=spin.pk)
    return JsonResponse({**spin_json(request, spin, None), "url": url})


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown API paths answer JSON, like the rest of the API."""
    raise ApiError(404, "no such API endpoint; see docs/api.md")
