"""ASGI app of the minimal Channels server, tutorial shape.

Run: DJANGO_SETTINGS_MODULE=bench.baseline.settings daphne -b 127.0.0.1 -p 8101 \
    bench.baseline.asgi:application
"""

import os

from django.core.asgi import get_asgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from bench.baseline.consumers import ChatConsumer, EchoConsumer  # noqa: E402
from bench.baseline.hub_consumer import HubChatConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            URLRouter(
                [
                    re_path(r"^ws/chat/(?P<room_name>\w+)/$", ChatConsumer.as_asgi()),
                    path("ws/echo/", EchoConsumer.as_asgi()),
                    # Not the tutorial: the same room on Parlour's hub, for profiling.
                    re_path(r"^ws/hub/(?P<room_name>\w+)/$", HubChatConsumer.as_asgi()),
                ]
            )
        ),
    }
)
