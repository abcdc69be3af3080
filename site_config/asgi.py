"""ASGI entry point: HTTP goes to Django, WebSockets through origin and auth checks.

Run with `daphne site_config.asgi:application`.
"""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from site_config.routing import websocket_urlpatterns  # noqa: E402
from site_config.sync_threads import ReusedSyncThreads  # noqa: E402

# The event loop shares the GIL with the threads that talk to the database (chat
# and chess commands, HTTP requests), and each of those hands the GIL back around
# every SQLite or PostgreSQL call. With CPython's default 5 ms switch interval a
# thread whose query has returned can wait up to 5 ms for the busy event loop to
# let it resume, while holding its transaction's locks; 1 ms gave about 20% more
# chess moves per second (docs/performance.md).
GIL_SWITCH_INTERVAL_S = 0.001
sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def websocket_routes() -> list:
    from chat.routing import websocket_urlpatterns as chat_routes
    from chess.routing import websocket_urlpatterns as chess_routes

    return [*websocket_urlpatterns, *chat_routes, *chess_routes]


application = ProtocolTypeRouter(
    {
        "http": ReusedSyncThreads(
            django_asgi_app, threads=settings.PARLOUR_HTTP_THREADS
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_routes()))
        ),
    }
)
