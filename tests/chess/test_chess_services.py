"""Chess services: seats, turns, plies, endings, draws, abort, versions, persistence."""

from __future__ import annotations

import pytest

from chess import services
from chess.game_state import board_of
from chess.models import Game, Move, Status
from chess.selectors import game_fens, home_stats, lobby_games
from tests.chess.chess_support import (
    FEATURE_GAME,
    FOOLS_MATE,
    KNIGHT_SHUFFLE,
    SCHOLARS_MATE,
    play,
    published,
    seat_game,
)

pytestmark = pytest.mark.django_db


def game(table) -> Game:
    return Game.objects.get(public_id=table.game_id)


def test_create_seats_the_creator_on_the_chosen_colour():
    white = services.game_create(visitor_id="a", name="Ann", colour="white")
    black = services.game_create(visitor_id="b", name="Bob", colour="black")
    assert (white.white_visitor, white.black_visitor) == ("a", "")
    assert (black.black_visitor, black.white_visitor) == ("b", "")
    assert white.status == Status.WAITING and white.version == 1


def test_random_colour_seats_the_creator_somewhere():
    for _ in range(10):
        g = services.game_create(visitor_id="a", name="Ann", colour="random")
        assert g.colour_of("a") in ("w", "b")


def test_create_refuses_an_unknown_colour():
    with pytest.raises(services.GameError):
        services.game_create(visitor_id="a", name="Ann", colour="purple")


def test_create_tells_the_lobby_after_commit():
    with published() as out:
        services.game_create(visitor_id="a", name="Ann", colour="white")
    assert out.names == ["chess.lobby"]
    [(group, payload)] = out.of("chess.lobby")
    assert group == "chess_lobby"
    assert payload == {"type": "lobby", "version": services.lobby_version()}


def test_join_takes_the_free_seat_and_starts_the_game():
    g = services.game_create(visitor_id="a", name="Ann", colour="black")
    before = services.lobby_version()
    with published() as out:
        change = services.game_join(game_id=g.public_id, visitor_ids=["b"], name="Bob")
    assert change.game.white_visitor == "b" and change.game.status == Status.ACTIVE
    assert change.state["players"] == {"white": "Bob", "black": "Ann"}
    assert change.state["version"] == 2
    # The new state to the game's sockets, then the lobby's new version.
    assert out.names == ["chess.state", "chess.lobby"]
    assert out.of("chess.state") == [(g.group, change.state)]
    assert out.of("chess.lobby")[0][1]["version"] == before + 1


def test_a_third_visitor_cannot_join_and_a_player_cannot_join_twice(table):
    with pytest.raises(services.GameError, match="Both seats"):
        services.game_join(game_id=table.game_id, visitor_ids=["c"], name="Cy")
    with pytest.raises(services.GameError, match="already have a seat"):
        services.game_join(game_id=table.game_id, visitor_ids=[table.white], name="A")


def test_unknown_game_is_refused():
    with pytest.raises(services.GameNotFound):
        services.move_make(game_id="nope", visitor_ids=["a"], uci="e2e4", ply=0)


def test_moves_are_stored_and_every_change_bumps_the_version(table):
    with published() as out:
        change = play(table, ["e2e4", "e7e5"])
    # One state per move, to the game only: a move that ends nothing leaves the
    # lobby alone.
    assert [state["ply"] for _, state in out.of("chess.state")] == [1, 2]
    assert out.names == ["chess.state", "chess.state"]
    state = change.state
    assert state["moves"] == ["e2e4", "e7e5"] and state["san"] == ["e4", "e5"]
    assert state["version"] == 4 and state["ply"] == 2 and state["turn"] == "w"
    assert state["last_move"] == "e7e5" and "g1f3" in state["legal"]
    rows = list(
        Move.objects.filter(game__public_id=table.game_id).values_list("ply", "san")
    )
    assert rows == [(1, "e4"), (2, "e5")]
    assert game_fens(game(table))[-1] == state["fen"]


def test_move_before_an_opponent_joins_is_refused():
    g = services.game_create(visitor_id="a", name="Ann", colour="white")
    with pytest.raises(services.GameError, match="waiting"):
        services.move_make(game_id=g.public_id, visitor_ids=["a"], uci="e2e4", ply=0)


def test_move_out_of_turn_is_rejected_and_publishes_nothing(table):
    with published() as out, pytest.raises(services.GameError, match="not your turn"):
        services.move_make(
            game_id=table.game_id, visitor_ids=[table.black], uci="e7e5", ply=0
        )
    assert game(table).version == 2
    assert out.events == []


