"""The wire protocol's building blocks: JSON encoding, RFC 6455 text frames, and the
field checks every consumer uses on client frames."""

from __future__ import annotations

import json
import struct
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings

# The ASGI callables of the socket middleware (asgi.py's stack).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ProtocolError(Exception):
    """Bad client input: answered with an error frame, the connection stays open.

    `extra` fields go into the error frame too (e.g. the refused message's
    `client_id`, so a client with several messages in flight knows which one)."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


def encode(payload: dict[str, Any]) -> str:
    """Compact JSON, "type" first as built: one encoding per event, not per socket."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def max_frame_bytes() -> int:
    """Largest client text frame a consumer accepts (larger ones get an error)."""
    return int(settings.PARLOUR_MAX_FRAME_BYTES)


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked, uncompressed WebSocket text frame (RFC 6455 5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


_last_wire: tuple[str, bytes] | None = None


def wire_bytes(frame: str) -> bytes:
    """`frame` as a server-to-client WebSocket frame.

    A hub event reaches every local member as the same string object, so the last
    result is kept: one framing per event, however many sockets it goes to.
    """
    global _last_wire
    last = _last_wire
    if last is not None and last[0] is frame:
        return last[1]
    wire = text_frame(frame.encode())
    _last_wire = (frame, wire)
    return wire


def parse_frame(text_data: str | None) -> dict[str, Any]:
    """Decode a client frame into a JSON object, or raise ProtocolError saying why."""
    if text_data is None:
        raise ProtocolError("Send JSON text frames, not binary frames.")
    limit = max_frame_bytes()
    # Characters are at least a quarter of the bytes: the cheap test first.
    if (
        len(text_data) > limit
        or len(text_data.encode("utf-8", "surrogatepass")) > limit
    ):
        raise ProtocolError(f"Frame too large (limit {limit} bytes).")
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):  # deep nesting: a few KB of "["
        raise ProtocolError("Frames must be JSON objects.") from None
    if not isinstance(content, dict):
        raise ProtocolError("Frames must be JSON objects.")
    if "\\u" in text_data:
        # An escape may decode to a lone surrogate, which no database, and no
        # frame echoing it back, can encode: refuse the frame here, once.
        try:
            encode(content).encode()
        except UnicodeEncodeError:
            client_id = content.get("client_id")
            extra = {}
            if isinstance(client_id, str) and client_id.isprintable():
                extra["client_id"] = client_id  # printable: no surrogates in it
            raise ProtocolError(
                "Text must be valid Unicode (no lone surrogates).", **extra
            ) from None
    return content


def message_type(content: dict[str, Any]) -> str:
    """The frame's `type`, if it can name a handler; ProtocolError otherwise."""
    kind = content.get("type")
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ProtocolError(f"Unknown message type: {str(kind)[:40]!r}.")
    return kind


def require_field(
    content: dict[str, Any], name: str, kind: type | tuple[type, ...]
) -> Any:
    """Return `content[name]`, or raise ProtocolError if absent or of the wrong type."""
    if name not in content:
        raise ProtocolError(f"Missing field {name!r}.")
    value = content[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python, never in our protocol.
    if isinstance(value, bool) and bool not in kinds:
        raise ProtocolError(f"Field {name!r} has the wrong type.")
    if not isinstance(value, kinds):
        raise ProtocolError(f"Field {name!r} has the wrong type.")
    return value
