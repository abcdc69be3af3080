"""WebSocket routes of the chess app."""

from django.urls import path

from chess.consumers import GameConsumer, LobbyConsumer

websocket_urlpatterns = [
    path("ws/chess/lobby/", LobbyConsumer.as_asgi()),
    path("ws/chess/<slug:game>/", GameConsumer.as_asgi()),
]
