"""A small pool of reused threads for Django's sync code under ASGI.

Django's ASGI handler runs each request's middleware and sync view in a thread of its
own: asgiref creates a one-thread executor per request and, when the request ends, a
second thread to shut it down. Two thread starts per request, as many threads as
requests in flight, and, since Django's database connections belong to a thread, a
new connection for every request that queries (CONN_MAX_AGE cannot help: the thread
is gone after one request).

asgiref's `ThreadSensitiveContext(executor=...)` lets the caller supply that executor;
Django's own context inside then defers to it. This ASGI wrapper lends each HTTP
request one of a fixed number of long-lived single-thread executors, like the worker
threads of a threaded WSGI server: threads and, with CONN_MAX_AGE, their database
connections are reused, and a request that finds every thread busy waits for one
(in the event loop, without a thread). Under the GIL more threads than cores only
trade the CPU between them: with 8 concurrent clients on 2 cores, 2 threads served
the roulette table about 30% more requests per second than a thread per request
(docs/performance.md). WebSocket consumers are not affected.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _nothing() -> None:
    """Queued behind whatever a thread is still running: done once it is free."""


class ReusedSyncThreads:
    """Wrap an ASGI app so that its HTTP requests run sync code on `threads` reused
    threads, the most recently used first."""

    def __init__(self, app: ASGIApp, *, threads: int) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.app = app
        self.threads = threads
        self.idle: list[ThreadPoolExecutor] = []
        self.created = 0
        self.waiting: deque[asyncio.Future[ThreadPoolExecutor]] = deque()

    async def _borrow(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        if self.created < self.threads:
            self.created += 1
            return ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"django-sync-{self.created}"
            )
        turn = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            return await turn
        except asyncio.CancelledError:
            # The client went away while waiting; pass on a thread handed to us.
            if turn.done() and not turn.cancelled():
                self._give_back(turn.result())
            raise

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(executor)
                return
        self.idle.append(executor)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        executor = await self._borrow()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        except BaseException:
            # Cancelled (e.g. the server gave up on a client) or failed: the view
            # may still be running on that thread, so it goes back to the pool
            # only once it is free.
            self._give_back_when_free(executor)
            raise
        self._give_back(executor)

    def _give_back_when_free(self, executor: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()

        def free(_: object) -> None:  # runs on the executor's thread
            try:
                loop.call_soon_threadsafe(self._give_back, executor)
            except RuntimeError:  # the loop is closed: the server is gone
                executor.shutdown(wait=False)

        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            executor.submit(_nothing).add_done_callback(free)
