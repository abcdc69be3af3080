"""Chess admin: the list with its status filter, and the abort action."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from chess import services
from chess.models import Game, Status
from tests.chess.chess_support import play, receive_type, seat_game


@pytest.mark.django_db
def test_changelist_filters_by_status(admin_client):
    seat_game("w", "b")
    services.game_create(visitor_id="x", name="Opal", colour="white")
    url = reverse("admin:chess_game_changelist")
    assert admin_client.get(url).status_code == 200
    page = admin_client.get(url, {"status__exact": "waiting"}).content.decode()
    assert "Opal" in page and "Ann" not in page


@pytest.mark.django_db
def test_abort_action_aborts_games_in_progress(admin_client):
    table = seat_game("w", "b")
    play(table, ["e2e4", "e7e5", "g1f3"])
    done = seat_game("w2", "b2")
    services.game_resign(game_id=done.game_id, visitor_ids=["w2"])
    ids = Game.objects.values_list("pk", flat=True)
    response = admin_client.post(
        reverse("admin:chess_game_changelist"),
        {"action": "abort_games", "_selected_action": list(ids)},
    )
    assert response.status_code == 302
    assert Game.objects.get(public_id=table.game_id).status == Status.ABORTED
    assert Game.objects.get(public_id=done.game_id).status == Status.FINISHED


@pytest.mark.django_db(transaction=True)
async def test_admin_abort_is_pushed_to_the_players(live_table, communicator):
    comm = communicator(f"/ws/chess/{live_table['game']}/", live_table["white"])
    await comm.connect()
    await receive_type(comm, "state")
    await database_sync_to_async(services.game_abort)(
        game_id=live_table["game"], staff=True
    )
    state = await receive_type(comm, "state")
    assert state["status"] == "aborted" and state["version"] == 3
    await comm.disconnect()
