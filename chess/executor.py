"""The socket path's database thread: every chess command from a WebSocket runs here.

Why not `database_sync_to_async` per command: with CONN_MAX_AGE = 0 (Django's advice
under ASGI) each call opens a connection (running the SQLite `init_command` PRAGMAs)
and closes it again (the last connection to a WAL database checkpoints it on close),
which cost more than the move itself. Here one thread per process owns one long-lived
connection and runs the commands in arrival order, each still in its own row-locked
transaction (`select_for_update`), so PostgreSQL serialises commands across processes
exactly as before. The event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The thread's connection is closed after this many idle seconds, so a quiet process
# holds no database connection (and a test database can be dropped).
IDLE_CLOSE_SECONDS = 5.0

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
# Per event loop (tests run many): the pending idle close, and the calls in flight.
_idle: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.TimerHandle] = (
    weakref.WeakKeyDictionary()
)
_busy: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, int] = (
    weakref.WeakKeyDictionary()
)


def executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            # One thread: commands run in order, and its connection is reused.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chess-db")
        return _executor


def _close_own_connection() -> None:
    # Runs on the chess thread: `connection` resolves to that thread's own.
    connection.close()


def close_connection() -> None:
    """Close the chess thread's database connection now (waits for it)."""
    if _executor is not None:
        _executor.submit(_close_own_connection).result(timeout=10)


def _call(func: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Runs on the chess thread. A connection that broke (database restart, idle
    timeout) is replaced and the command tried once more: if the first attempt
    did commit, the retry is refused as stale (the ply moved on), never applied
    twice."""
    if connection.errors_occurred and not connection.is_usable():
        connection.close()
    try:
        return func(*args, **kwargs)
    except (OperationalError, InterfaceError):
        if connection.connection is None or connection.is_usable():
            raise  # e.g. a lock timeout: the connection itself is fine
        logger.warning("chess executor: database connection lost; reconnecting")
        connection.close()
        return func(*args, **kwargs)


async def run(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run `func(*args, **kwargs)` on this process's chess database thread."""
    loop = asyncio.get_running_loop()
    handle = _idle.pop(loop, None)
    if handle is not None:
        handle.cancel()
    _busy[loop] = _busy.get(loop, 0) + 1
    try:
        return await loop.run_in_executor(
            executor(), functools.partial(_call, func, args, kwargs)
        )
    finally:
        _busy[loop] -= 1
        if not _busy[loop]:
            _idle[loop] = loop.call_later(IDLE_CLOSE_SECONDS, _close_if_idle, loop)


def _close_if_idle(loop: asyncio.AbstractEventLoop) -> None:
    _idle.pop(loop, None)
    if not _busy.get(loop):
        loop.run_in_executor(executor(), _close_own_connection)
