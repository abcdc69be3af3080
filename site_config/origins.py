"""The WebSocket handshake's Origin check: scheme, host and port, as Django's CSRF
check does for a form POST.

A browser sends `Origin` with every WebSocket handshake, and a page on another
site can open a socket to this one with the visitor's cookies: the Origin is the
only thing that tells the two apart. A handshake is admitted when its Origin is

- the site's own origin as this request reached it: the scheme (`https` when the
  proxy says so through SECURE_PROXY_SSL_HEADER, i.e. `X-Forwarded-Proto`, or the
  scope's scheme is `wss`; daphne leaves the scheme out of socket scopes, so TLS
  is the proxy's), and the `Host` header (or
  `X-Forwarded-Host` with USE_X_FORWARDED_HOST), which must be in ALLOWED_HOSTS,
  port included; or
- one of CSRF_TRUSTED_ORIGINS (`DJANGO_CSRF_TRUSTED_ORIGINS`), the site's list of
  other origins it trusts (`https://*.example.com` covers the subdomains).

So a deployment whose forms pass Django's CSRF check accepts its own sockets, with
no setting of its own. A handshake without an Origin is refused: browsers always
send one, and other clients (bench/, scripts) send the site's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from site_config.realtime.protocol import ASGIApp, Receive, Scope, Send

DEFAULT_PORTS = {"http": 80, "https": 443}
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]  # Django's own DEBUG default


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def handshake_is_secure(scope: Scope) -> bool:
    """HttpRequest.is_secure() for a WebSocket scope."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").lower().replace("_", "-")
        value = _header(scope, header.encode("latin-1"))
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def handshake_host(scope: Scope) -> str | None:
    """HttpRequest.get_host() for a WebSocket scope: None when missing or not in
    ALLOWED_HOSTS."""
    host = None
    if settings.USE_X_FORWARDED_HOST:
        forwarded = _header(scope, b"x-forwarded-host")
        if forwarded:
            host = forwarded.split(",", 1)[0].strip()
    host = host or _header(scope, b"host")
    if not host:
        return None
    allowed = settings.ALLOWED_HOSTS or (DEBUG_HOSTS if settings.DEBUG else [])
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, allowed):
        return None
    return host


def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the default port filled in."""
    try:
        parts = urlsplit(origin.strip())
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port out of range, or not a number
        return None
    if port is None or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port


def _trusted(origin: tuple[str, str, int], pattern: str) -> bool:
    """Django's CSRF_TRUSTED_ORIGINS rule: exact, or `*.domain` for subdomains."""
    wildcard = "://*." in pattern
    trusted = _origin_parts(pattern.replace("://*.", "://", 1))
    if trusted is None:
        return False
    scheme, host, port = origin
    if (scheme, port) != (trusted[0], trusted[2]):
        return False
    return host == trusted[1] or (wildcard and host.endswith("." + trusted[1]))


def origin_allowed(scope: Scope) -> bool:
    """True when the handshake's Origin is the site's own or a trusted one."""
    raw = _header(scope, b"origin")
    origin = _origin_parts(raw) if raw else None
    if origin is None:  # missing, "null" (sandboxed pages, file:) or malformed
        return False
    host = handshake_host(scope)
    if host is not None:
        scheme = "https" if handshake_is_secure(scope) else "http"
        if origin == _origin_parts(f"{scheme}://{host}"):
            return True
    return any(_trusted(origin, pattern) for pattern in settings.CSRF_TRUSTED_ORIGINS)


class SameOriginValidator:
    """ASGI middleware: refuse (HTTP 403, before accept) a WebSocket handshake
    whose Origin is not the site's own or a trusted one."""

    def __init__(self, application: ASGIApp) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
