"""Presence with heartbeats (rows of a crashed process stop counting and are pruned)
and the "opponent gone for N seconds" claim, with injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chess import services
from chess.models import Game, Presence, Status, Termination

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
        services.presence_touch(
            game_id=g.pk,
            channel="c-white",
            session_key=table.white,
            colour="w",
            now=at(beat),
        )
    assert services.presence_summary(game_id=g.pk, now=at(55))["white"] is True


def test_heartbeat_prunes_a_crashed_process_rows_and_records_when(table):
    """White's daphne died at t=0 without closing its rows; Black's socket beats."""
    enter(table, "dead-white", table.white, 0)
    enter(table, "dead-watch", "watcher", 0)
    enter(table, "c-black", table.black, 0)
    g = game(table)
    quiet = services.presence_touch(
        game_id=g.pk, channel="c-black", session_key=table.black, colour="b", now=at(10)
    )
    assert quiet is None  # nothing changed: nothing to publish
    summary = services.presence_touch(
        game_id=g.pk, channel="c-black", session_key=table.black, colour="b", now=at(40)
    )
    assert summary["white"] is False and summary["black"] is True
    assert summary["spectators"] == 0
    assert summary["gone_since"] == {"w": int(T0.timestamp() * 1000), "b": None}
    assert set(Presence.objects.values_list("channel", flat=True)) == {"c-black"}


def test_a_pruned_socket_that_beats_again_is_counted_again(table):
    g = game(table)
    summary = services.presence_touch(
        game_id=g.pk, channel="lost", session_key=table.white, colour="w", now=at(5)
    )
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
