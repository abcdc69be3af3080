"""The event pipeline: `publish_on_commit` sends after COMMIT, from a database thread
through the event loop and from plain sync code through the layer."""

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from site_config.realtime.events import publish_on_commit
from site_config.realtime.hub import get_hub
from site_config.realtime.tasks import DatabaseThread
from site_config.visitors.models import Guest

GROUP = "test_events"


@dataclass(frozen=True)
class Noted:
    name: ClassVar[str] = "test.noted"
    text: str

    def payload(self) -> dict[str, Any]:
        return {"type": "noted", "text": self.text}


class Member:
    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.arrived = asyncio.Event()

    def hub_event(self, event: str, frame: str) -> None:
        self.received.append((event, frame))
        self.arrived.set()


async def joined_member() -> Member:
    member = Member()
    await get_hub().join(GROUP, member)
    return member


def write_and_publish(text: str) -> int:
    with transaction.atomic():
        guest = Guest.objects.create(visitor_id=text, name=text)
        publish_on_commit(GROUP, Noted(text))
    return guest.pk


def publish_then_fail(text: str) -> None:
    write_and_publish(text)
    raise ValueError("refused after the commit")


def roll_back(text: str) -> None:
    with transaction.atomic():
        Guest.objects.create(visitor_id=text, name=text)
        publish_on_commit(GROUP, Noted(text))
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
async def test_an_event_committed_on_a_database_thread_reaches_the_group():
    member = await joined_member()
    db = DatabaseThread("test-events")
    pk = await db.run(write_and_publish, "ann")
    assert pk
    await asyncio.wait_for(member.arrived.wait(), 2)
    assert member.received == [("test.noted", '{"type":"noted","text":"ann"}')]
    await get_hub().leave(GROUP, member)
    await sync_to_async(db.close_connection)()


@pytest.mark.django_db(transaction=True)
async def test_a_rolled_back_event_is_never_sent():
    member = await joined_member()
    db = DatabaseThread("test-events-rollback")
    await db.run(roll_back, "bob")
    await db.run(write_and_publish, "cy")  # a later event proves the order
    await asyncio.wait_for(member.arrived.wait(), 2)
    assert [frame for _, frame in member.received] == ['{"type":"noted","text":"cy"}']
    await get_hub().leave(GROUP, member)
    await sync_to_async(db.close_connection)()


@pytest.mark.django_db(transaction=True)
async def test_a_committed_event_is_sent_even_when_the_call_then_fails():
    member = await joined_member()
    db = DatabaseThread("test-events-fail")
    with pytest.raises(ValueError, match="after the commit"):
        await db.run(publish_then_fail, "dee")
    await asyncio.wait_for(member.arrived.wait(), 2)
    assert len(member.received) == 1
    await get_hub().leave(GROUP, member)
    await sync_to_async(db.close_connection)()


@pytest.mark.django_db(transaction=True)
async def test_sync_code_outside_a_database_thread_publishes_through_the_layer():
    """An HTTP view runs in a worker thread of the server's loop: the same path."""
    member = await joined_member()
    await sync_to_async(write_and_publish)("eve")
    await asyncio.wait_for(member.arrived.wait(), 2)
    assert member.received[0][0] == "test.noted"
    await get_hub().leave(GROUP, member)
