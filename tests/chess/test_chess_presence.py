"""Presence with heartbeats (rows of a crashed process stop counting and are pruned)
and the "opponent gone for N seconds" claim, with injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chess import services
from chess.models import Game, Presence, Status, Termination
from tests.chess.chess_support import seat_game

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = 30  # three heartbeats of 10 s (the defaults)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def defaults(settings):
    settings.CHESS_PRESENCE_HEARTBEAT_SECONDS = 10
    settings.CHESS_GONE_CLAIM_SECONDS = 30


def game(table) -> Game:
    return Game.objects.get(public_id=table.game_id)


def enter(table, channel, session_key, seconds):
    return services.presence_enter(
        game=game(table), channel=channel, session_key=session_key, now=at(seconds)
    )


def touch(table, channel, session_key, colour, seconds):
    """One process's heartbeat with one socket; the summary of its game, if any."""
    result = services.presence_heartbeat(
        connections={
            channel: services.PresenceSeat(game(table).pk, session_key, colour)
        },
        now=at(seconds),
    )
    return result.summaries.get(game(table).group)


def test_rows_without_a_heartbeat_stop_counting(table):
    enter(table, "c-white", table.white, 0)
    summary = enter(table, "c-watch", "watcher", 0)
    assert summary["white"] is True and summary["spectators"] == 1
    g = game(table)
    later = services.presence_summary(game_id=g.pk, now=at(TTL + 1))
    assert later["white"] is False and later["spectators"] == 0


def test_heartbeat_keeps_a_row_fresh(table):
    enter(table, "c-white", table.white, 0)
    g = game(table)
    for beat in (10, 20, 30):
        touch(table, "c-white", table.white, "w", beat)
    assert services.presence_summary(game_id=g.pk, now=at(55))["white"] is True


def test_heartbeat_prunes_a_crashed_process_rows_and_records_when(table):
    """White's daphne died at t=0 without closing its rows; Black's socket beats."""
    enter(table, "dead-white", table.white, 0)
    enter(table, "dead-watch", "watcher", 0)
    enter(table, "c-black", table.black, 0)
    quiet = touch(table, "c-black", table.black, "b", 10)
    assert quiet is None  # nothing changed: nothing to publish
    summary = touch(table, "c-black", table.black, "b", 40)
    assert summary["white"] is False and summary["black"] is True
    assert summary["spectators"] == 0
    assert summary["gone_since"] == {"w": int(T0.timestamp() * 1000), "b": None}
    assert set(Presence.objects.values_list("channel", flat=True)) == {"c-black"}


def test_a_pruned_socket_that_beats_again_is_counted_again(table):
    summary = touch(table, "lost", table.white, "w", 5)
    assert summary["white"] is True


def test_claim_after_the_opponent_left_long_enough(table):
    enter(table, "c-white", table.white, 0)
    enter(table, "c-black", table.black, 0)
    services.presence_leave(channel="c-white", now=at(1))
    with pytest.raises(services.GameError, match="not been gone for 30 seconds"):
        services.game_claim_gone(
            game_id=table.game_id, session_key=table.black, publish=False, now=at(20)
        )
    change = services.game_claim_gone(
        game_id=table.game_id, session_key=table.black, publish=False, now=at(31)
    )
    assert change.state["status"] == Status.FINISHED
    assert change.state["result"] == "0-1"
    assert change.state["termination"] == Termination.ABANDONED
    assert "White left the game" in change.state["status_text"]


def test_claim_a_draw_instead(table):
    enter(table, "c-black", table.black, 0)
    services.presence_leave(channel="c-black", now=at(0))
    change = services.game_claim_gone(
        game_id=table.game_id,
        session_key=table.white,
        outcome="draw",
        publish=False,
        now=at(45),
    )
    assert change.state["result"] == "1/2-1/2"


def test_claim_counts_from_a_crashed_socket_last_heartbeat(table):
    enter(table, "dead-white", table.white, 0)  # never beats again, never leaves
    with pytest.raises(services.GameError):
        services.game_claim_gone(
            game_id=table.game_id, session_key=table.black, publish=False, now=at(25)
        )
    change = services.game_claim_gone(
        game_id=table.game_id, session_key=table.black, publish=False, now=at(31)
    )
    assert change.state["result"] == "0-1"