def test_spectator_cannot_move(table):
    with pytest.raises(services.GameError, match="watching"):
        services.move_make(game_id=table.game_id, visitor_ids=["x"], uci="e2e4", ply=0)


def test_duplicate_and_stale_moves_are_refused_without_harm(table):
    play(table, ["e2e4"])
    with pytest.raises(services.StaleMoveError):
        services.move_make(
            game_id=table.game_id, visitor_ids=[table.white], uci="e2e4", ply=0
        )
    with pytest.raises(services.StaleMoveError):
        services.move_make(
            game_id=table.game_id, visitor_ids=[table.black], uci="e7e5", ply=5
        )
    g = game(table)
    assert g.ply == 1 and g.version == 3 and g.moves_uci == "e2e4"


@pytest.mark.parametrize("uci", ["e2e5", "e7e5", "zz99", "e2e4x", "e1e1"])
def test_illegal_or_malformed_moves_are_refused(table, uci):
    with pytest.raises(services.GameError, match="Illegal"):
        services.move_make(
            game_id=table.game_id, visitor_ids=[table.white], uci=uci, ply=0
        )
    assert game(table).ply == 0


def test_checkmate_ends_the_game_automatically(table):
    play(table, FOOLS_MATE[:-1])
    with published() as out:
        change = play(table, FOOLS_MATE[-1:], start_ply=3)
    assert out.names == ["chess.state", "chess.lobby"]  # the game left the lobby
    g = change.game
    assert (g.status, g.result, g.termination) == ("finished", "0-1", "checkmate")
    assert change.state["legal"] == [] and change.state["check"] == "e1"
    assert "Black wins" in change.state["status_text"]
    with pytest.raises(services.GameError, match="over"):
        services.move_make(
            game_id=table.game_id, visitor_ids=[table.white], uci="a2a3", ply=4
        )


def test_scholars_mate_and_san_suffix(table):
    change = play(table, SCHOLARS_MATE)
    assert change.state["san"][-1] == "Qxf7#" and change.game.result == "1-0"


def test_castling_en_passant_and_promotion_are_played(table):
    change = play(table, FEATURE_GAME)
    san = change.state["san"]
    assert "exd6" in san and "cxb8=Q" in san and "O-O" in san
    assert change.game.termination == "checkmate" and change.game.result == "1-0"


def test_stalemate_is_a_draw(table):
    loyd = [
        "e2e3",
        "a7a5",
        "d1h5",
        "a8a6",
        "h5a5",
        "h7h5",
        "h2h4",
        "a6h6",
        "a5c7",
        "f7f6",
        "c7d7",
        "e8f7",
        "d7b7",
        "d8d3",
        "b7b8",
        "d3h7",
        "b8c8",
        "f7g6",
        "c8e6",
    ]
    change = play(table, loyd)
    assert (change.game.result, change.game.termination) == ("1/2-1/2", "stalemate")


def test_resign_gives_the_opponent_the_win(table):
    change = services.game_resign(game_id=table.game_id, visitor_ids=[table.white])
    assert (change.game.result, change.game.termination) == ("0-1", "resignation")
    assert change.state["status_text"].startswith("White resigned")
    with pytest.raises(services.GameError):
        services.game_resign(game_id=table.game_id, visitor_ids=[table.black])


def test_draw_offer_then_accept(table):
    offer = services.draw_offer(game_id=table.game_id, visitor_ids=[table.white])
    assert offer.state["draw_offer"] == "w"
    with pytest.raises(services.GameError, match="already offered"):
        services.draw_offer(game_id=table.game_id, visitor_ids=[table.white])
    with pytest.raises(services.GameError, match="no draw offer"):
        services.draw_accept(game_id=table.game_id, visitor_ids=[table.white])
    done = services.draw_accept(game_id=table.game_id, visitor_ids=[table.black])
    assert (done.game.result, done.game.termination) == ("1/2-1/2", "agreement")


def test_draw_decline_clears_the_offer(table):
    services.draw_offer(game_id=table.game_id, visitor_ids=[table.black])
    change = services.draw_decline(game_id=table.game_id, visitor_ids=[table.white])
    assert change.state["draw_offer"] is None and change.game.status == "active"


def test_crossing_offers_agree_a_draw(table):
    services.draw_offer(game_id=table.game_id, visitor_ids=[table.white])
    change = services.draw_offer(game_id=table.game_id, visitor_ids=[table.black])
    assert change.game.termination == "agreement"


