"""Batched database-thread calls: one transaction, a savepoint each, results after
the commit, and the same outcomes as calls run one by one."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from site_config.dbthread import DatabaseThread
from site_config.models import Guest

pytestmark = pytest.mark.django_db(transaction=True)


class Gate:
    """Holds the database thread busy until released, so that calls queue up."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def hold(self) -> str:
        self.entered.set()
        assert self.release.wait(10)
        return "held"


def add_guest(name: str) -> int:
    with transaction.atomic():
        return Guest.objects.create(session_key=name, name=name).pk


def add_then_refuse(name: str) -> None:
    Guest.objects.create(session_key=name, name=name)
    raise ValueError(f"{name} refused")


async def guest_names() -> set[str]:
    return await asyncio.to_thread(
        lambda: set(Guest.objects.values_list("name", flat=True))
    )


def in_transaction() -> bool:
    return connection.in_atomic_block


async def queued_behind_a_gate(db: DatabaseThread, *calls) -> list:
    gate = Gate()
    first = asyncio.ensure_future(db.run(gate.hold))
    await asyncio.to_thread(gate.entered.wait, 10)
    tasks = [asyncio.ensure_future(db.run(func, *args)) for func, *args in calls]
    await asyncio.sleep(0.05)  # all queued while the thread is held
    gate.release.set()
    assert await first == "held"
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_queued_calls_share_one_transaction_and_keep_their_own_outcome():
    db = DatabaseThread("test-batch", batch=True)
    try:
        results = await queued_behind_a_gate(
            db,
            (add_guest, "ann"),
            (add_then_refuse, "bob"),
            (in_transaction,),
            (add_guest, "cy"),
        )
    finally:
        await db.close_connection_async()
    assert isinstance(results[0], int) and isinstance(results[3], int)
    assert isinstance(results[1], ValueError)
    assert results[2] is True  # ran inside the batch's transaction
    names = await guest_names()
    assert names == {"ann", "cy"}  # the refused call's row was rolled back alone


async def test_a_cancelled_queued_call_does_not_run():
    db = DatabaseThread("test-batch-cancel", batch=True)
    gate = Gate()
    try:
        first = asyncio.ensure_future(db.run(gate.hold))
        await asyncio.to_thread(gate.entered.wait, 10)
        dropped = asyncio.ensure_future(db.run(add_guest, "dropped"))
        kept = asyncio.ensure_future(db.run(add_guest, "kept"))
        await asyncio.sleep(0.05)
        dropped.cancel()
        gate.release.set()
        await first
        await kept
    finally:
        await db.close_connection_async()
    names = await guest_names()
    assert names == {"kept"}


async def test_a_batch_whose_transaction_fails_runs_each_call_alone():
    db = DatabaseThread("test-batch-retry", batch=True)
    failed_once = []

    def flaky(name: str) -> int:
        if connection.in_atomic_block and not failed_once:
            failed_once.append(name)
            raise OperationalError("database is locked")
        return add_guest(name)

    try:
        results = await queued_behind_a_gate(db, (flaky, "dee"), (add_guest, "eve"))
    finally:
        await db.close_connection_async()
    assert all(isinstance(r, int) for r in results)
    names = await guest_names()
    assert names == {"dee", "eve"}


async def test_without_batching_each_call_commits_alone():
    db = DatabaseThread("test-alone")
    try:
        results = await queued_behind_a_gate(db, (in_transaction,), (in_transaction,))
    finally:
        await db.close_connection_async()
    assert results == [False, False]


async def test_closing_the_connection_never_joins_a_batch():
    db = DatabaseThread("test-batch-close", batch=True)
    gate = Gate()
    try:
        first = asyncio.ensure_future(db.run(gate.hold))
        await asyncio.to_thread(gate.entered.wait, 10)
        calls = [
            asyncio.ensure_future(db.run(add_guest, "fay")),
            asyncio.ensure_future(db.close_connection_async()),
            asyncio.ensure_future(db.run(add_guest, "gus")),
        ]
        await asyncio.sleep(0.05)
        gate.release.set()
        await first
        results = await asyncio.gather(*calls)
    finally:
        await db.close_connection_async()
    assert isinstance(results[0], int) and isinstance(results[2], int)
    names = await guest_names()
    assert names == {"fay", "gus"}


def add_orphan_presence(channel: str) -> None:
    from chess.models import Presence

    # SQLite checks foreign keys at COMMIT: the savepoint alone cannot refuse it.
    Presence.objects.create(game_id=987654321, channel=channel)


async def test_a_constraint_failing_at_commit_fails_only_its_own_call():
    db = DatabaseThread("test-batch-fk", batch=True)
    try:
        results = await queued_behind_a_gate(
            db,
            (add_guest, "hal"),
            (add_orphan_presence, "orphan"),
            (add_guest, "ivy"),
        )
    finally:
        await db.close_connection_async()
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert isinstance(results[1], IntegrityError)
    names = await guest_names()
    assert names == {"hal", "ivy"}


def add_guest_then_fail_after_commit(name: str) -> int:
    def broken() -> None:
        raise RuntimeError("a callback failed")

    with transaction.atomic():
        pk = Guest.objects.create(session_key=name, name=name).pk
        transaction.on_commit(broken)
    return pk


async def test_a_failing_commit_callback_does_not_undo_the_outcomes():
    db = DatabaseThread("test-batch-callback", batch=True)
    try:
        results = await queued_behind_a_gate(
            db,
            (add_guest, "jo"),
            (add_guest_then_fail_after_commit, "kai"),
            (add_guest, "lee"),
        )
    finally:
        await db.close_connection_async()
    assert all(isinstance(result, int) for result in results)
    names = await guest_names()
    assert names == {"jo", "kai", "lee"}
