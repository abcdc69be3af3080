"""Every WebSocket route: the site's echo socket and each app's routes."""

from django.urls import path

from chat.routing import websocket_urlpatterns as chat_routes
from chess.routing import websocket_urlpatterns as chess_routes
from site_config.consumers import EchoConsumer

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
    *chat_routes,
    *chess_routes,
]
