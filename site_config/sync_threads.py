"""Reused threads for Django's sync code under ASGI.

Django's ASGI handler runs each request's middleware and sync view in a thread of its
own: asgiref creates a one-thread executor per request and, when the request ends, a
second thread to shut it down. Two thread starts per request, and since Django's
database connections belong to a thread, a new connection for every request that
queries (CONN_MAX_AGE cannot help: the thread is gone after one request).

asgiref's `ThreadSensitiveContext(executor=...)` lets the caller supply that executor;
Django's own context inside then defers to it. This ASGI wrapper lends each HTTP
request one of a few long-lived single-thread executors, so threads and, with
CONN_MAX_AGE, their database connections are reused, as under a threaded WSGI
server. Requests still run side by side: a request that finds every kept executor
busy gets a new one, retired (its connections closed) when it is done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.db import connections

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

DEFAULT_KEEP = 16


def _close_connections() -> None:
    # Runs on the retiring thread: closes that thread's own connections.
    connections.close_all()


class ReusedSyncThreads:
    """Wrap an ASGI app so that its HTTP requests run sync code on reused threads.

    At most `keep` idle executors are kept, the most recently used first (so a
    quiet server keeps using the same few threads and connections).
    """

    def __init__(self, app: ASGIApp, *, keep: int = DEFAULT_KEEP) -> None:
        self.app = app
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []
        self.created = 0

    def _borrow(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        self.created += 1
        return ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"django-sync-{self.created}"
        )

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self.idle) < self.keep:
            self.idle.append(executor)
            return
        executor.submit(_close_connections)
        executor.shutdown(wait=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        executor = self._borrow()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            self._give_back(executor)
