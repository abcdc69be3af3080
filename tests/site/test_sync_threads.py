"""HTTP requests run their sync code on reused threads, keeping connections bounded."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from site_config.sync_threads import ReusedSyncThreads
from tests.support import LiveClient


def app_reporting_threads(
    seen: list[int],
    hold: asyncio.Event | None = None,
    arrived: asyncio.Event | None = None,
    expected: int = 0,
):
    """An ASGI app whose sync part records the thread it ran on; with `hold`, each
    request waits for it (and `arrived` is set once `expected` have started)."""

    async def app(scope, receive, send):
        seen.append(await sync_to_async(threading.get_ident)())
        if arrived is not None and len(seen) >= expected:
            arrived.set()
        if hold is not None:
            await hold.wait()

    return app


async def request(wrapped, kind: str = "http") -> None:
    await wrapped({"type": kind}, None, None)


async def test_sequential_requests_reuse_one_thread():
    seen: list[int] = []
    wrapped = ReusedSyncThreads(app_reporting_threads(seen), threads=4)
    for _ in range(5):
        await request(wrapped)
    assert len(set(seen)) == 1
    assert seen[0] != threading.get_ident()
    assert wrapped.created == 1


async def test_concurrent_requests_run_side_by_side_on_their_own_threads():
    seen: list[int] = []
    hold, arrived = asyncio.Event(), asyncio.Event()
    app = app_reporting_threads(seen, hold, arrived, 3)
    wrapped = ReusedSyncThreads(app, threads=4)
    tasks = [asyncio.create_task(request(wrapped)) for _ in range(3)]
    await asyncio.wait_for(arrived.wait(), 5)
    hold.set()
    await asyncio.gather(*tasks)
    assert len(set(seen)) == 3
    assert len(wrapped.idle) == 3  # all kept for the next requests


async def test_requests_beyond_the_pool_wait_for_a_free_thread():
    seen: list[int] = []
    hold, arrived = asyncio.Event(), asyncio.Event()
    app = app_reporting_threads(seen, hold, arrived, 2)
    wrapped = ReusedSyncThreads(app, threads=2)
    tasks = [asyncio.create_task(request(wrapped)) for _ in range(5)]
    await asyncio.wait_for(arrived.wait(), 5)
    await asyncio.sleep(0.05)
    assert len(seen) == 2 and len(wrapped.waiting) == 3  # three wait, no thread
    hold.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert len(seen) == 5 and len(set(seen)) == 2
    assert wrapped.created == 2 and len(wrapped.idle) == 2


async def test_a_waiting_request_that_is_cancelled_gives_up_its_turn():
    seen: list[int] = []
    hold, arrived = asyncio.Event(), asyncio.Event()
    app = app_reporting_threads(seen, hold, arrived, 1)
    wrapped = ReusedSyncThreads(app, threads=1)
    first = asyncio.create_task(request(wrapped))
    await asyncio.wait_for(arrived.wait(), 5)
    gone = asyncio.create_task(request(wrapped))
    await asyncio.sleep(0.01)
    gone.cancel()
    hold.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await gone
    await asyncio.wait_for(request(wrapped), 5)  # the thread was not lost
    assert len(wrapped.idle) == 1


async def test_other_scopes_pass_through_untouched():
    seen: list[int] = []
    wrapped = ReusedSyncThreads(app_reporting_threads(seen), threads=1)
    await request(wrapped, "lifespan")
    assert wrapped.created == 0


def test_the_pool_needs_a_thread():
    with pytest.raises(ValueError):
        ReusedSyncThreads(app_reporting_threads([]), threads=0)


def open_descriptors(pid: int, path: str) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) == path:
                count += 1
        except OSError:
            continue
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_live_requests_keep_one_connection_per_thread(daphne_factory):
    server = daphne_factory(PARLOUR_HTTP_THREADS="2")
    db = server.env["PARLOUR_SQLITE_PATH"]

    def visitor(n: int) -> None:
        client = LiveClient(server.url)
        client.set_name(f"Connie {n}")
        for _ in range(10):
            assert client.get("/roulette/").status == 200

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(visitor, range(4)))
    # One connection per reused thread; a thread (and a connection) per request
    # would leave dozens open here.
    assert 1 <= open_descriptors(server.process.pid, db) <= 2


async def test_a_cancelled_request_returns_its_thread_only_once_it_is_free():
    release = threading.Event()
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow_view() -> int:
        loop.call_soon_threadsafe(started.set)
        assert release.wait(5)
        return threading.get_ident()

    async def app(scope, receive, send):
        await sync_to_async(slow_view)()

    wrapped = ReusedSyncThreads(app, threads=2)
    slow = asyncio.create_task(request(wrapped))
    await asyncio.wait_for(started.wait(), 5)
    slow.cancel()  # e.g. daphne giving up on a client; the view runs on
    with pytest.raises(asyncio.CancelledError):
        await slow
    seen: list[int] = []
    wrapped.app = app_reporting_threads(seen)
    await asyncio.wait_for(request(wrapped), 2)  # not stuck behind the slow view
    assert wrapped.created == 2
    release.set()
    for _ in range(100):  # the busy thread comes back once its view is done
        if len(wrapped.idle) == 2:
            break
        await asyncio.sleep(0.02)
    assert len(wrapped.idle) == 2
