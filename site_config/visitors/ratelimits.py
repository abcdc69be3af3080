"""Rate limits on the endpoints that check passwords or create things.

Built on django-ratelimit's documented core (`get_usage`). The counters live in
Django's default cache: Redis in the scaled mode, so every daphne process counts
against the same limit; the process's memory in the embedded mode (one process).
Limits are fixed windows: `"10/15m"` allows ten hits per 15-minute window.
A cache outage must not turn pages into 500s: a limit whose counter cannot be
read lets the request through (fails open) and logs one warning per outage.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

try:
    from redis.exceptions import RedisError
except ImportError:  # the embedded mode needs no redis client

    class RedisError(Exception):  # type: ignore[no-redef]
        """Stands in for redis-py's base error when redis-py is not installed."""


logger = logging.getLogger(__name__)

# What a cache backend raises when its server is unreachable: redis-py's errors
# (Django's RedisCache lets them through), or the socket's own OSError.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)

# Hits allowed per window, by limit name. PARLOUR_RATE_LIMITS overrides any of
# them ("count/period", period s, m, h or d with an optional multiplier such as
# "15m"); None turns one limit off. Sized for people, not scripts: a family
# behind one address stays well under them.
DEFAULT_RATES: dict[str, str | None] = {
    "login_ip": "30/5m",
    "login_username": "10/15m",
    "signup_ip": "10/h",
    "name_claim": "30/h",
    "room_create": "20/h",
    "game_create": "60/h",
    "api_session_create": "120/h",
}

Key = str | Callable[[str, HttpRequest], str]


def client_ip(request: HttpRequest) -> str:
    """The client's address as the rate limits see it.

    With PARLOUR_TRUSTED_PROXY_COUNT = N > 0, each of N trusted proxies appended
    the address it received the request from to X-Forwarded-For, so the N-th
    entry from the right is the client's; anything left of it was sent by the
    client and may be forged. With 0 (no proxy, or a proxy that overwrites the
    header and daphne's --proxy-headers), REMOTE_ADDR is used as is.
    """
    hops = int(getattr(settings, "PARLOUR_TRUSTED_PROXY_COUNT", 0))
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops and _is_ip(forwarded[-hops]):
            return forwarded[-hops]
    remote = request.META.get("REMOTE_ADDR") or ""
    # A Unix-socket peer has no address; one shared bucket beats a 500.
    return remote if _is_ip(remote) else "0.0.0.0"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def posted_username(group: str, request: HttpRequest) -> str:
    """The username a login form names, case-folded: one counter per account.

    (A django-ratelimit key function: it is given the group, unused here.)"""
    return request.POST.get("username", "").strip().casefold()


@dataclass(frozen=True)
class Limit:
    """One counter: `name` picks its rate, `key` says whose hits it counts."""

    name: str
    key: Key

    @property
    def group(self) -> str:
        return f"parlour.{self.name}"

    def rate(self) -> str | None:
        overrides = getattr(settings, "PARLOUR_RATE_LIMITS", None) or {}
        if self.name in overrides:
            return overrides[self.name]
        return DEFAULT_RATES[self.name]


LOGIN_IP = Limit("login_ip", "ip")
LOGIN_USERNAME = Limit("login_username", posted_username)
SIGNUP_IP = Limit("signup_ip", "ip")
# Creating things counts per account once signed in, per address before.
NAME_CLAIM = Limit("name_claim", "user_or_ip")
ROOM_CREATE = Limit("room_create", "user_or_ip")
GAME_CREATE = Limit("game_create", "user_or_ip")
API_SESSION_CREATE = Limit("api_session_create", "ip")


class _Outage:
    """Remembers whether the cache is failing, so an outage logs once."""

    failing = False


def _usage(request: HttpRequest, limit: Limit, *, increment: bool) -> Any:
    rate = limit.rate()
    if not rate:
        return None
    try:
        usage = get_usage(
            request, group=limit.group, key=limit.key, rate=rate, increment=increment
        )
    except CACHE_ERRORS as exc:
        if not _Outage.failing:
            _Outage.failing = True
            logger.warning("Rate limits are off until the cache answers again: %s", exc)
        return None
    if _Outage.failing:
        _Outage.failing = False
        logger.warning("Rate limits are back on: the cache answers again.")
    return usage


def limit_hit(request: HttpRequest, limit: Limit) -> int | None:
    """Count one hit; return the seconds to wait if it went over the limit."""
    usage = _usage(request, limit, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def limit_reached(request: HttpRequest, limit: Limit) -> int | None:
    """Without counting: the seconds to wait if the limit is used up, else None."""
    usage = _usage(request, limit, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def too_many_requests(
    request: HttpRequest, retry_after: int, *, as_json: bool = False
) -> HttpResponse:
    """The 429 answer: the site's page, or `{"error": ...}` for the JSON API."""
    headers = {"Retry-After": str(retry_after)}
    if as_json:
        return JsonResponse(
            {"error": f"too many requests; try again in {retry_after} s"},
            status=429,
            headers=headers,
        )
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = headers["Retry-After"]
    return response


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def rate_limited(
    *limits: Limit, methods: tuple[str, ...] = ("POST",), as_json: bool = False
) -> Callable[[View], View]:
    """Count each `methods` request against every limit; over any of them, 429.

    Every limit counts the request, so one over its limit does not spare the
    others; the answer waits for the longest window.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if request.method in methods:
                waits = [limit_hit(request, limit) for limit in limits]
                over = [wait for wait in waits if wait is not None]
                if over:
                    return too_many_requests(request, max(over), as_json=as_json)
            return view(request, *args, **kwargs)

        return cast(View, wrapper)

    return decorate


def login_guarded(view: View) -> View:
    """Limits for a view that checks passwords (the site's login, the admin's).

    Every POST counts against the address. Failed attempts also count against
    the username tried (`count_failed_login`), so a password cannot be guessed
    from many addresses either: once a username's failures are used up, even
    the right password waits for the window to end.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            waits = [
                limit_hit(request, LOGIN_IP),
                limit_reached(request, LOGIN_USERNAME),
            ]
            over = [wait for wait in waits if wait is not None]
            if over:
                return too_many_requests(request, max(over))
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


def count_failed_login(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of Django's `user_login_failed`: one failure for the username.

    `authenticate()` sends it for every failed check, whichever login form
    called it; without a request (a shell, a script) there is nothing to count.
    """
    if request is not None:
        limit_hit(request, LOGIN_USERNAME)
