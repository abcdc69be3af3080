"""Query budgets and caches of the hot paths: the lobby page and one move."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chess import broadcast, clock, executor, services
from chess.models import Game
from chess.rules import Board
from tests.chess.chess_support import play, seat_game


def _writes(captured: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
    ]


def _lobby_games() -> None:
    services.game_create(session_key="open", name="Opal", colour="white")
    seat_game("w-live", "b-live")
    done = seat_game("w-done", "b-done")
    services.game_resign(game_id=done.game_id, session_key=done.white)


@pytest.mark.django_db
def test_lobby_get_is_two_queries_and_writes_nothing(
    django_assert_max_num_queries,
):
    _lobby_games()
    client = Client()
    url = reverse("chess:lobby")
    client.get(url)  # renders and caches the lists
    # The session, and one query for the lobby key and whether any flag is due; the
    # lists come from the cache.
    with django_assert_max_num_queries(2) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert "Opal (white)" in response.content.decode()
    assert _writes(captured.captured_queries) == []


@pytest.mark.django_db
def test_lobby_get_after_a_change_renders_with_one_query_per_list(
    django_assert_max_num_queries,
):
    _lobby_games()
    client = Client()
    url = reverse("chess:lobby")
    client.get(url)
    services.game_create(session_key="new", name="Nia", colour="black")
    with django_assert_max_num_queries(5) as captured:  # + one query per list
        html = client.get(url).content.decode()
    assert "Nia (black)" in html
    assert _writes(captured.captured_queries) == []


@pytest.mark.django_db
def test_lobby_lists_follow_every_create_join_and_end():
    client = Client()
    url = reverse("chess:lobby")

    def lists() -> str:
        return client.get(url).content.decode()

    assert "No open games" in lists()
    game = services.game_create(session_key="a", name="Ann", colour="white")
    assert "Ann (white)" in lists()
    services.game_join(game_id=game.public_id, session_key="b", name="Bob")
    html = lists()
    assert "No open games" in html and "Ann vs Bob" in html
    services.game_resign(game_id=game.public_id, session_key="b")
    assert "1-0" in lists()
    # A row written outside the services (a new id) is seen as well.
    Game.objects.create(white_session="c", white_name="Cyd")
    assert "Cyd (white)" in lists()


@pytest.mark.django_db
def test_pushed_lobby_frame_and_page_share_one_render():
    services.game_create(session_key="a", name="Ann", colour="white")
    with mock.patch.object(
        broadcast, "render_to_string", wraps=broadcast.render_to_string
    ) as render:
        frame = broadcast.lobby_frame()
        Client().get(reverse("chess:lobby"))
        Client().get(reverse("chess:lobby"))
    assert "Ann (white)" in frame
    assert render.call_count == 1


@pytest.mark.django_db
def test_lobby_page_ends_games_whose_flag_is_due():
    game = services.game_create(
        session_key="w", name="Wes", colour="white", base_seconds=60
    )
    services.game_join(game_id=game.public_id, session_key="b", name="Bea")
    long_ago = timezone.now() - timedelta(minutes=5)
    services.move_make(game_id=game.public_id, session_key="w", uci="e2e4", ply=0)
    services.move_make(
        game_id=game.public_id, session_key="b", uci="e7e5", ply=1, now=long_ago
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
        session_key="w", name="W", colour="white", base_seconds=60
    )
    services.game_join(game_id=game.public_id, session_key="b", name="B")
    at = timezone.now()
    services.move_make(game_id=game.public_id, session_key="w", uci="e2e4", ply=0)
    services.move_make(
        game_id=game.public_id, session_key="b", uci="e7e5", ply=1, now=at
    )
    game = Game.objects.get(public_id=game.public_id)
    assert game.flag_at == at + timedelta(seconds=60) == clock.flag_at(game)
    services.game_resign(game_id=game.public_id, session_key="w")
    assert Game.objects.get(public_id=game.public_id).flag_at is None


@pytest.mark.django_db
def test_move_is_one_locked_read_one_insert_one_update(django_assert_max_num_queries):
    table = seat_game("w", "b")
    play(table, ["e2e4"])
    with django_assert_max_num_queries(5) as captured:  # with BEGIN and COMMIT
        services.move_make(
            game_id=table.game_id, session_key="b", uci="e7e5", ply=1, publish=False
        )
    verbs = [q["sql"].split(" ", 1)[0] for q in captured.captured_queries]
    assert verbs.count("SELECT") == 1
    assert verbs.count("INSERT") == 1 and verbs.count("UPDATE") == 1


@pytest.mark.django_db(transaction=True)
def test_move_reuses_the_committed_board_instead_of_replaying():
    table = seat_game("w", "b")
    play(table, ["e2e4", "e7e5"])
    with mock.patch.object(services, "board_of", side_effect=AssertionError):
        change = play(table, ["g1f3", "b8c6"], start_ply=2)
    assert change.state["san"] == ["e4", "e5", "Nf3", "Nc6"]


@pytest.mark.django_db(transaction=True)
def test_a_cached_board_for_another_move_list_is_not_used():
    table = seat_game("w", "b")
    play(table, ["e2e4"])
    game = Game.objects.get(public_id=table.game_id)
    # As if another process had played differently since this one cached a board.
    services._board_keep(
        table.game_id, game.start_fen, "d2d4", Board.from_moves(["d2d4"])
    )
    change = play(table, ["d7d5"], start_ply=1)
    assert change.state["fen"].startswith("rnbqkbnr/ppp1pppp/8/3p4/4P3/")


@pytest.mark.django_db(transaction=True)
async def test_socket_commands_share_one_thread_and_connection():
    def where() -> tuple[int, int]:
        connection.ensure_connection()
        return threading.get_ident(), id(connection.connection)

    first = await executor.run(where)
    second = await executor.run(where)
    assert first == second and first[0] != threading.get_ident()
    # The connection goes (idle close): the next command opens a new one.
    await executor.chess_db.close_connection_async()
    assert (await executor.run(where))[0] == first[0]
