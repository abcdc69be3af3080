"""The WebSocket handshake's Origin check (site_config/origins.py): scheme, host and
port must be the site's own as the handshake reached it, or a trusted origin; and
unknown socket paths are refused before accept, without a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from site_config.asgi import application
from site_config.origins import origin_allowed


def scope(
    origin: str | None,
    host: str | None = "localhost",
    scheme: str = "ws",
    **extra_headers: str,
) -> dict[str, Any]:
    headers = [
        (name.replace("_", "-").encode(), value.encode())
        for name, value in {"host": host, "origin": origin, **extra_headers}.items()
        if value is not None
    ]
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@pytest.mark.parametrize(
    ("handshake", "allowed"),
    [
        pytest.param(scope("http://localhost"), True, id="same-origin"),
        pytest.param(scope("http://LOCALHOST:80"), True, id="default-port-spelt-out"),
        pytest.param(scope("https://localhost"), False, id="wrong-scheme"),
        pytest.param(scope("http://localhost:8000"), False, id="wrong-port"),
        pytest.param(scope("http://evil.example"), False, id="wrong-host"),
        pytest.param(scope("http://localhost.evil.example"), False, id="host-suffix"),
        pytest.param(scope("http://evil.example", host="evil.example"), False,
                     id="host-not-allowed"),
        pytest.param(scope(None), False, id="no-origin"),
        pytest.param(scope("null"), False, id="null-origin"),
        pytest.param(scope("http://localhost:99999"), False, id="port-out-of-range"),
        pytest.param(scope("http://localhost", host=None), False, id="no-host"),
        pytest.param(scope("http://localhost:8000", host="localhost:8000"), True,
                     id="same-non-default-port"),
        pytest.param(scope("http://localhost", host="localhost:8000"), False,
                     id="port-dropped"),
        pytest.param(scope("https://localhost", scheme="wss"), True, id="tls"),
        pytest.param(scope("http://localhost", scheme="wss"), False,
                     id="plain-page-to-tls-socket"),
    ],
)  # fmt: skip
def test_origin_table(settings, handshake, allowed):
    settings.ALLOWED_HOSTS = ["localhost"]
    assert origin_allowed(handshake) is allowed


@pytest.mark.parametrize(
    ("proto", "origin", "allowed"),
    [
        ("https", "https://example.com", True),
        ("https", "http://example.com", False),
        ("http", "http://example.com", True),
        ("http", "https://example.com", False),
    ],
)
def test_behind_a_proxy_the_scheme_comes_from_x_forwarded_proto(
    settings, proto, origin, allowed
):
    settings.ALLOWED_HOSTS = ["example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    handshake = scope(origin, host="example.com", x_forwarded_proto=proto)
    assert origin_allowed(handshake) is allowed


def test_forwarded_host_is_used_only_when_enabled(settings):
    settings.ALLOWED_HOSTS = ["example.com", "127.0.0.1"]
    handshake = scope(
        "http://example.com", host="127.0.0.1:8001", x_forwarded_host="example.com"
    )
    settings.USE_X_FORWARDED_HOST = False
    assert origin_allowed(handshake) is False
    settings.USE_X_FORWARDED_HOST = True
    assert origin_allowed(handshake) is True


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("https://deep.app.example.com", True),
        ("https://example.com", True),
        ("http://app.example.com", False),
        ("https://app.example.com:8443", False),
        ("https://app.example.com.evil.example", False),
        ("https://partner.example", True),
    ],
)
def test_csrf_trusted_origins_are_admitted_too(settings, origin, allowed):
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com", "https://partner.example"]
    assert origin_allowed(scope(origin)) is allowed


async def handshake(path: str, origin: bytes | None) -> tuple[bool, Any]:
    headers = [(b"host", b"localhost")]
    if origin is not None:
        headers.append((b"origin", origin))
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await ws.connect()
    await ws.disconnect()
    return connected, code


@pytest.mark.parametrize(
    "origin",
    [b"https://localhost", b"http://localhost:8000", b"http://evil.example", None],
    ids=["wrong-scheme", "wrong-port", "wrong-host", "no-origin"],
)
async def test_the_asgi_application_refuses_foreign_origins(origin, no_tracebacks):
    assert await handshake("/ws/echo/", origin) == (False, 1000)
    assert (await handshake("/ws/echo/", b"http://localhost"))[0] is True


@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/", "/", "/ws/chat/a/b/c/"])
async def test_unknown_socket_paths_are_refused_before_accept(path, no_tracebacks):
    """Refused like a foreign origin (HTTP 403 under daphne), not a ValueError."""
    assert await handshake(path, b"http://localhost") == (False, 1000)
