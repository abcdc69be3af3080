"""The Host header check for WebSocket handshakes, and one-line logs of bad Hosts.

Django checks `Host` against ALLOWED_HOSTS for HTTP requests only (`get_host()`); a
socket handshake never calls it, so a bad Host is refused here, the same way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

if TYPE_CHECKING:  # settings' LOGGING imports this module: keep it light
    from site_config.realtime.protocol import ASGIApp, Receive, Scope, Send

# The logger Django reports a bad HTTP Host on, so both kinds read alike.
security_logger = logging.getLogger("django.security.DisallowedHost")


def host_header_error(scope: Scope) -> str | None:
    """Why the scope's Host header is refused, or None when ALLOWED_HOSTS has it.

    Uses Django's own check (a bare request's `get_host()`), so the rules are the
    HTTP ones: ports, leading-dot patterns and debug's localhost defaults. A scope
    without a Host header passes: every HTTP/1.1 client sends one, so only
    in-process test clients lack it, and the Origin check still applies to them.
    """
    host = dict(scope["headers"]).get(b"host")
    if host is None:
        return None
    request = HttpRequest()
    request.META["HTTP_HOST"] = host.decode("latin-1")
    try:
        request.get_host()
    except DisallowedHost as exc:
        return str(exc)
    return None


class HostHeaderValidator:
    """ASGI middleware: a WebSocket handshake with a bad Host is refused (HTTP 403)
    before anything else runs; other scopes pass through."""

    def __init__(self, application: ASGIApp) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            error = host_header_error(scope)
            if error is not None:
                security_logger.warning("WebSocket refused: %s", error)
                await receive()  # websocket.connect
                # Closing before accepting makes the server answer the handshake 403.
                await send({"type": "websocket.close"})
                return
        await self.application(scope, receive, send)


class WithoutTraceback(logging.Filter):
    """Keep the record's message and drop its traceback (for expected refusals)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
