"""The shared presence module: who is where, across processes and crashes."""

import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from site_config.realtime import presence
from site_config.realtime.models import Presence

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    changes: list[presence.PresenceChange] = []
    presence.listen("ptest_", changes.extend)
    yield changes
    presence._listeners[:] = [
        item for item in presence._listeners if item[1] != changes.extend
    ]


def test_first_socket_joins_and_last_socket_leaves(heard):
    first = presence.enter(group="ptest_1", connection="c1", member="ann")
    second = presence.enter(group="ptest_1", connection="c2", member="ann")
    assert (first.joined, second.joined) == (True, False)
    assert presence.members("ptest_1") == ["ann"]
    left_one = presence.leave(connection="c1")
    assert left_one is not None and not left_one.left
    left_two = presence.leave(connection="c2")
    assert left_two is not None and left_two.left and left_two.members == []
    assert [(c.joined, c.left) for c in heard] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
    ]
    assert presence.leave(connection="c2") is None  # twice is harmless


def test_listeners_hear_only_their_prefix(heard):
    presence.enter(group="other_1", connection="o1", member="bob")
    assert heard == []


def test_counts_members_per_group():
    presence.enter(group="ptest_a", connection="a1", member="ann")
    presence.enter(group="ptest_a", connection="a2", member="ann")
    presence.enter(group="ptest_a", connection="a3", member="bob")
    assert presence.counts(["ptest_a", "ptest_b"]) == {"ptest_a": 2, "ptest_b": 0}


def test_a_crashed_process_rows_stop_counting_and_are_swept(heard):
    now = timezone.now()
    old = now - timedelta(seconds=presence.ttl_seconds() + 5)
    presence.enter(group="ptest_2", connection="dead", member="cy", now=old)
    presence.enter(group="ptest_2", connection="live", member="dee", now=now)
    assert presence.members("ptest_2", now) == ["dee"]
    heard.clear()
    changes = presence.heartbeat(connections={"live": ("ptest_2", "dee")}, now=now)
    assert [(c.member, c.left, c.at) for c in changes] == [("cy", True, old)]
    assert changes[0].members == ["dee"]
    assert heard == changes
    assert not Presence.objects.filter(connection="dead").exists()
    # Another process sweeping at the same time reports nothing more.
    assert presence.heartbeat(connections={}, now=now) == []


def test_a_live_socket_swept_by_another_process_comes_back(heard):
    now = timezone.now()
    old = now - timedelta(seconds=presence.ttl_seconds() + 5)
    presence.enter(group="ptest_3", connection="stalled", member="eve", now=old)
    presence.heartbeat(connections={}, now=now)  # another process sweeps it
    assert presence.members("ptest_3", now) == []
    heard.clear()
    changes = presence.heartbeat(connections={"stalled": ("ptest_3", "eve")}, now=now)
    assert [(c.member, c.joined) for c in changes] == [("eve", True)]
    assert presence.members("ptest_3", now) == ["eve"]


def test_the_heartbeat_refreshes_its_rows():
    now = timezone.now()
    old = now - timedelta(seconds=presence.ttl_seconds() - 1)
    presence.enter(group="ptest_4", connection="k", member="fay", now=old)
    assert presence.heartbeat(connections={"k": ("ptest_4", "fay")}, now=now) == []
    assert Presence.objects.get(connection="k").last_seen == now


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the advisory lock exists on PostgreSQL (SQLite serialises writers)",
)
@pytest.mark.django_db(transaction=True)
def test_presence_changes_of_one_group_are_serialised_across_connections():
    """Two processes deciding "last socket out" at once must not both miss it: a
    leave waits while another transaction holds the group's presence lock."""
    presence.enter(group="ptest_lock", connection="tab-1", member="ann")
    presence.enter(group="ptest_lock", connection="tab-2", member="ann")
    holding = threading.Event()
    release = threading.Event()
    outcome: list[presence.PresenceChange | None] = []

    def hold_the_group() -> None:
        with transaction.atomic():
            presence._lock_groups(["ptest_lock"])
            holding.set()
            release.wait(10)
        connections.close_all()

    def leave_tab_two() -> None:
        outcome.append(presence.leave(connection="tab-2"))
        connections.close_all()

    holder = threading.Thread(target=hold_the_group)
    holder.start()
    assert holding.wait(10)
    leaver = threading.Thread(target=leave_tab_two)
    leaver.start()
    with connection.cursor() as cursor:
        for _ in range(500):
            cursor.execute(
                "SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND NOT granted"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the leave did not wait for the group's lock")
    assert not outcome
    release.set()
    holder.join(10)
    leaver.join(10)
    assert outcome and outcome[0] is not None and not outcome[0].left
    last = presence.leave(connection="tab-1")
    assert last is not None and last.left
