"""Chess pages: the lobby, the game page, joining, no-JS commands, PGN and JSON state.

Views only parse input, call one service and redirect (PRG) or render.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chess import services
from chess.conf import gone_claim_seconds
from chess.forms import CommandForm, GameCreateForm
from chess.game_state import (
    PIECE_GLYPHS,
    board_of,
    controls_for,
    squares,
    state_payload,
)
from chess.models import Game, Status
from chess.selectors import game_fens, game_get, lobby_games
from site_config.visitors.identity import (
    identity_from_request,
    name_required,
    visitor_from_request,
)
from site_config.visitors.ratelimits import GAME_CREATE, rate_limited

COMMAND_SERVICES = {
    "resign": services.game_resign,
    "draw_offer": services.draw_offer,
    "draw_accept": services.draw_accept,
    "draw_decline": services.draw_decline,
    "draw_claim": services.draw_claim,
    "abort": services.game_abort,
    "rematch": services.game_rematch,
    "flag": services.game_flag,
    "gone_claim": services.game_claim_gone,
}
UCI_PATTERN = re.compile(r"^[a-h][1-8][a-h][1-8][qrbn]?$")


def _game_or_404(public_id: str) -> Game:
    game = game_get(public_id)
    if game is None:
        raise Http404("No such game.")
    return game


@require_http_methods(["GET", "POST"])
@rate_limited(GAME_CREATE)
def lobby(request: HttpRequest) -> HttpResponse:
    """The lobby; POST creates a game (a display name is needed) and redirects to it."""
    if request.method == "POST":
        return _game_create(request)
    return _lobby_page(request, GameCreateForm())


@name_required  # back to the lobby (a GET) once the visitor has picked a name
def _game_create(request: HttpRequest) -> HttpResponse:
    form = GameCreateForm(request.POST)
    if not form.is_valid():
        return _lobby_page(request, form)
    identity = visitor_from_request(request)
    assert identity.visitor_id is not None
    game = services.game_create(
        visitor_id=identity.visitor_id,
        name=identity.name or "",
        colour=form.cleaned_data["colour"],
        base_seconds=form.cleaned_data["base_seconds"],
        increment_seconds=form.cleaned_data["increment_seconds"],
    )
    return redirect(game)


def _lobby_lists_render() -> str:
    # Games whose players left must not stay "in progress": due flags end first.
    services.flags_sweep()
    return render_to_string("chess/lobby.html#lists", {"lobby": lobby_games()})


def _lobby_page(request: HttpRequest, form: GameCreateForm) -> HttpResponse:
    version, lists = services.lobby_lists(render=_lobby_lists_render)
    context = {"form": form, "lobby_html": lists, "lobby_version": version}
    return render(request, "chess/lobby.html", context)


@require_GET
@never_cache
def lobby_lists(request: HttpRequest) -> HttpResponse:
    """The lobby lists fragment, fetched by the lobby page when the lobby socket
    announces a new version; `X-Lobby-Version` says which version it shows."""
    version, lists = services.lobby_lists(render=_lobby_lists_render)
    response = HttpResponse(lists)
    response["X-Lobby-Version"] = "" if version is None else str(version)
    return response


def _gone_claimable(game: Game, colour: str | None) -> bool:
    """Whether `colour`'s opponent has been gone long enough to claim, right now."""
    if colour is None or game.status != Status.ACTIVE:
        return False
    now = timezone.now()
    since = services.gone_since(
        game=game, colour="b" if colour == "w" else "w", now=now
    )
    return since is not None and (now - since).total_seconds() >= gone_claim_seconds()


def clock_text(ms: int) -> str:
    """Remaining time as shown on the clock: m:ss, or s.t under ten seconds.

    The first paint; `clockText` in chess.js (the client's one copy) keeps the
    running countdown in the same format between states."""
    ms = max(ms, 0)
    if ms < 10_000:
        return f"{ms // 1000}.{ms % 1000 // 100}"
    seconds = ms // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock_texts(state: dict[str, Any]) -> dict[str, str] | None:
    """Both clocks as text for the server-rendered page, or None if untimed."""
    clock = state["clock"]
    if clock is None:
        return None
    return {"w": clock_text(clock["white"]), "b": clock_text(clock["black"])}


def captured_glyphs(state: dict[str, Any]) -> dict[str, str]:
    """The captured pieces as glyphs, for the server-rendered player bars."""
    return {
        side: "".join(PIECE_GLYPHS[piece] for piece in pieces)
        for side, pieces in state["captured"].items()
    }


@require_GET
def game_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        change = services.flag_check(game_id=public_id)  # a due flag ends it first
    except services.GameNotFound:
        raise Http404("No such game.") from None
    game = change.game if change is not None else _game_or_404(public_id)
    identity = identity_from_request(request)
    colour = game.colour_of(identity.visitor_ids)
    board = board_of(game)
    state = state_payload(game, board)
    fens = game_fens(game)
    context = {
        "game": game,
        "state": state,
        "colour": colour,
        "flipped": colour == "b",
        "squares": squares(game.fen, flipped=colour == "b"),
        "can_join": game.status == Status.WAITING and colour is None,
        "controls": {
            **controls_for(state, colour),
            "gone_claim": _gone_claimable(game, colour),
        },
        "clocks": clock_texts(state),
        "captured": captured_glyphs(state),
        "advantage": {
            "w": max(state["advantage"], 0),
            "b": max(-state["advantage"], 0),
        },
        "command_form": CommandForm(initial={"command": "move", "ply": game.ply}),
        "config": {
            "game": game.public_id,
            "socket": f"/ws/chess/{game.public_id}/",
            "colour": colour,
            "state": state,
            "fens": fens,
        },
    }
    return render(request, "chess/game.html", context)


