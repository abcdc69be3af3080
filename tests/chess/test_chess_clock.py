"""Clocks and flags, with injected time: the clock start rule, increments, flags on
any command, on a claim and on a look, and the draw when the side left with time
cannot mate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chess import clock, services
from chess.models import Game, Status, Termination
from tests.chess.chess_support import Table, published

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def timed_table(
    base: int = 60, increment: int = 2, start_fen: str | None = None
) -> Table:
    game = services.game_create(
        visitor_id="w",
        name="Ann",
        colour="white",
        base_seconds=base,
        increment_seconds=increment,
    )
    if start_fen:
        Game.objects.filter(pk=game.pk).update(start_fen=start_fen, fen=start_fen)
    services.game_join(game_id=game.public_id, visitor_ids=["b"], name="Bob")
    return Table(game.public_id, "w", "b")


def move(table: Table, uci: str, ply: int, seconds: float) -> services.GameChange:
    return services.move_make(
        game_id=table.game_id,
        visitor_ids=[table.seat(ply)],
        uci=uci,
        ply=ply,
        now=at(seconds),
    )


def test_clocks_start_after_both_sides_have_moved():
    table = timed_table(base=60, increment=2)
    first = move(table, "e2e4", 0, 0)
    assert first.state["clock"]["running"] is None
    assert first.state["clock"]["white"] == 60_000
    second = move(table, "e7e5", 1, 10)  # ten seconds of thought cost Black nothing
    assert second.state["clock"] == {
        "initial": 60_000,
        "increment": 2_000,
        "white": 60_000,
        "black": 60_000,
        "running": "w",
        "now": clock.epoch_ms(at(10)),
    }
    third = move(table, "g1f3", 2, 15)  # 5 s spent, 2 s added back
    assert third.state["clock"]["white"] == 57_000
    assert third.state["clock"]["running"] == "b"
    state = services.game_state(game_id=table.game_id, now=at(18))
    assert state["clock"]["black"] == 57_000 and state["clock"]["white"] == 57_000


def test_untimed_games_have_no_clock():
    g = services.game_create(visitor_id="a", name="Ann", colour="white")
    assert g.clock_base_s is None
    state = services.game_state(game_id=g.public_id)
    assert state["clock"] is None and state["time_control"] == "untimed"


def test_create_refuses_out_of_range_time_controls():
    with pytest.raises(services.GameError, match="base time"):
        services.game_create(visitor_id="a", name="A", base_seconds=181 * 60)
    with pytest.raises(services.GameError, match="increment"):
        services.game_create(
            visitor_id="a", name="A", base_seconds=60, increment_seconds=61
        )


def test_move_after_the_time_is_out_ends_the_game_on_time():
    table = timed_table(base=60, increment=0)
    move(table, "e2e4", 0, 0)
    move(table, "e7e5", 1, 1)
    with published() as out:
        change = move(table, "g1f3", 2, 62)  # White's 60 s ran out at t=61
    assert change.refused and "Time is up" in change.refused
    state = change.state
    assert state["status"] == Status.FINISHED and state["result"] == "0-1"
    assert state["termination"] == Termination.TIMEOUT
    assert state["ply"] == 2 and state["clock"]["white"] == 0
    assert "White ran out of time" in state["status_text"]
    assert out.names == ["chess.state", "chess.lobby"]  # it left the lobby


def test_any_command_applies_a_due_flag_first():
    table = timed_table(base=60, increment=0)
    move(table, "e2e4", 0, 0)
    move(table, "e7e5", 1, 1)
    move(table, "g1f3", 2, 2)  # Black to move, 60 s from t=2
    change = services.game_resign(game_id=table.game_id, visitor_ids=["w"], now=at(70))
    assert change.refused and change.state["termination"] == Termination.TIMEOUT
    assert change.state["result"] == "1-0"  # not a resignation
    with pytest.raises(services.GameError, match="over"):
        services.draw_offer(game_id=table.game_id, visitor_ids=["w"], now=at(71))


def test_flag_claim_is_checked_against_the_server_clock():
    table = timed_table(base=60, increment=0)
    move(table, "e2e4", 0, 0)
    move(table, "e7e5", 1, 1)
    with pytest.raises(services.GameError, match="time left"):
        services.game_flag(game_id=table.game_id, visitor_ids=["b"], now=at(30))
    with pytest.raises(services.GameError, match="watching"):
        services.game_flag(game_id=table.game_id, visitor_ids=["x"], now=at(90))
    change = services.game_flag(game_id=table.game_id, visitor_ids=["b"], now=at(61.5))
    assert change.state["result"] == "0-1" and change.refused is None


def test_flag_claim_in_an_untimed_game_is_refused(table):
    with pytest.raises(services.GameError, match="no clock"):
        services.game_flag(game_id=table.game_id, visitor_ids=[table.white])


def test_a_look_at_an_abandoned_game_applies_its_flag():
    """Both players left: the state read (page, state.json, socket) ends it."""
    table = timed_table(base=60, increment=0)
    move(table, "e2e4", 0, 0)
    move(table, "e7e5", 1, 1)
    assert services.flag_check(game_id=table.game_id, now=at(30)) is None
    state = services.game_state(game_id=table.game_id, now=at(500))
    assert state["status"] == Status.FINISHED and state["result"] == "0-1"
    g = Game.objects.get(public_id=table.game_id)
    assert g.termination == Termination.TIMEOUT and g.ended_at == at(500)


def test_flag_against_a_bare_king_is_a_draw():
    # White has K+Q, Black a bare king: if White flags, Black cannot win.
    table = timed_table(
        base=60, increment=0, start_fen="4k3/8/8/8/8/8/8/3QK3 w - - 0 1"
    )
    move(table, "d1d2", 0, 0)
    move(table, "e8e7", 1, 1)
    change = move(table, "d2d3", 2, 90)
    assert change.state["result"] == "1/2-1/2"
    assert change.state["termination"] == Termination.TIMEOUT
    assert "cannot mate" in change.state["status_text"]


def test_flag_with_mating_material_left_is_a_loss():
    table = timed_table(
        base=60, increment=0, start_fen="4k3/8/8/8/8/8/8/3QK3 w - - 0 1"
    )
    move(table, "d1d2", 0, 0)
    move(table, "e8e7", 1, 1)
    move(table, "d2d3", 2, 2)
    change = move(table, "e7e8", 3, 100)  # Black flagged; White has a queen
    assert change.state["result"] == "1-0"


def test_ending_settles_the_running_clock():
    table = timed_table(base=60, increment=0)
    move(table, "e2e4", 0, 0)
    move(table, "e7e5", 1, 1)
    change = services.game_resign(game_id=table.game_id, visitor_ids=["b"], now=at(21))
    assert change.state["clock"]["white"] == 40_000
    assert change.state["clock"]["running"] is None
    later = services.game_state(game_id=table.game_id, now=at(999))
    assert later["clock"]["white"] == 40_000  # frozen after the end


def test_rematch_keeps_the_time_control():
    table = timed_table(base=180, increment=2)
    services.game_resign(game_id=table.game_id, visitor_ids=["w"])
    services.game_rematch(game_id=table.game_id, visitor_ids=["w"])
    done = services.game_rematch(game_id=table.game_id, visitor_ids=["b"])
    following = Game.objects.get(public_id=done.state["rematch"])
    assert (following.clock_base_s, following.clock_increment_s) == (180, 2)
    assert following.white_ms == following.black_ms == 180_000


def test_flag_against_a_lone_knight_and_king_with_a_queen_is_a_draw():
    # White has K+Q, Black K+N: Black cannot mate (the rules engine's
    # `has_mating_material`, tested in tests/chess/rules/test_rules_material.py).
    table = timed_table(
        base=60, increment=0, start_fen="4k1n1/8/8/8/8/8/8/3QK3 w - - 0 1"
    )
    move(table, "d1d2", 0, 0)
    move(table, "e8e7", 1, 1)
    change = move(table, "d2d3", 2, 90)
    assert change.state["result"] == "1/2-1/2"
    assert change.state["termination"] == Termination.TIMEOUT


def test_labels():
    assert clock.label(None, 0) == "untimed"
    assert clock.label(300, 3) == "5+3"
    assert clock.label(90, 0) == "1.5+0"


def test_lobby_sweep_ends_games_whose_time_ran_out():
    out = timed_table(base=60, increment=0)
    move(out, "e2e4", 0, 0)
    move(out, "e7e5", 1, 1)
    fine = timed_table(base=600, increment=0)
    move(fine, "e2e4", 0, 0)
    move(fine, "e7e5", 1, 1)
    assert services.flags_sweep(now=at(100)) == 1
    assert Game.objects.get(public_id=out.game_id).termination == Termination.TIMEOUT
    assert Game.objects.get(public_id=fine.game_id).status == Status.ACTIVE
