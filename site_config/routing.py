"""Every WebSocket route: the site's echo socket and each app's routes."""

from channels.security.websocket import WebsocketDenier
from django.urls import path, re_path

from chat.routing import websocket_urlpatterns as chat_routes
from chess.routing import websocket_urlpatterns as chess_routes
from site_config.consumers import EchoConsumer

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
    *chat_routes,
    *chess_routes,
    # Anything else is refused before accept (HTTP 403), quietly: without this
    # route Channels' URLRouter raises, and daphne answers 500 with a traceback.
    re_path(r"", WebsocketDenier.as_asgi()),
]
