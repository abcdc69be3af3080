"""Database threads for the socket paths, and background tasks that stay referenced.

A `DatabaseThread` is one thread with one long-lived connection that runs an app's
socket-path calls in arrival order, each in its own transaction. Why not
`database_sync_to_async` per call: it shares one thread with every session lookup
and closes connections around each call unless CONN_MAX_AGE keeps them
(docs/adr/0003-database-threads.md). The connection closes after a few idle seconds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

from django.db import InterfaceError, OperationalError, connection

from site_config.realtime.events import Outgoing, collecting, send_all
from site_config.realtime.hub import get_hub
from site_config.realtime.outages import describe

logger = logging.getLogger(__name__)

T = TypeVar("T")

IDLE_CLOSE_SECONDS = 5.0


def _close_own_connection() -> None:
    # Runs on the database thread: `connection` resolves to that thread's own.
    connection.close()


def _call(func: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Runs on the database thread. A connection that broke (database restart, idle
    timeout) is replaced and the call tried once more; callers make their calls safe
    to repeat (a chess move carries its ply, a chat message its client id)."""
    if connection.errors_occurred and not connection.is_usable():
        connection.close()
    used = connection.connection
    try:
        return func(*args, **kwargs)
    except (OperationalError, InterfaceError):
        # A connection other than the one the call started with means Django
        # dropped a broken one (a failed rollback as an atomic block exits, then a
        # reconnect to restore autocommit): that is a lost connection too.
        if connection.connection is used and connection.is_usable():
            raise  # e.g. a lock timeout: the connection itself is fine
        logger.warning("%s: database connection lost; reconnecting", func.__name__)
        connection.close()
        return func(*args, **kwargs)


def _collected_call(
    func: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[T | None, BaseException | None, list[Any]]:
    """`_call`, keeping what it published for the event loop to send."""
    with collecting() as outgoing:
        try:
            return _call(func, args, kwargs), None, outgoing
        except Exception as exc:  # re-raised on the loop, after the publishing
            return None, exc, outgoing


def _send_when_done(done: asyncio.Future[Any]) -> None:
    """After a cancelled `run`: send what the call committed once it finishes."""
    if done.cancelled() or done.exception() is not None:
        return
    _, _, outgoing = done.result()
    if outgoing:
        spawn(publish_committed(outgoing))


async def publish_committed(outgoing: list[Outgoing]) -> None:
    """Send what a call committed. If the layer fails, the write still stands:
    one log line, this process's sockets get the events directly, and the hub
    closes them with "try again" so that every client (here and on other
    processes) catches up from the database when it reconnects."""
    try:
        await send_all(outgoing)
    except Exception as error:
        logger.warning(
            "could not publish %d committed events (%s); they reach clients "
            "when they reconnect",
            len(outgoing),
            describe(error),
        )
        hub = get_hub()
        for group, name, frame in outgoing:
            hub.deliver(group, name, frame)
        hub.publish_failed(error)


class DatabaseThread:
    """One thread with one long-lived database connection."""

    # Every one made, so that tests and shutdown can close their connections.
    instances: ClassVar[list[DatabaseThread]] = []

    def __init__(self, name: str) -> None:
        DatabaseThread.instances.append(self)
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        # Per event loop (tests run many): the pending idle close, calls in flight.
        self._idle: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.TimerHandle
        ] = weakref.WeakKeyDictionary()
        self._busy: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = (
            weakref.WeakKeyDictionary()
        )
        self._last_used: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, float] = (
            weakref.WeakKeyDictionary()
        )

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                # One thread: calls run in order, and its connection is reused.
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=self.name
                )
            return self._executor

    async def run(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `func(*args, **kwargs)` on this thread and return its result.

        Events the call publishes (`publish_on_commit`) are sent from the event
        loop once it returns, even when it then raised. A failure to send them
        is not the call's failure (see `publish_committed`).
        """
        loop = asyncio.get_running_loop()
        self._busy[loop] = self._busy.get(loop, 0) + 1
        done = loop.run_in_executor(
            self.executor(), functools.partial(_collected_call, func, args, kwargs)
        )
        try:
            # Shielded: a caller cancelled mid-call (a socket closing) must not
            # lose what the call commits; its events still go out.
            result, error, outgoing = await asyncio.shield(done)
        except asyncio.CancelledError:
            done.add_done_callback(_send_when_done)
            raise
        finally:
            self._busy[loop] -= 1
            self._last_used[loop] = loop.time()
            if loop not in self._idle:
                # One pending check per loop, not a timer per call.
                self._idle[loop] = loop.call_later(
                    IDLE_CLOSE_SECONDS, self._close_if_idle, loop
                )
        if outgoing:
            await publish_committed(outgoing)
        if error is not None:
            raise error
        return result  # type: ignore[return-value]

    def _close_if_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        quiet_for = loop.time() - self._last_used.get(loop, 0.0)
        if self._busy.get(loop) or quiet_for < IDLE_CLOSE_SECONDS:
            wait = IDLE_CLOSE_SECONDS
            if not self._busy.get(loop):
                wait -= quiet_for
            self._idle[loop] = loop.call_later(wait, self._close_if_idle, loop)
            return
        self._idle.pop(loop, None)
        loop.run_in_executor(self.executor(), _close_own_connection)

    def close_connection(self) -> None:
        """Close the thread's database connection now (waits for it)."""
        if self._executor is not None:
            self._executor.submit(_close_own_connection).result(timeout=10)


# Presence runs on this one; apps with a busy socket path have their own.
realtime_db = DatabaseThread("realtime-db")

# Tasks started with `spawn` and not yet finished: the event loop holds only weak
# references to tasks, so one nobody references could be garbage-collected mid-run.
background_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Start `coro` as a task that stays referenced until it is done."""
    task = asyncio.get_running_loop().create_task(coro)
    background_tasks.add(task)
    task.add_done_callback(background_tasks.discard)
    return task


def per_loop(factory: Callable[[], T]) -> Callable[[], T]:
    """A getter for one `factory()` object per event loop (i.e. per process; tests
    run many loops)."""
    objects: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
        weakref.WeakKeyDictionary()
    )

    def get() -> T:
        loop = asyncio.get_running_loop()
        found = objects.get(loop)
        if found is None:
            found = objects[loop] = factory()
        return found

    return get
