"""Who is on a game: the chess side of the shared presence module.

A game socket is tracked in the game's group with the seat it holds ("w", "b") or,
for a spectator, a token that cannot be turned back into the visitor id. The
listener (registered in `ChessConfig.ready`) runs on the realtime database thread
with every change, including the sweep of a crashed process's sockets: it records
when each seat's last socket went (`Game.white_gone_at` / `black_gone_at`, cleared
when one is back), for the opponent's "gone" claim, and publishes the summary.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.utils import timezone

from chess import clock
from chess.conf import gone_claim_seconds
from chess.events import PresenceChanged
from chess.models import GAME_GROUP_PREFIX, Colour, Game
from chess.services.lobby import LOBBY_GROUP
from site_config.realtime.events import publish_on_commit
from site_config.realtime.models import Presence
from site_config.realtime.presence import PresenceChange, cutoff

SEATS = (Colour.WHITE.value, Colour.BLACK.value)
SPECTATOR_PREFIX = "watch:"
GONE_FIELDS: dict[str, str] = {
    Colour.WHITE: "white_gone_at",
    Colour.BLACK: "black_gone_at",
}


def presence_member(*, colour: str | None, visitor_id: str | None, channel: str) -> str:
    """Who a game socket counts as: its seat, or one token per watching visitor
    (two tabs count once) that does not reveal the visitor id. An anonymous
    spectator has no visitor id (watching creates none): each socket counts."""
    if colour is not None:
        return colour
    digest = hashlib.sha256((visitor_id or channel).encode()).hexdigest()
    return SPECTATOR_PREFIX + digest[:16]


def presence_summary(
    *, members: list[str], gone: dict[str, datetime | None], now: datetime
) -> dict[str, Any]:
    """`{"type": "presence", "white": bool, "black": bool, "spectators": int, ...}`.

    `gone_since` gives, per colour, when that player's sockets all closed (epoch
    ms), or null while one is open (or the player never connected); `now` is the
    server time.
    """
    online = {seat: seat in members for seat in SEATS}
    since: dict[str, int | None] = {}
    for seat in SEATS:
        moment = gone[seat]
        since[seat] = None if online[seat] or moment is None else clock.epoch_ms(moment)
    return {
        "type": "presence",
        "white": online[Colour.WHITE],
        "black": online[Colour.BLACK],
        "spectators": sum(m.startswith(SPECTATOR_PREFIX) for m in members),
        "gone_since": since,
        "gone_claim_after": gone_claim_seconds(),
        "now": clock.epoch_ms(now),
    }


def presence_changed(changes: list[PresenceChange]) -> None:
    """The presence listener: record the seats' gone times and publish each
    changed game's summary."""
    groups: dict[str, list[PresenceChange]] = {}
    for change in changes:
        if change.group != LOBBY_GROUP:
            groups.setdefault(change.group, []).append(change)
    for group, group_changes in groups.items():
        _game_presence_changed(group, group_changes)


def _game_presence_changed(group: str, changes: list[PresenceChange]) -> None:
    # Decided from who is there now (`members`) rather than from the changes'
    # joined/left flags: a seat present clears its gone time, a seat absent that
    # one of these changes concerns gets one; a missed edge heals on the next.
    public_id = group.removeprefix(GAME_GROUP_PREFIX)
    row = (
        Game.objects.filter(public_id=public_id)
        .values_list("pk", *GONE_FIELDS.values())
        .first()
    )
    if row is None:
        return  # the game was deleted under its sockets
    pk, white_gone, black_gone = row
    gone: dict[str, datetime | None] = {
        Colour.WHITE: white_gone,
        Colour.BLACK: black_gone,
    }
    members = changes[-1].members
    updates: dict[str, datetime | None] = {}
    for seat in SEATS:
        if seat in members:
            if gone[seat] is not None:  # back: no claim against them
                gone[seat] = updates[GONE_FIELDS[seat]] = None
            continue
        left = [change.at for change in changes if change.member == seat]
        previous = gone[seat]
        if left and (previous is None or max(left) > previous):  # their last went
            gone[seat] = updates[GONE_FIELDS[seat]] = max(left)
    if updates:
        Game.objects.filter(pk=pk).update(**updates)
    summary = presence_summary(members=members, gone=gone, now=timezone.now())
    publish_on_commit(group, PresenceChanged(summary))


def gone_since(*, game: Game, colour: str, now: datetime) -> datetime | None:
    """Since when every socket of `colour` has been closed (or silent), or None
    while one is live or if that player never connected.

    A socket of a crashed process that no sweep has removed yet counts as gone
    from its last heartbeat.
    """
    seen = list(
        Presence.objects.filter(group=game.group, member=colour).values_list(
            "last_seen", flat=True
        )
    )
    fresh = cutoff(now)
    if any(moment >= fresh for moment in seen):
        return None
    recorded = getattr(game, GONE_FIELDS[colour])
    candidates = [moment for moment in (recorded, *seen) if moment is not None]
    return max(candidates) if candidates else None
