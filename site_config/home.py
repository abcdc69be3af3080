"""The home page (one live figure per app), the liveness and readiness probes and
the favicon.

The composition root may import the apps: it is the one place that knows them all.
"""

from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from chat.selectors import home_stats as chat_stats
from chess.selectors import home_stats as chess_stats
from roulette.selectors import home_stats as roulette_stats
from site_config.outages import RETRY_AFTER_SECONDS, database_answers
from site_config.realtime.hub import get_hub
from site_config.realtime.outages import describe


def home_figures() -> dict[str, Any]:
    """Each app's `home_stats()`: rooms, open games, spins served."""
    return {"chat": chat_stats(), "chess": chess_stats(), "roulette": roulette_stats()}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"figures": home_figures()})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers HTTP. Touches neither the database nor Redis,
    so an outage of theirs never gets a healthy process restarted; also the
    benchmarks' yardstick."""
    return JsonResponse({"ok": True})


@require_GET
async def readiness(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database answers and an event sent through the
    channel layer comes back to this process; otherwise 503 naming what failed."""
    failed: dict[str, str] = {}
    try:
        await sync_to_async(database_answers)()
    except Exception as error:
        failed["database"] = describe(error)
    try:
        await get_hub(get_channel_layer()).check()
    except Exception as error:
        failed["channel_layer"] = describe(error)
    if not failed:
        return JsonResponse({"ok": True, "database": "ok", "channel_layer": "ok"})
    response = JsonResponse({"ok": False, "error": "not ready", "failed": failed})
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("favicon.svg"), permanent=True)
