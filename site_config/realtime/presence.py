"""Presence for every live feature: who is connected to which hub group, correct
across processes and after crashes.

Each open socket has a row (`Presence`); each process refreshes all its rows with one
UPDATE per heartbeat and sweeps the rows of dead processes. A feature says who it
counts (`member`: a chat name, a chess seat) and hears about changes through a
listener registered for its groups' prefix (in its `AppConfig.ready`), which runs on
the database thread and may write and `publish_on_commit`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from site_config.realtime.models import Presence
from site_config.realtime.outages import log_failure
from site_config.realtime.tasks import per_loop, realtime_db, spawn

logger = logging.getLogger(__name__)


@dataclass
class PresenceChange:
    """A socket of `member` arrived in or left `group`: `joined` when it is the
    member's first there, `left` when it was their last. `members` is who is there
    now; `at` when it happened (for a crashed process: its last heartbeat)."""

    group: str
    member: str
    at: datetime
    joined: bool = False
    left: bool = False
    members: list[str] = field(default_factory=list)


Listener = Callable[[list[PresenceChange]], None]
_listeners: list[tuple[str, Listener]] = []


def listen(prefix: str, listener: Listener) -> None:
    """Call `listener(changes)` for changes in groups starting with `prefix`."""
    if (prefix, listener) not in _listeners:
        _listeners.append((prefix, listener))


def _notify(changes: list[PresenceChange]) -> None:
    for prefix, listener in _listeners:
        mine = [change for change in changes if change.group.startswith(prefix)]
        if mine:
            listener(mine)


def heartbeat_seconds() -> float:
    return float(settings.PARLOUR_PRESENCE_HEARTBEAT_SECONDS)


def ttl_seconds() -> float:
    """Age after which a row no longer counts: a few missed beats (a busy process
    must not blink anyone off)."""
    return float(settings.PARLOUR_PRESENCE_TTL_SECONDS)


def cutoff(now: datetime | None = None) -> datetime:
    """Rows last refreshed before this instant are ghosts of a dead process."""
    return (now or timezone.now()) - timedelta(seconds=ttl_seconds())


def fresh(group: str | None = None, now: datetime | None = None) -> QuerySet[Presence]:
    rows = Presence.objects.filter(last_seen__gte=cutoff(now))
    return rows if group is None else rows.filter(group=group)


def members(group: str, now: datetime | None = None) -> list[str]:
    """Who is connected to `group` now, each once, sorted."""
    found = fresh(group, now).values_list("member", flat=True).distinct()
    return sorted(set(found))


def counts(groups: Iterable[str], now: datetime | None = None) -> dict[str, int]:
    """How many members each of `groups` has now (0 for none)."""
    wanted = list(groups)
    rows = (
        fresh(None, now)
        .filter(group__in=wanted)
        .values_list("group", "member")
        .distinct()
    )
    found = dict.fromkeys(wanted, 0)
    for group, _ in rows:
        found[group] += 1
    return found


def _still_there(group: str, member: str, now: datetime) -> bool:
    return fresh(group, now).filter(member=member).exists()


def _lock_groups(groups: Iterable[str]) -> None:
    """Serialise presence changes per group across processes, until the current
    transaction ends. Without it, two processes deciding "first socket in" or "last
    socket out" at once (READ COMMITTED) can both miss, or both claim, the edge.
    PostgreSQL: one transaction-scoped advisory lock per group, in a fixed order;
    SQLite's IMMEDIATE transactions already serialise every writer."""
    if db_connection.vendor != "postgresql":
        return
    with db_connection.cursor() as cursor:
        for group in sorted(set(groups)):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"presence:{group}"]
            )