@require_http_methods(["GET", "POST"])
@name_required
def game_join(request: HttpRequest, public_id: str) -> HttpResponse:
    """POST takes the free seat. A GET (where the name form sends a visitor back
    to after picking a name) only leads to the game page and its Join button."""
    game = _game_or_404(public_id)
    if request.method != "POST":
        return redirect(game)
    identity = visitor_from_request(request)
    try:
        services.game_join(
            game_id=public_id,
            visitor_ids=identity.visitor_ids,
            name=identity.name or "",
        )
    except services.GameError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "You joined the game. Good luck!")
    return redirect(game)


@require_POST
def game_command(request: HttpRequest, public_id: str) -> HttpResponse:
    """Moves, resignation, draws and abort from a page without JavaScript (PRG)."""
    game = _game_or_404(public_id)
    identity = identity_from_request(request)
    form = CommandForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(game)
    command = form.cleaned_data["command"]
    try:
        if command == "move":
            change = services.move_make(
                game_id=public_id,
                visitor_ids=identity.visitor_ids,
                uci=form.cleaned_data["uci"],
                ply=form.cleaned_data["ply"],
            )
        else:
            change = COMMAND_SERVICES[command](
                game_id=public_id, visitor_ids=identity.visitor_ids
            )
    except services.GameError as exc:
        messages.error(request, str(exc))
    else:
        if change.refused:
            messages.error(request, change.refused)
    return redirect(game)


@require_GET
def game_pgn(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _game_or_404(public_id)
    board = board_of(game)
    headers = {
        "Event": "Parlour live game",
        "Site": request.build_absolute_uri(game.get_absolute_url()),
        "Date": game.created_at.strftime("%Y.%m.%d"),
        "White": game.white_name or "?",
        "Black": game.black_name or "?",
    }
    if game.termination:
        headers["Termination"] = game.get_termination_display()
    pgn = board.pgn(headers, result=game.result or "*")
    response = HttpResponse(pgn, content_type="application/x-chess-pgn; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="parlour-{game.public_id}.pgn"'
    )
    return response


@require_GET
@ensure_csrf_cookie  # bots read the csrftoken cookie here for their POSTs
def game_state_json(request: HttpRequest, public_id: str) -> JsonResponse:
    """The full state as JSON (the same payload as the WebSocket `state` message).

    A flag that fell due while nobody was connected is applied first.
    """
    visitor_ids = identity_from_request(request).visitor_ids
    try:
        view = services.game_view(game_id=public_id, visitor_ids=visitor_ids)
    except services.GameNotFound:
        raise Http404("No such game.") from None
    return JsonResponse({**view.state, "you": view.colour})


def _api_error(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


@require_POST
def game_move_json(request: HttpRequest, public_id: str) -> JsonResponse:
    """Bot API: make a move as the seated visitor, `{"uci": "e2e4", "ply": n}`.

    Authenticated by the session cookie and CSRF-protected like every POST (send
    the `csrftoken` cookie's value as `X-CSRFToken`). 200 with the new state; 400
    with `error` for malformed, illegal or stale moves (stale ones also carry the
    current `state`); 403 for a spectator or out of turn; 404 for an unknown game.
    Goes through the same row-locked service as the socket and is broadcast.
    """
    if game_get(public_id) is None:
        return _api_error("No such game.", 404)
    visitor_ids = identity_from_request(request).visitor_ids
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        # RecursionError: deeply nested input (e.g. 5 KB of "[") exhausts the
        # decoder's stack; it is malformed input, not a server error.
        return _api_error("The body must be JSON.", 400)
    uci = body.get("uci") if isinstance(body, dict) else None
    ply = body.get("ply") if isinstance(body, dict) else None
    if not isinstance(uci, str) or not UCI_PATTERN.match(uci):
        return _api_error('Malformed move: send {"uci": "e2e4", "ply": <int>}.', 400)
    if not isinstance(ply, int) or isinstance(ply, bool) or ply < 0:
        return _api_error("Malformed move: ply must be an integer >= 0.", 400)
    try:
        change = services.move_make(
            game_id=public_id, visitor_ids=visitor_ids, uci=uci, ply=ply
        )
    except services.GameNotFound:
        return _api_error("No such game.", 404)
    except (services.NotSeatedError, services.NotYourTurnError) as exc:
        return _api_error(str(exc), 403)
    except services.StaleMoveError as exc:
        return _api_error(str(exc), 400, state=services.game_state(game_id=public_id))
    except services.GameError as exc:
        return _api_error(str(exc), 400)
    state = {**change.state, "you": change.game.colour_of(visitor_ids)}
    if change.refused:
        return _api_error(change.refused, 400, state=state)
    return JsonResponse(state)
