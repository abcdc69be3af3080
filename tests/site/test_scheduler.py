"""Timers keyed by purpose: one pending per key, replaced or cancelled by key."""

import asyncio

from site_config.realtime.scheduler import Scheduler, scheduler


async def test_a_key_holds_one_timer_and_the_latest_wins():
    timers = Scheduler()
    fired: list[str] = []
    done = asyncio.Event()

    def record(label: str):
        async def callback() -> None:
            fired.append(label)
            done.set()

        return callback

    timers.at("game-1", 60, record("early"))
    timers.at("game-1", 0, record("late"))  # replaces the first
    await asyncio.wait_for(done.wait(), 2)
    assert fired == ["late"]
    assert not timers.pending("game-1")


async def test_cancel_stops_a_pending_timer():
    timers = Scheduler()
    fired: list[str] = []

    async def callback() -> None:
        fired.append("x")

    timers.at("k", 0, callback)
    timers.cancel("k")
    assert not timers.pending("k")
    # A second timer on another key fires; the cancelled one never does.
    done = asyncio.Event()

    async def other() -> None:
        done.set()

    timers.at("other", 0, other)
    await asyncio.wait_for(done.wait(), 2)
    assert fired == []


async def test_a_failing_callback_is_logged_and_the_scheduler_goes_on(caplog):
    timers = Scheduler()
    done = asyncio.Event()

    async def boom() -> None:
        raise RuntimeError("database away")

    async def fine() -> None:
        done.set()

    timers.at("a", 0, boom)
    timers.at("b", 0, fine)
    await asyncio.wait_for(done.wait(), 2)
    for _ in range(3):
        await asyncio.sleep(0)
    assert "timer 'a' failed" in caplog.text


async def test_one_scheduler_per_event_loop():
    assert scheduler() is scheduler()
