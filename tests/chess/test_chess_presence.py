"""Presence on a game through the shared presence module (rows of a crashed process
stop counting and are swept), the seats' gone times the chess listener records,
and the "opponent gone for N seconds" claim, with injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chess import services
from chess.models import Game, Status, Termination
from site_config.realtime.models import Presence
from site_config.realtime.presence import enter as socket_opened
from site_config.realtime.presence import heartbeat
from site_config.realtime.presence import leave as socket_closed
from tests.chess.chess_support import Published, Table, published, seat_game

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def defaults(settings):
    settings.PARLOUR_PRESENCE_HEARTBEAT_SECONDS = 10
    settings.PARLOUR_PRESENCE_TTL_SECONDS = 30
    settings.CHESS_GONE_CLAIM_SECONDS = 30


def game(table: Table) -> Game:
    return Game.objects.get(public_id=table.game_id)


def member(table: Table, visitor_id: str, channel: str) -> str:
    return services.presence_member(
        colour=game(table).colour_of([visitor_id]),
        visitor_id=visitor_id,
        channel=channel,
    )


def enter(table: Table, channel: str, visitor_id: str, seconds: float) -> None:
    socket_opened(
        group=game(table).group,
        connection=channel,
        member=member(table, visitor_id, channel),
        now=at(seconds),
    )


def leave(channel: str, seconds: float) -> None:
    socket_closed(connection=channel, now=at(seconds))


def summaries(out: Published, table: Table) -> list[dict]:
    return [
        payload
        for group, payload in out.of("chess.presence")
        if group == game(table).group
    ]


def test_every_open_and_close_publishes_the_summary(table):
    with published() as out:
        enter(table, "c1", table.white, 0)
        enter(table, "c2", "watcher", 0)
        enter(table, "c3", "watcher", 0)  # a second tab of the same spectator
        leave("c1", 1)
        leave("unknown", 1)
    counts = [(s["white"], s["black"], s["spectators"]) for s in summaries(out, table)]
    assert counts == [
        (True, False, 0),
        (True, False, 1),
        (True, False, 1),
        (False, False, 1),
    ]
    last = summaries(out, table)[-1]
    assert last["type"] == "presence" and last["gone_claim_after"] == 30
    assert last["gone_since"] == {"w": int(at(1).timestamp() * 1000), "b": None}


def test_spectators_are_tracked_without_their_visitor_id(table):
    enter(table, "c-watch", "the-watchers-visitor-id", 0)
    [stored] = Presence.objects.values_list("member", flat=True)
    assert stored.startswith("watch:") and "visitor" not in stored
    assert stored == member(table, "the-watchers-visitor-id", "another-tab")


def test_anonymous_spectators_count_once_per_socket(table):
    """A spectator without a visitor id (watching creates none) is its socket."""
    first = services.presence_member(colour=None, visitor_id=None, channel="tab-1")
    second = services.presence_member(colour=None, visitor_id=None, channel="tab-2")
    assert first.startswith("watch:") and first != second


def test_the_sweep_records_when_a_crashed_process_player_went(table):
    """White's daphne died at t=0 without closing its sockets; Black's beats."""
    enter(table, "dead-white", table.white, 0)
    enter(table, "dead-watch", "watcher", 0)
    enter(table, "c-black", table.black, 0)
    with published() as quiet:
        heartbeat(connections={"c-black": (game(table).group, "b")}, now=at(10))
    assert quiet.events == []  # nothing changed: nothing to publish
    with published() as out:
        heartbeat(connections={"c-black": (game(table).group, "b")}, now=at(40))
    [summary] = summaries(out, table)
    assert summary["white"] is False and summary["black"] is True
    assert summary["spectators"] == 0
    assert summary["gone_since"] == {"w": int(T0.timestamp() * 1000), "b": None}
    assert game(table).white_gone_at == T0  # the crashed socket's last heartbeat
    assert set(Presence.objects.values_list("connection", flat=True)) == {"c-black"}


def test_the_sweep_covers_games_this_process_has_no_socket_on(table):
    other = seat_game("white-2", "black-2")
    enter(table, "dead-1", table.white, 0)
    enter(other, "dead-2", other.black, 0)
    with published() as out:
        heartbeat(connections={}, now=at(40))
    assert {group for group, _ in out.of("chess.presence")} == {
        game(table).group,
        game(other).group,
    }
    assert game(other).black_gone_at == T0
    with published() as again:  # another process, a moment later: nothing left
        heartbeat(connections={}, now=at(41))
    assert again.events == []


def test_a_restored_row_clears_the_gone_mark(table):
    enter(table, "c-white", table.white, 0)
    leave("c-white", 1)
    assert game(table).white_gone_at == at(1)
    with published() as out:
        heartbeat(connections={"c-white": (game(table).group, "w")}, now=at(5))
    assert summaries(out, table)[-1]["white"] is True
    assert game(table).white_gone_at is None


def test_presence_on_a_deleted_game_publishes_nothing(table):
    group = game(table).group
    Game.objects.filter(public_id=table.game_id).delete()
    with published() as out:
        socket_opened(group=group, connection="c", member="w", now=at(0))
    assert out.events == []


def test_lobby_sockets_are_not_a_game(table):
    with published() as out:
        socket_opened(group="chess_lobby", connection="c", member="x", now=at(0))
    assert out.events == []


def claim(table: Table, visitor_id: str, seconds: float, **extra: str):
    return services.game_claim_gone(
        game_id=table.game_id, visitor_ids=[visitor_id], now=at(seconds), **extra
    )


def test_claim_after_the_opponent_left_long_enough(table):
    enter(table, "c-white", table.white, 0)
    enter(table, "c-black", table.black, 0)
    leave("c-white", 1)
    with pytest.raises(services.GameError, match="not been gone for 30 seconds"):
        claim(table, table.black, 20)
    change = claim(table, table.black, 31)
    assert change.state["status"] == Status.FINISHED
    assert change.state["result"] == "0-1"
    assert change.state["termination"] == Termination.ABANDONED
    assert "White left the game" in change.state["status_text"]


def test_claim_a_draw_instead(table):
    enter(table, "c-black", table.black, 0)
    leave("c-black", 0)
    change = claim(table, table.white, 45, outcome="draw")
    assert change.state["result"] == "1/2-1/2"


def test_claim_counts_from_a_crashed_socket_last_heartbeat(table):
    enter(table, "dead-white", table.white, 0)  # never beats again, never leaves
    with pytest.raises(services.GameError):
        claim(table, table.black, 25)
    assert claim(table, table.black, 31).state["result"] == "0-1"


def test_no_claim_while_another_tab_is_open_or_after_a_return(table):
    enter(table, "tab-1", table.white, 0)
    enter(table, "tab-2", table.white, 0)
    leave("tab-1", 1)
    assert game(table).white_gone_at is None  # tab 2 is still there
    leave("tab-2", 2)
    assert game(table).white_gone_at == at(2)
    enter(table, "tab-3", table.white, 20)  # back again
    assert game(table).white_gone_at is None
    with pytest.raises(services.GameError, match="not been gone"):
        claim(table, table.black, 45)


def test_claim_needs_a_seat_and_a_valid_outcome(table):
    with pytest.raises(services.GameError, match="watching"):
        services.game_claim_gone(game_id=table.game_id, visitor_ids=["someone"])
    with pytest.raises(services.GameError, match="win or a draw"):
        services.game_claim_gone(
            game_id=table.game_id, visitor_ids=[table.white], outcome="lose"
        )


def test_a_player_who_never_connected_cannot_be_claimed_against(table):
    with pytest.raises(services.GameError, match="not been gone"):
        claim(table, table.white, 99)


def test_state_exposes_when_each_player_went(table):
    enter(table, "c-white", table.white, 0)
    leave("c-white", 3)
    state = services.game_state(game_id=table.game_id)
    assert state["gone_since"] == {"w": int(at(3).timestamp() * 1000), "b": None}
    assert state["gone_claim_after"] == 30
