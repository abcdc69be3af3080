"""The compiled hot-path statements write and read exactly what the ORM would."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save, pre_save

from chess import services
from chess.models import Game, Move, Status
from roulette.models import Bet, Spin, Wallet
from site_config import compiled_sql
from site_config.compiled_sql import CompiledRows, CompiledSelect

pytestmark = pytest.mark.django_db

ANN, BOB = "a" * 32, "b" * 32


def started_game() -> Game:
    game = services.game_create(session_key=ANN, name="Ann", publish=False)
    services.game_join(
        game_id=game.public_id, session_key=BOB, name="Bob", publish=False
    )
    return Game.objects.get(pk=game.pk)


def row(game: Game) -> dict:
    return Game.objects.filter(pk=game.pk).values().get()


def test_update_fields_writes_what_save_writes():
    game = started_game()
    twin = Game.objects.get(pk=game.pk)
    before = row(game)
    for copy in (game, twin):
        copy.ply, copy.fen, copy.version = 1, "8/8/8/8/8/8/8/K6k w - - 0 1", 9
        copy.draw_offer, copy.ended_at = "w", None
    fields = ["ply", "fen", "version", "draw_offer", "ended_at", "updated_at"]

    twin.save(update_fields=fields)
    by_orm = row(twin)
    compiled_sql.update_fields(game, fields)
    by_compiled = row(game)

    assert by_compiled["ply"] == by_orm["ply"] == 1
    assert by_compiled["fen"] == by_orm["fen"]
    assert by_compiled["version"] == 9 and by_compiled["draw_offer"] == "w"
    assert by_compiled["updated_at"] > before["updated_at"]  # auto_now ran
    assert by_compiled["white_session"] == before["white_session"]  # untouched


def test_update_fields_of_a_missing_row_raises():
    game = started_game()
    Game.objects.filter(pk=game.pk).delete()
    with pytest.raises(Game.DoesNotExist):
        compiled_sql.update_fields(game, ["ply"])


def test_insert_sets_auto_now_add_and_keeps_constraints():
    game = started_game()
    compiled_sql.insert(Move(game=game, ply=1, uci="e2e4", san="e4", fen_after="x"))
    stored = Move.objects.get(game=game, ply=1)
    assert (stored.uci, stored.san, stored.fen_after) == ("e2e4", "e4", "x")
    assert stored.created_at is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        compiled_sql.insert(Move(game=game, ply=1, uci="d2d4", san="d4", fen_after="y"))


def test_compiled_select_reads_the_same_instance_as_the_orm():
    game = started_game()
    locked = CompiledSelect(
        lambda: Game.objects.select_for_update().filter(public_id="")
    )
    with transaction.atomic():
        found = locked.one(game.public_id)
        again = locked.one(game.public_id)  # compiled once, run twice
        missing = locked.one("no-such-game")
    expected = Game.objects.get(pk=game.pk)
    for field in Game._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname)
    assert found.started_at is not None and found.started_at.tzinfo is not None
    assert again.pk == found.pk and not found._state.adding
    assert missing is None


def test_compiled_select_refuses_other_query_shapes():
    two_values = CompiledSelect(lambda: Game.objects.filter(public_id="", ply=0))
    with pytest.raises(ValueError):
        two_values.one("x")
    some_columns = CompiledSelect(lambda: Game.objects.only("ply").filter(public_id=""))
    with pytest.raises(ValueError):
        some_columns.one("x")


def test_compiled_rows_match_values_list_with_constants_and_limits():
    for n in range(3):
        game = started_game()
        Move.objects.create(game=game, ply=1, uci="e2e4", san="e4", fen_after=str(n))
    active = CompiledRows(
        lambda ply: (
            Game.objects.filter(status=Status.ACTIVE, ply__gte=ply)
            .order_by("-id")
            .values_list("public_id", "started_at", "ply")[:2]
        ),
        987654,
    )
    for ply in (0, 5):
        expected = list(
            Game.objects.filter(status=Status.ACTIVE, ply__gte=ply)
            .order_by("-id")
            .values_list("public_id", "started_at", "ply")[:2]
        )
        assert active.rows(ply) == expected
    assert active.rows(0)[0][1].tzinfo is not None  # converted like the ORM's


def test_compiled_rows_need_distinct_plain_examples():
    with pytest.raises(ValueError):
        CompiledRows(lambda when: Game.objects.filter(ended_at=when), 1.5)
    twice = CompiledRows(lambda ply: Game.objects.filter(ply=ply, version=ply), 7)
    with pytest.raises(ValueError):
        twice.rows(1)


@pytest.mark.parametrize("model", [Game, Move, Wallet, Bet, Spin])
def test_the_compiled_rows_have_no_save_signal_receivers(model):
    # compiled_sql skips pre_save/post_save; a receiver added later must not be
    # silently bypassed on the move path.
    assert not pre_save.has_listeners(model)
    assert not post_save.has_listeners(model)


def test_a_compiled_row_lock_outside_a_transaction_is_refused_like_the_orms():
    from django.db import connection
    from django.db.transaction import TransactionManagementError

    game = started_game()
    locked = CompiledSelect(
        lambda: Game.objects.select_for_update().filter(public_id="")
    )
    with transaction.atomic():
        assert locked.one(game.public_id).pk == game.pk  # compiled here
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            locked.one(game.public_id)


def test_converters_are_built_for_each_connection():
    from django.db import connections

    rows = CompiledRows(
        lambda ply: Game.objects.filter(ply=ply).values_list("started_at"), 987654
    )
    started_game()
    rows.rows(0)
    read = next(iter(rows.compiled.values()))[0]
    # Keyed by this thread's connection (converters are its methods).
    assert connections["default"] in read._converters
