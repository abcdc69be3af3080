"""HTTP requests run their sync code on reused threads, keeping connections bounded."""

from __future__ import annotations

import asyncio
import os
import threading
import time
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
    wrapped = ReusedSyncThreads(app_reporting_threads(seen))
    for _ in range(5):
        await request(wrapped)
    assert len(set(seen)) == 1
    assert seen[0] != threading.get_ident()
    assert wrapped.created == 1


async def test_concurrent_requests_run_side_by_side_on_their_own_threads():
    seen: list[int] = []
    hold, arrived = asyncio.Event(), asyncio.Event()
    wrapped = ReusedSyncThreads(app_reporting_threads(seen, hold, arrived, 3))
    tasks = [asyncio.create_task(request(wrapped)) for _ in range(3)]
    await asyncio.wait_for(arrived.wait(), 5)
    hold.set()
    await asyncio.gather(*tasks)
    assert len(set(seen)) == 3
    assert len(wrapped.idle) == 3  # all kept for the next requests


async def test_executors_beyond_the_kept_number_are_retired():
    seen: list[int] = []
    hold, arrived = asyncio.Event(), asyncio.Event()
    wrapped = ReusedSyncThreads(app_reporting_threads(seen, hold, arrived, 3), keep=1)
    tasks = [asyncio.create_task(request(wrapped)) for _ in range(3)]
    await asyncio.wait_for(arrived.wait(), 5)
    hold.set()
    await asyncio.gather(*tasks)
    assert len(wrapped.idle) == 1
    retired = set(seen) - {wrapped.idle[0]._threads.copy().pop().ident}
    deadline = time.monotonic() + 5
    alive = {t.ident for t in threading.enumerate()}
    while retired & alive and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        alive = {t.ident for t in threading.enumerate()}
    assert not retired & alive


async def test_other_scopes_pass_through_untouched():
    seen: list[int] = []
    wrapped = ReusedSyncThreads(app_reporting_threads(seen))
    await request(wrapped, "lifespan")
    assert wrapped.created == 0


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
def test_live_requests_keep_a_bounded_number_of_connections(daphne_server):
    db = daphne_server.env["PARLOUR_SQLITE_PATH"]
    client = LiveClient(daphne_server.url)
    client.set_name("Connie")
    for _ in range(25):
        assert client.get("/roulette/").status == 200
    # One connection per reused thread: a thread (and a connection) per request
    # would leave up to 25 open here.
    assert 1 <= open_descriptors(daphne_server.process.pid, db) <= 3