def test_offer_lapses_when_the_recipient_moves_but_not_when_the_offerer_moves(table):
    services.draw_offer(game_id=table.game_id, visitor_ids=[table.white])
    after_own_move = play(table, ["e2e4"])
    assert after_own_move.state["draw_offer"] == "w"
    after_reply = play(table, ["e7e5"], start_ply=1)
    assert after_reply.state["draw_offer"] is None


def test_threefold_repetition_can_be_claimed(table):
    with pytest.raises(services.GameError, match="No draw can be claimed"):
        services.draw_claim(game_id=table.game_id, visitor_ids=[table.white])
    change = play(table, KNIGHT_SHUFFLE)
    assert change.state["claimable"] == "threefold_repetition"
    done = services.draw_claim(game_id=table.game_id, visitor_ids=[table.black])
    assert done.game.termination == "threefold_repetition"
    assert done.game.result == "1/2-1/2"


def test_abort_is_allowed_only_before_both_sides_moved(table):
    play(table, ["e2e4"])
    change = services.game_abort(game_id=table.game_id, visitor_ids=[table.black])
    assert change.game.status == Status.ABORTED and change.game.result == ""
    other = seat_game("w2", "b2")
    play(other, ["e2e4", "e7e5"])
    with pytest.raises(services.GameError, match="Too late"):
        services.game_abort(game_id=other.game_id, visitor_ids=["w2"])
    with pytest.raises(services.GameError, match="watching"):
        services.game_abort(game_id=other.game_id, visitor_ids=["zz"])


def test_staff_abort_works_at_any_point_before_the_end(table):
    play(table, ["e2e4", "e7e5", "g1f3"])
    change = services.game_abort(game_id=table.game_id, staff=True)
    assert change.game.status == Status.ABORTED
    with pytest.raises(services.GameError, match="over"):
        services.game_abort(game_id=table.game_id, staff=True)


def test_creator_can_cancel_a_waiting_game():
    g = services.game_create(visitor_id="a", name="Ann", colour="white")
    change = services.game_abort(game_id=g.public_id, visitor_ids=["a"])
    assert change.game.status == Status.ABORTED


def test_a_game_is_rebuilt_from_the_database_as_it_was(table):
    play(table, FEATURE_GAME[:10])
    g = game(table)
    board = board_of(g)
    assert board.fen() == g.fen and board.uci_moves() == FEATURE_GAME[:10]


def test_lobby_lists_and_home_stats():
    waiting = services.game_create(visitor_id="a", name="Ann", colour="white")
    started = seat_game("b", "c")
    ended = seat_game("d", "e")
    services.game_resign(game_id=ended.game_id, visitor_ids=["d"])
    lists = lobby_games()
    assert [g["public_id"] for g in lists["open"]] == [waiting.public_id]
    assert [g["public_id"] for g in lists["in_progress"]] == [started.game_id]
    assert [g["public_id"] for g in lists["finished"]] == [ended.game_id]
    assert lists["finished"][0]["termination_label"] == "Resignation"
    assert home_stats() == {"open_games": 1, "in_progress": 1}


def test_rematch_needs_both_players_and_swaps_colours(table):
    with pytest.raises(services.GameError, match="over"):
        services.game_rematch(game_id=table.game_id, visitor_ids=[table.white])
    services.game_resign(game_id=table.game_id, visitor_ids=[table.white])
    asked = services.game_rematch(game_id=table.game_id, visitor_ids=[table.white])
    assert asked.state["rematch_offer"] == "w" and asked.state["rematch"] is None
    with pytest.raises(services.GameError, match="already asked"):
        services.game_rematch(game_id=table.game_id, visitor_ids=[table.white])
    with pytest.raises(services.GameError, match="watching"):
        services.game_rematch(game_id=table.game_id, visitor_ids=["someone"])
    with published() as out:
        done = services.game_rematch(game_id=table.game_id, visitor_ids=[table.black])
    assert out.names == ["chess.state", "chess.lobby"]
    next_id = done.state["rematch"]
    following = Game.objects.get(public_id=next_id)
    assert following.white_visitor == table.black
    assert following.black_visitor == table.white
    assert following.status == Status.ACTIVE
    with pytest.raises(services.GameError, match="already started"):
        services.game_rematch(game_id=table.game_id, visitor_ids=[table.white])


def test_material_counts_captures_and_promotions(table):
    change = play(table, FEATURE_GAME[:10])  # exd6 e.p., dxc7, cxb8=Q, Rxb8
    # The e-pawn became a queen that Black took: by material, Black took a pawn.
    assert change.state["captured"] == {"w": "npp", "b": "p"}
    assert change.state["advantage"] == 3 + 1 + 1 - 1
