"""WebSocket routes of the site itself."""

from django.urls import path

from site_config.consumers import EchoConsumer

websocket_urlpatterns = [path("ws/echo/", EchoConsumer.as_asgi())]
