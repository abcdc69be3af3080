"""ASGI entry point: HTTP goes to Django, WebSockets through origin and auth checks
(site_config/origins.py) to their routes (unknown paths are refused).

Run with `daphne site_config.asgi:application`.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from site_config.hosts import HostHeaderValidator  # noqa: E402
from site_config.origins import SameOriginValidator  # noqa: E402
from site_config.realtime.outages import TryAgainOnFailure  # noqa: E402
from site_config.routing import websocket_urlpatterns  # noqa: E402
from site_config.sync_threads import ReusedSyncThreads  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ReusedSyncThreads(
            django_asgi_app, threads=settings.PARLOUR_HTTP_THREADS
        ),
        # A failure before a socket is answered (the session lookup with the
        # database down) closes it with 4503 "try again", not an HTTP 500.
        "websocket": TryAgainOnFailure(
            HostHeaderValidator(
                SameOriginValidator(
                    AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
                )
            )
        ),
    }
)