def test_no_claim_while_another_tab_is_open_or_after_a_return(table):
    enter(table, "tab-1", table.white, 0)
    enter(table, "tab-2", table.white, 0)
    services.presence_leave(channel="tab-1", now=at(1))
    assert game(table).white_gone_at is None  # tab 2 is still there
    services.presence_leave(channel="tab-2", now=at(2))
    assert game(table).white_gone_at == at(2)
    enter(table, "tab-3", table.white, 20)  # back again
    assert game(table).white_gone_at is None
    with pytest.raises(services.GameError, match="not been gone"):
        services.game_claim_gone(
            game_id=table.game_id, session_key=table.black, publish=False, now=at(45)
        )


def test_claim_needs_a_seat_and_a_valid_outcome(table):
    with pytest.raises(services.GameError, match="watching"):
        services.game_claim_gone(game_id=table.game_id, session_key="someone")
    with pytest.raises(services.GameError, match="win or a draw"):
        services.game_claim_gone(
            game_id=table.game_id, session_key=table.white, outcome="lose"
        )


def test_a_player_who_never_connected_cannot_be_claimed_against(table):
    with pytest.raises(services.GameError, match="not been gone"):
        services.game_claim_gone(
            game_id=table.game_id, session_key=table.white, publish=False, now=at(99)
        )


def test_state_exposes_when_each_player_went(table):
    enter(table, "c-white", table.white, 0)
    services.presence_leave(channel="c-white", now=at(3))
    state = services.game_state(game_id=table.game_id, publish=False)
    assert state["gone_since"] == {"w": int(at(3).timestamp() * 1000), "b": None}
    assert state["gone_claim_after"] == 30


def test_one_heartbeat_refreshes_every_socket_of_the_process_in_one_update(
    table, django_assert_num_queries
):
    other = seat_game("white-2", "black-2")
    seats = {}
    for index, (t, key, colour) in enumerate(
        [
            (table, table.white, "w"),
            (table, table.black, "b"),
            (table, "watcher", None),
            (other, other.white, "w"),
            (other, "watcher", None),
        ]
    ):
        enter(t, f"c-{index}", key, 0)
        seats[f"c-{index}"] = services.PresenceSeat(game(t).pk, key, colour)
    # One UPDATE for all five rows, one SELECT for stale rows: nothing else.
    with django_assert_num_queries(2):
        result = services.presence_heartbeat(connections=seats, now=at(25))
    assert result.summaries == {} and result.restored == []
    assert set(Presence.objects.values_list("last_seen", flat=True)) == {at(25)}
    # Still fresh long after the socket-less TTL would have run out.
    summary = services.presence_summary(game_id=game(other).pk, now=at(50))
    assert summary["white"] is True and summary["spectators"] == 1


def test_the_sweep_covers_games_this_process_has_no_socket_on(table):
    """A crashed process's rows on any game are pruned by any live process, and
    each affected game gets its new summary."""
    other = seat_game("white-2", "black-2")
    enter(table, "dead-1", table.white, 0)
    enter(other, "dead-2", other.black, 0)
    enter(other, "dead-3", "watcher", 0)
    result = services.presence_heartbeat(connections={}, now=at(40))
    assert set(result.summaries) == {game(table).group, game(other).group}
    assert result.summaries[game(table).group]["gone_since"]["w"] == int(
        T0.timestamp() * 1000
    )
    mine = result.summaries[game(other).group]
    assert mine["black"] is False and mine["spectators"] == 0
    assert mine["gone_since"]["b"] == int(T0.timestamp() * 1000)
    assert not Presence.objects.exists()
    # A second sweep (another process, a moment later) has nothing left to report.
    assert services.presence_heartbeat(connections={}, now=at(41)).summaries == {}


def test_a_restored_row_is_reported_and_clears_the_gone_mark(table):
    enter(table, "c-white", table.white, 0)
    services.presence_leave(channel="c-white", now=at(1))
    assert game(table).white_gone_at == at(1)
    seat = services.PresenceSeat(game(table).pk, table.white, "w")
    result = services.presence_heartbeat(connections={"c-white": seat}, now=at(5))
    assert result.restored == ["c-white"]
    assert result.summaries[game(table).group]["white"] is True
    assert game(table).white_gone_at is None


def test_a_heartbeat_for_a_deleted_game_restores_nothing(table):
    seat = services.PresenceSeat(game(table).pk, table.white, "w")
    Game.objects.filter(public_id=table.game_id).delete()
    result = services.presence_heartbeat(connections={"c-white": seat}, now=at(5))
    assert result.summaries == {}
    assert not Presence.objects.exists()
