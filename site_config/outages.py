"""What the site does while PostgreSQL or Redis is unreachable.

- Pages never depend on Redis: sessions live in the database, and the cache
  (`DegradingRedisCache`) answers a Redis outage as a miss instead of raising.
- The database down answers 503 (`DatabaseUnavailableMiddleware`): the site's page,
  or `{"error": ...}` for the JSON API, with Retry-After, and one log line.
- Known outage errors from libraries' background tasks log one line, not a
  traceback a second (`OutageTracebackFilter`).
See docs/outages.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from site_config.realtime.outages import describe, is_outage

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before retrying a 503.
RETRY_AFTER_SECONDS = 5
DATABASE_DOWN = "The database is unavailable right now; try again shortly."
DATABASE_ERRORS = (OperationalError, InterfaceError)
REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


# --- the cache ------------------------------------------------------------------


class DegradingRedisCache(RedisCache):
    """Django's Redis cache, where a Redis outage is a miss, not an exception.

    Reads return the default, writes are dropped, `add` returns False and `incr`
    raises ValueError (Django's "no such key"), so callers' ordinary miss paths
    run. The first failure of an outage logs one line; the first success after it
    logs another.
    """

    _down_since: float | None = None
    _state_lock = threading.Lock()

    def _attempt(self, call: Callable[[], Any], fallback: Callable[[], Any]) -> Any:
        try:
            result = call()
        except REDIS_ERRORS as error:
            with self._state_lock:
                first = self._down_since is None
                if first:
                    DegradingRedisCache._down_since = time.monotonic()
            if first:
                logger.warning(
                    "cache unavailable, serving without it (%s)", describe(error)
                )
            return fallback()
        if self._down_since is not None:
            with self._state_lock:
                down_since, DegradingRedisCache._down_since = self._down_since, None
            if down_since is not None:
                logger.warning(
                    "cache available again after %.1f s", time.monotonic() - down_since
                )
        return result

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return bool(
            self._attempt(
                lambda: super(DegradingRedisCache, self).add(
                    key, value, timeout, version
                ),
                lambda: False,
            )
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._attempt(
            lambda: super(DegradingRedisCache, self).get(key, default, version),
            lambda: default,
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._attempt(
            lambda: super(DegradingRedisCache, self).set(key, value, timeout, version),
            lambda: None,
        )

    def touch(
        self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return bool(
            self._attempt(
                lambda: super(DegradingRedisCache, self).touch(key, timeout, version),
                lambda: False,
            )
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return bool(
            self._attempt(
                lambda: super(DegradingRedisCache, self).delete(key, version),
                lambda: False,
            )
        )

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return dict(
            self._attempt(
                lambda: super(DegradingRedisCache, self).get_many(keys, version), dict
            )
        )

    def has_key(self, key: Any, version: Any = None) -> bool:
        return bool(
            self._attempt(
                lambda: super(DegradingRedisCache, self).has_key(key, version),
                lambda: False,
            )
        )

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        def unavailable() -> int:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")

        return int(
            self._attempt(
                lambda: super(DegradingRedisCache, self).incr(key, delta, version),
                unavailable,
            )
        )

    def set_many(
        self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        return list(
            self._attempt(
                lambda: super(DegradingRedisCache, self).set_many(
                    data, timeout, version
                ),
                lambda: list(data),
            )
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._attempt(
            lambda: super(DegradingRedisCache, self).delete_many(keys, version),
            lambda: None,
        )

    def clear(self) -> None:
        self._attempt(lambda: super(DegradingRedisCache, self).clear(), lambda: None)


# --- the database ----------------------------------------------------------------


def wants_json(request: HttpRequest) -> bool:
    """The JSON API (roulette's /roulette/api/, chess's *.json) and clients that
    accept JSON but not HTML."""
    path = request.path
    if path.startswith("/roulette/api/") or path.endswith(".json"):
        return True
    return request.accepts("application/json") and not request.accepts("text/html")


def unavailable_response(request: HttpRequest, message: str) -> HttpResponse:
    """503 with Retry-After: JSON for the API, the site's page otherwise. Rendered
    without the request's context processors: they read the session (the database)."""
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse({"error": message}, status=503)
    else:
        html = loader.get_template("503.html").render()
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is unreachable answers 503 (one log
    line), not the 500 page with a traceback per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.warning(
            "database unavailable: %s %s answered 503 (%s)",
            request.method,
            request.path,
            describe(exception),
        )
        return unavailable_response(request, DATABASE_DOWN)


def database_answers() -> None:
    """One round trip to the database; raises if it does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DATABASE_ERRORS:
        connection.close()  # the next check (or request) reconnects
        raise


# --- logging ---------------------------------------------------------------------


class OutageTracebackFilter(logging.Filter):
    """Turns a library's traceback for a known outage error (Redis or the database
    unreachable) into one line. channels_redis logs one a second while Redis is
    down, and after each failed unsubscribe."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            if is_outage(error):
                record.msg = f"{record.getMessage()} ({describe(error)})"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True
