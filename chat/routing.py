"""WebSocket routes of the chat app."""

from django.urls import path

from chat.consumers import ChatConsumer, ChatLobbyConsumer

websocket_urlpatterns = [
    path("ws/chat/", ChatLobbyConsumer.as_asgi()),
    path("ws/chat/<slug:room>/", ChatConsumer.as_asgi()),
]
