"""Chess pages: the lobby, the game page, joining, no-JS commands, PGN and JSON state.

Views only parse input, call one service and redirect (PRG) or render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chess import services
from chess.forms import CommandForm, GameCreateForm
from chess.game_state import PIECE_GLYPHS, board_of, squares, state_payload
from chess.models import Game, Status
from chess.selectors import game_fens, game_get, lobby_games
from site_config.identity import Identity, identity_from_request

COMMAND_SERVICES = {
    "resign": services.game_resign,
    "draw_offer": services.draw_offer,
    "draw_accept": services.draw_accept,
    "draw_decline": services.draw_decline,
    "draw_claim": services.draw_claim,
    "abort": services.game_abort,
    "rematch": services.game_rematch,
}


def _name_first(request: HttpRequest, next_url: str) -> HttpResponse:
    messages.info(request, "Pick a display name first.")
    return redirect(f"{reverse('choose_name')}?{urlencode({'next': next_url})}")


def _game_or_404(public_id: str) -> Game:
    game = game_get(public_id)
    if game is None:
        raise Http404("No such game.")
    return game


@require_http_methods(["GET", "POST"])
def lobby(request: HttpRequest) -> HttpResponse:
    """The lobby; POST creates a game and redirects to it."""
    identity = identity_from_request(request)
    form = GameCreateForm()
    if request.method == "POST":
        if not identity.has_name:
            return _name_first(request, reverse("chess:lobby"))
        form = GameCreateForm(request.POST)
        if form.is_valid():
            game = services.game_create(
                session_key=identity.session_key or "",
                name=identity.name or "",
                colour=form.cleaned_data["colour"],
            )
            return redirect(game)
    return render(request, "chess/lobby.html", {"form": form, "lobby": lobby_games()})


def controls_for(state: dict[str, Any], colour: str | None) -> dict[str, bool]:
    """Which buttons a viewer sees (the JS applies the same rules to live states)."""
    seated = colour is not None
    active = state["status"] == Status.ACTIVE
    offer = state["draw_offer"]
    over = state["status"] in (Status.FINISHED, Status.ABORTED)
    offer_r = state["rematch_offer"]
    return {
        "resign": seated and active,
        "draw_offer": seated and active and not offer,
        "draw_answer": seated and active and bool(offer) and offer != colour,
        "draw_pending": seated and active and offer == colour,
        "draw_claim": seated and active and bool(state["claimable"]),
        "abort": seated and state["abortable"],
        "rematch": seated and over and not state["rematch"] and offer_r != colour,
        "rematch_pending": seated
        and over
        and not state["rematch"]
        and offer_r == colour,
        "rematch_link": bool(state["rematch"]),
    }


def captured_glyphs(state: dict[str, Any]) -> dict[str, str]:
    """The captured pieces as glyphs, for the server-rendered player bars."""
    return {
        side: "".join(PIECE_GLYPHS[piece] for piece in pieces)
        for side, pieces in state["captured"].items()
    }


@require_GET
def game_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _game_or_404(public_id)
    identity: Identity = identity_from_request(request)
    colour = game.colour_of(identity.session_key)
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
        "controls": controls_for(state, colour),
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


@require_POST
def game_join(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _game_or_404(public_id)
    identity = identity_from_request(request)
    if not identity.has_name:
        return _name_first(request, game.get_absolute_url())
    try:
        services.game_join(
            game_id=public_id,
            session_key=identity.session_key or "",
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
                messages.error(request, error)
        return redirect(game)
    command = form.cleaned_data["command"]
    try:
        if command == "move":
            services.move_make(
                game_id=public_id,
                session_key=identity.session_key,
                uci=form.cleaned_data["uci"],
                ply=form.cleaned_data["ply"],
            )
        else:
            COMMAND_SERVICES[command](
                game_id=public_id, session_key=identity.session_key
            )
    except services.GameError as exc:
        messages.error(request, str(exc))
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
def game_state_json(request: HttpRequest, public_id: str) -> JsonResponse:
    """The full state as JSON (the same payload as the WebSocket `state` message)."""
    game = _game_or_404(public_id)
    state = state_payload(game)
    state["you"] = game.colour_of(identity_from_request(request).session_key)
    return JsonResponse(state)
