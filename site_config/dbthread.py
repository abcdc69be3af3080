"""A database thread per process for the socket paths, and background tasks that stay
referenced.

Why not `database_sync_to_async` per call: every consumer's calls would share
Channels' one thread with the session loads of new sockets, and it closes
connections around each call unless CONN_MAX_AGE keeps them (with 0, opening and
closing one cost more than a chat insert or a chess move itself: the last
connection to a WAL database checkpoints it on close). A `DatabaseThread` owns one
long-lived connection and runs its calls in arrival order, each still in its own
transaction (row locks included), so PostgreSQL serialises commands across
processes exactly as before. On SQLite a thread may also run the calls that queued
up meanwhile in one transaction (`batch=True`, the chess commands): one COMMIT for
several. The event loop never blocks on the database. The connection is closed
after a few idle seconds, so a quiet process holds none (and a test database can be
dropped).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

IDLE_CLOSE_SECONDS = 5.0
# Calls per shared transaction at most: bounds how long one holds SQLite's lock.
MAX_BATCH = 32


def _close_own_connection() -> None:
    # Runs on the database thread: `connection` resolves to that thread's own.
    connection.close()


def _call(func: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Runs on the database thread. A connection that broke (database restart, idle
    timeout) is replaced and the call tried once more; callers make their calls safe
    to repeat (a chess move carries its ply, so a retry after a commit is refused as
    stale, never applied twice)."""
    if connection.errors_occurred and not connection.is_usable():
        connection.close()
    try:
        return func(*args, **kwargs)
    except (OperationalError, InterfaceError):
        if connection.connection is None or connection.is_usable():
            raise  # e.g. a lock timeout: the connection itself is fine
        logger.warning("%s: database connection lost; reconnecting", func.__name__)
        connection.close()
        return func(*args, **kwargs)


class _Queued:
    """A call waiting for the database thread, and the future of its result."""

    __slots__ = ("func", "args", "kwargs", "future")

    def __init__(self, func: Callable[..., Any], args: Any, kwargs: Any) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def settle(self, ok: bool, value: Any) -> None:
        if ok:
            self.future.set_result(value)
        else:
            self.future.set_exception(value)

    def run_alone(self) -> None:
        try:
            value = _call(self.func, self.args, self.kwargs)
        except Exception as exc:  # handed to the awaiting caller
            self.settle(False, exc)
        else:
            self.settle(True, value)


def _run_batch(batch: list[_Queued]) -> None:
    """Runs on the database thread. On SQLite, calls that queued up while earlier
    ones ran share one transaction, each in a savepoint of its own (a refused
    command rolls back only itself), and their results are handed out only once it
    has committed: one COMMIT instead of one per call. SQLite has a single writer
    anyway; on PostgreSQL a batch would hold several games' row locks at once
    (lock-order deadlocks between processes), so each call runs alone there.

    A call whose caller was cancelled before it started is dropped, as an executor
    drops a cancelled job.
    """
    if len(batch) > 1 and connection.vendor == "sqlite":
        batch = [
            queued for queued in batch if queued.future.set_running_or_notify_cancel()
        ]
        if len(batch) > 1:
            _run_together(batch)
            return
        for queued in batch:
            queued.run_alone()
        return
    for queued in batch:
        if queued.future.set_running_or_notify_cancel():
            queued.run_alone()


def _run_together(batch: list[_Queued]) -> None:
    if connection.errors_occurred and not connection.is_usable():
        connection.close()
    outcomes: list[tuple[bool, Any]] = []
    committed = False

    def mark_committed() -> None:
        nonlocal committed
        committed = True

    try:
        with transaction.atomic():
            # Registered first, so it runs first once the COMMIT has succeeded.
            transaction.on_commit(mark_committed)
            for queued in batch:
                try:
                    with transaction.atomic():
                        value = queued.func(*queued.args, **queued.kwargs)
                except (OperationalError, InterfaceError):
                    raise  # the transaction itself is in doubt
                except Exception as exc:  # the caller's to handle
                    outcomes.append((False, exc))
                else:
                    outcomes.append((True, value))
    except Exception as exc:
        if committed:
            # An on_commit callback failed after the COMMIT: the calls' work is
            # stored, so their own outcomes stand.
            logger.exception("a callback after a batch's commit failed")
        elif isinstance(exc, DatabaseError):
            # Nothing of the batch was committed (a lock timeout, a lost
            # connection, or a constraint SQLite checks only at COMMIT, such as a
            # foreign key): each call again, on its own, where its own error is its
            # own (calls are safe to repeat, see _call).
            logger.warning(
                "a batch of %d database calls failed; retrying each", len(batch)
            )
            for queued in batch:
                queued.run_alone()
            return
        else:
            raise
    for queued, (ok, value) in zip(batch, outcomes, strict=True):
        queued.settle(ok, value)


def _fail(batch: list[_Queued], exc: BaseException) -> None:
    for queued in batch:
        if not queued.future.done():
            queued.future.set_exception(exc)


class DatabaseThread:
    """One thread with one long-lived database connection, e.g. for a consumer app.

    With `batch=True` (chess commands), calls that arrive while the thread is busy
    are run together on SQLite, in one transaction (see `_run_batch`).
    """

    def __init__(self, name: str, *, batch: bool = False) -> None:
        self.name = name
        self.batch = batch
        self._queue: list[_Queued] = []
        self._queue_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        # Per event loop (tests run many): the pending idle close, the calls in flight.
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
        """Run `func(*args, **kwargs)` on this thread and return its result."""
        loop = asyncio.get_running_loop()
        self._busy[loop] = self._busy.get(loop, 0) + 1
        try:
            if self.batch:
                queued = _Queued(func, args, kwargs)
                with self._queue_lock:
                    self._queue.append(queued)
                    first = len(self._queue) == 1
                if first:  # otherwise a drain is already on its way
                    self._submit_drain()
                return await asyncio.wrap_future(queued.future)
            return await loop.run_in_executor(
                self.executor(), functools.partial(_call, func, args, kwargs)
            )
        finally:
            self._busy[loop] -= 1
            self._last_used[loop] = loop.time()
            if loop not in self._idle:
                # One pending check per loop, not a timer per call.
                self._idle[loop] = loop.call_later(
                    IDLE_CLOSE_SECONDS, self._close_if_idle, loop
                )

    def _drain(self) -> None:
        """Runs on the database thread: what has queued so far, as one batch."""
        with self._queue_lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            more = bool(self._queue)
        if more:
            self._submit_drain()
        try:
            _run_batch(batch)
        except BaseException as exc:
            _fail(batch, exc)  # no caller may wait forever, whatever went wrong
            raise

    def _submit_drain(self) -> None:
        """Have the thread drain the queue; if it cannot (the executor is shutting
        down), fail what waits instead of leaving it queued forever."""
        try:
            self.executor().submit(self._drain)
        except BaseException as exc:
            with self._queue_lock:
                stranded, self._queue = self._queue, []
            _fail(stranded, exc)

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

    async def close_connection_async(self) -> None:
        # Straight to the thread, never into a batch's transaction.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor(), _close_own_connection)


# Tasks started with `spawn` and not yet finished: the event loop holds only weak
# references to tasks, so one nobody references could be garbage-collected mid-run.
background_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Start `coro` as a task that stays referenced until it is done."""
    task = asyncio.get_running_loop().create_task(coro)
    background_tasks.add(task)
    task.add_done_callback(background_tasks.discard)
    return task