def enter(
    *, group: str, connection: str, member: str, now: datetime | None = None
) -> PresenceChange:
    """Record a new socket of `member` in `group` (runs on a database thread)."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_groups([group])
        already = _still_there(group, member, now)
        Presence.objects.create(
            group=group, connection=connection, member=member, last_seen=now
        )
        change = PresenceChange(
            group, member, now, joined=not already, members=members(group, now)
        )
        _notify([change])
    return change


def leave(*, connection: str, now: datetime | None = None) -> PresenceChange | None:
    """Forget a closed socket; None if its row was already swept."""
    now = now or timezone.now()
    with transaction.atomic():
        row = Presence.objects.filter(connection=connection).first()
        if row is None:
            return None
        _lock_groups([row.group])
        deleted, _ = Presence.objects.filter(pk=row.pk).delete()
        change = PresenceChange(
            row.group,
            row.member,
            now,
            left=bool(deleted) and not _still_there(row.group, row.member, now),
            members=members(row.group, now),
        )
        _notify([change])
    return change


def heartbeat(
    *, connections: Mapping[str, tuple[str, str]], now: datetime | None = None
) -> list[PresenceChange]:
    """One process's beat: refresh its sockets' rows (connection -> (group,
    member)) with one UPDATE, re-create rows another process swept while this one
    stalled, then sweep the rows of dead processes. Returns the changes.

    Two transactions: the refresh commits before the sweep takes any group lock,
    so no process holds row locks while it waits for a group (no lock-order
    deadlock with another's leave). A listener that fails rolls its sweep back,
    leaving the rows for the next beat."""
    now = now or timezone.now()
    changes: list[PresenceChange] = []
    if connections:
        with transaction.atomic():
            refreshed = Presence.objects.filter(
                connection__in=list(connections)
            ).update(last_seen=now)
            if refreshed < len(connections):
                changes += _restore(connections, now)
    with transaction.atomic():
        changes += _sweep(now)
        if changes:
            for group in {change.group for change in changes}:
                listed = members(group, now)
                for change in changes:
                    if change.group == group:
                        change.members = listed
            _notify(changes)
    return changes


def _present(pairs: Iterable[tuple[str, str]], now: datetime) -> set[tuple[str, str]]:
    """Which (group, member) pairs have a fresh row: one query for all of them."""
    wanted = set(pairs)
    if not wanted:
        return set()
    rows = (
        fresh(None, now)
        .filter(
            group__in={group for group, _ in wanted},
            member__in={member for _, member in wanted},
        )
        .values_list("group", "member")
        .distinct()
    )
    return {pair for pair in rows if pair in wanted}


def _restore(
    connections: Mapping[str, tuple[str, str]], now: datetime
) -> list[PresenceChange]:
    present = set(
        Presence.objects.filter(connection__in=list(connections)).values_list(
            "connection", flat=True
        )
    )
    missing = {c: pair for c, pair in connections.items() if c not in present}
    _lock_groups(group for group, _ in missing.values())
    there = _present(missing.values(), now)
    # ignore_conflicts: a row re-created concurrently (or never lost) stays.
    Presence.objects.bulk_create(
        [
            Presence(group=group, connection=connection, member=member, last_seen=now)
            for connection, (group, member) in missing.items()
        ],
        ignore_conflicts=True,
    )
    return [
        PresenceChange(group, member, now, joined=True)
        for group, member in sorted(set(missing.values()) - there)
    ]


def _sweep(now: datetime) -> list[PresenceChange]:
    """Delete stale rows. Several processes may sweep at once: each takes the rows
    it can lock (others skip them), so a departure is reported once."""
    old = Presence.objects.filter(last_seen__lt=cutoff(now))
    groups = set(old.values_list("group", flat=True))
    if not groups:
        return []
    _lock_groups(groups)  # groups first, rows second: the order leave() takes
    stale = list(
        old.filter(group__in=groups)
        .select_for_update(skip_locked=True)
        .values_list("pk", "group", "member", "last_seen")
    )
    if not stale:
        return []
    Presence.objects.filter(pk__in=[pk for pk, _, _, _ in stale]).delete()
    gone: dict[tuple[str, str], datetime] = {}
    for _, group, member, seen in stale:
        gone[(group, member)] = max(seen, gone.get((group, member), seen))
    there = _present(gone, now)
    return [
        PresenceChange(group, member, seen, left=True)
        for (group, member), seen in sorted(gone.items())
        if (group, member) not in there
    ]


class Tracker:
    """Per process: this process's open sockets and the one heartbeat task."""

    def __init__(self) -> None:
        self.connections: dict[str, tuple[str, str]] = {}
        self.task: asyncio.Task[None] | None = None

    async def join(self, *, group: str, connection: str, member: str) -> PresenceChange:
        """Record a socket and keep its row fresh until `part`."""
        self.connections[connection] = (group, member)
        if self.task is None or self.task.done():
            self.task = spawn(self.run())
        # On failure the socket stays tracked: the caller's part() removes it.
        return await realtime_db.run(
            enter, group=group, connection=connection, member=member
        )

    async def part(self, connection: str) -> PresenceChange | None:
        """Forget a socket (safe to call twice, or for one that never joined)."""
        if self.connections.pop(connection, None) is None:
            return None
        # The heartbeat task ends by itself once nothing is tracked: cancelling it
        # mid-beat would drop the events of a sweep it had already committed.
        return await realtime_db.run(leave, connection=connection)

    async def run(self) -> None:
        while self.connections:
            await asyncio.sleep(heartbeat_seconds())
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database may be briefly unavailable
                log_failure(logger, "presence heartbeat failed", error)

    async def beat(self) -> None:
        beating = dict(self.connections)
        await realtime_db.run(heartbeat, connections=beating)
        # A socket that closed during the beat may just have had its row
        # re-created: remove it again (nothing happens if part() already did).
        for connection in beating.keys() - self.connections.keys():
            await realtime_db.run(leave, connection=connection)


tracker = per_loop(Tracker)
