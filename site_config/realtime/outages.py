"""Outages of the database or the channel layer, as the socket paths see them.

An outage is expected operations, not a bug: it is logged as one line (no
traceback per socket), and the socket is closed with the "try again" code so the
client reconnects with backoff and catches up once the service is back
(docs/protocol.md, "Outages").
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from site_config.realtime.hub import LayerUnavailable
from site_config.realtime.protocol import ASGIApp, Receive, Scope, Send, encode

logger = logging.getLogger(__name__)

# "Try again": a server-side failure (database or channel layer down); the client
# reconnects. 1011/1013 would be the standard codes, but autobahn lets applications
# close only with 1000 or 3000-4999.
CLOSE_TRY_AGAIN = 4503
UNAVAILABLE = "Live updates are unavailable right now; reconnecting shortly."

# What a database or Redis outage raises: connection refused or lost, timeouts.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    LayerUnavailable,
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
)


def is_outage(error: BaseException) -> bool:
    """True when `error` says a service is unreachable, not that the code is wrong."""
    return isinstance(error, OUTAGE_ERRORS)


def describe(error: BaseException) -> str:
    """The error on one line (database errors can span several)."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:300]}"


def log_failure(log: logging.Logger, message: str, error: BaseException) -> None:
    """One warning line for an outage; the full traceback for anything else."""
    if is_outage(error):
        log.warning("%s (%s)", message, describe(error))
    else:
        log.error(message, exc_info=error)


class TryAgainOnFailure:
    """ASGI middleware for the WebSocket stack: an outage before the socket is
    answered (e.g. the session lookup while the database is down) closes it with
    4503 after an error frame, instead of daphne's HTTP 500 and a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        # Only `receive` is wrapped: the daphne direct-write path finds its socket
        # through `send` (transports.daphne_protocol). Before the socket is
        # answered the client can send nothing, so any message after the
        # handshake's connect means the consumer has taken over.
        received: list[str] = []

        async def tracking_receive() -> dict[str, Any]:
            message = await receive()
            received.append(message["type"])
            return message

        try:
            await self.app(scope, tracking_receive, send)
        except Exception as error:
            if received[1:] or not is_outage(error):
                raise  # a bug is not an outage: the server's own handling applies
            log_failure(logger, f"opening {scope.get('path')} failed", error)
            if not received:
                await receive()  # the handshake's websocket.connect
            error_frame = {"type": "error", "message": UNAVAILABLE}
            await send({"type": "websocket.accept"})
            await send(
                {
                    "type": "websocket.send",
                    "text": encode({**error_frame, "code": CLOSE_TRY_AGAIN}),
                }
            )
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})
