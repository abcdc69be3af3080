"""WebSocket routes of the chess app."""

websocket_urlpatterns: list = []
