"""The home page (one live figure per app), the health probe and the favicon.

The composition root may import the apps: it is the one place that knows them all.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from chat.selectors import home_stats as chat_stats
from chess.selectors import home_stats as chess_stats
from roulette.selectors import home_stats as roulette_stats


def home_figures() -> dict[str, Any]:
    """Each app's `home_stats()`: rooms, open games, spins served."""
    return {"chat": chat_stats(), "chess": chess_stats(), "roulette": roulette_stats()}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"figures": home_figures()})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Bare view: a liveness probe and the benchmarks' yardstick."""
    return JsonResponse({"ok": True})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("favicon.svg"), permanent=True)
