"""Query budgets and caches of the hot paths: the lobby page and one move."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chess import clock, services, views
from chess.executor import chess_db
from chess.models import Game
from chess.rules import Board
from tests.chess.chess_support import play, published, seat_game


def _writes(captured: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
    ]


def _chess(captured: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in captured if '"chess_' in q["sql"]]


def _lobby_games() -> None:
    services.game_create(visitor_id="open", name="Opal", colour="white")
    seat_game("w-live", "b-live")
    done = seat_game("w-done", "b-done")
    services.game_resign(game_id=done.game_id, visitor_ids=[done.white])


@pytest.mark.django_db
def test_lobby_get_reads_the_lists_from_the_cache(django_assert_max_num_queries):
    _lobby_games()
    client = Client()
    url = reverse("chess:lobby")
    client.get(url)  # renders and caches the lists
    # At most the session (database sessions without the cache): the lists and
    # their version come from the cache (the old version table cost a query).
    with django_assert_max_num_queries(1) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert "Opal (white)" in response.content.decode()
    assert _chess(captured.captured_queries) == []


@pytest.mark.django_db
def test_lobby_get_after_a_change_renders_with_one_query_per_list(
    django_assert_max_num_queries,
):
    _lobby_games()
    client = Client()
    url = reverse("chess:lobby")
    client.get(url)
    with published():  # the version is bumped after commit
        services.game_create(visitor_id="new", name="Nia", colour="black")
    # The due-flag sweep (one indexed query) and one query per list (+ the session).
    with django_assert_max_num_queries(5) as captured:
        html = client.get(url).content.decode()
    assert "Nia (black)" in html
    assert len(_chess(captured.captured_queries)) == 4
    assert _writes(captured.captured_queries) == []


@pytest.mark.django_db
def test_lobby_lists_follow_every_create_join_and_end():
    client = Client()
    url = reverse("chess:lobby")

    def lists() -> str:
        return client.get(url).content.decode()

    assert "No open games" in lists()
    with published():
        game = services.game_create(visitor_id="a", name="Ann", colour="white")
    assert "Ann (white)" in lists()
    with published():
        services.game_join(game_id=game.public_id, visitor_ids=["b"], name="Bob")
    html = lists()
    assert "No open games" in html and "Ann vs Bob" in html
    with published():
        services.game_resign(game_id=game.public_id, visitor_ids=["b"])
    assert "1-0" in lists()


@pytest.mark.django_db
def test_page_and_fetched_lists_share_one_render_per_version():
    with published():
        services.game_create(visitor_id="a", name="Ann", colour="white")
    with mock.patch.object(
        views, "render_to_string", wraps=views.render_to_string
    ) as render:
        fetched = Client().get(reverse("chess:lobby_lists"))
        Client().get(reverse("chess:lobby"))
        Client().get(reverse("chess:lobby"))
    assert "Ann (white)" in fetched.content.decode()
    assert fetched["X-Lobby-Version"] == str(services.lobby_version())
    assert render.call_count == 1


@pytest.mark.django_db
def test_fetching_the_cached_lists_queries_nothing(django_assert_num_queries):
    _lobby_games()
    url = reverse("chess:lobby_lists")
    Client().get(url)
    with django_assert_num_queries(0):  # no session either: the fragment needs none
        assert "Opal (white)" in Client().get(url).content.decode()


@pytest.mark.django_db
def test_lobby_page_ends_games_whose_flag_is_due():
    game = services.game_create(
        visitor_id="w", name="Wes", colour="white", base_seconds=60
    )
    services.game_join(game_id=game.public_id, visitor_ids=["b"], name="Bea")
    long_ago = timezone.now() - timedelta(minutes=5)
    services.move_make(game_id=game.public_id, visitor_ids=["w"], uci="e2e4", ply=0)
    services.move_make(
        game_id=game.public_id, visitor_ids=["b"], uci="e7e5", ply=1, now=long_ago
    )
    html = Client().get(reverse("chess:lobby")).content.decode()
    assert Game.objects.get(public_id=game.public_id).termination == "timeout"
    assert "No games in progress" in html and "Time forfeit" in html


@pytest.mark.django_db
def test_flag_sweep_is_one_query_when_nothing_is_due(django_assert_num_queries):
    table = seat_game("w", "b")
    Game.objects.filter(public_id=table.game_id).update(clock_base_s=300)
    with django_assert_num_queries(1):
        assert services.flags_sweep() == 0


@pytest.mark.django_db
def test_flag_at_tracks_the_running_clock():
    game = services.game_create(
        visitor_id="w", name="W", colour="white", base_seconds=60
    )
    services.game_join(game_id=game.public_id, visitor_ids=["b"], name="B")
    at = timezone.now()
    services.move_make(game_id=game.public_id, visitor_ids=["w"], uci="e2e4", ply=0)
    services.move_make(
        game_id=game.public_id, visitor_ids=["b"], uci="e7e5", ply=1, now=at
    )
    game = Game.objects.get(public_id=game.public_id)
    assert game.flag_at == at + timedelta(seconds=60) == clock.flag_at(game)
    services.game_resign(game_id=game.public_id, visitor_ids=["w"])
    assert Game.objects.get(public_id=game.public_id).flag_at is None


@pytest.mark.django_db
def test_move_is_one_locked_read_one_insert_one_update(django_assert_max_num_queries):
    table = seat_game("w", "b")
    play(table, ["e2e4"])
    with django_assert_max_num_queries(5) as captured:  # with BEGIN and COMMIT
        services.move_make(game_id=table.game_id, visitor_ids=["b"], uci="e7e5", ply=1)
    verbs = [q["sql"].split(" ", 1)[0] for q in captured.captured_queries]
    assert verbs.count("SELECT") == 1
    assert verbs.count("INSERT") == 1 and verbs.count("UPDATE") == 1


@pytest.mark.django_db
def test_a_move_is_checked_against_the_stored_game():
    """The board is rebuilt from the row every command: a move another process
    stored meanwhile is the position the next command sees."""
    table = seat_game("w", "b")
    play(table, ["e2e4"])
    # As if another process had played differently.
    Game.objects.filter(public_id=table.game_id).update(
        moves_uci="d2d4", moves_san="d4", fen=Board.from_moves(["d2d4"]).fen()
    )
    with pytest.raises(services.GameError, match="Illegal"):
        services.move_make(game_id=table.game_id, visitor_ids=["b"], uci="e4e5", ply=1)
    change = play(table, ["d7d5"], start_ply=1)
    assert change.state["san"] == ["d4", "d5"]


@pytest.mark.django_db(transaction=True)
async def test_socket_commands_share_one_thread_and_connection():
    def where() -> tuple[int, int]:
        connection.ensure_connection()
        return threading.get_ident(), id(connection.connection)

    first = await chess_db.run(where)
    second = await chess_db.run(where)
    assert first == second and first[0] != threading.get_ident()
    # The connection goes (idle close): the next command opens a new one there.
    await asyncio.to_thread(chess_db.close_connection)
    assert (await chess_db.run(where))[0] == first[0]
