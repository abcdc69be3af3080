"""The migrations that replace stored session keys with visitor ids, run with the
migration executor on a database holding old-shape rows."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from chess.models import Game
from roulette.models import Wallet
from site_config.visitors.identity import SESSION_NAME_KEY, VISITOR_ID_KEY
from site_config.visitors.models import Guest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("visitors", "0001_initial"),
    ("chess", "0005_presence_shared_lobby_cached"),
    ("roulette", "0001_initial"),
]
AFTER = [
    ("visitors", "0002_visitor_ids"),
    ("chess", "0006_seats_by_visitor_id"),
    ("roulette", "0002_wallets_by_visitor_id"),
]


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets`; the historical apps at that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def live_session(**data: Any) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key, value in data.items():
        store[key] = value
    store.create()
    return store.session_key


def session_data(session_key: str) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


@pytest.fixture
def old_rows() -> dict[str, Any]:
    """Old-shape rows: Ann (a live session: a name, White's seat, a wallet), Bob
    (live: Black's seat), a vanished session (a name, a seat, a wallet) and an API
    wallet."""
    old = migrate(BEFORE)
    ann = live_session(**{SESSION_NAME_KEY: "Ann"})
    bob = live_session()
    gone = "gone" * 8
    guest, game, wallet = (
        old.get_model("visitors", "Guest"),
        old.get_model("chess", "Game"),
        old.get_model("roulette", "Wallet"),
    )
    guest.objects.create(session_key=ann, name="Ann")
    guest.objects.create(session_key=gone, name="Gone Gus")
    played = game.objects.create(
        public_id="migrated01",
        white_session=ann,
        white_name="Ann",
        black_session=bob,
        black_name="Bob",
        status="active",
    )
    game.objects.create(
        public_id="migrated02", white_session=gone, white_name="Gone Gus"
    )
    wallet.objects.create(session_key=ann, bankroll=640)
    wallet.objects.create(session_key=gone, bankroll=10)
    wallet.objects.create(session_key=None, bankroll=77)
    yield {"ann": ann, "bob": bob, "gone": gone, "game": played.public_id}
    migrate(AFTER)  # leave the schema as the other tests expect it


def test_rows_of_a_live_session_move_to_the_visitor_id_in_its_data(old_rows):
    migrate(AFTER)
    ann = session_data(old_rows["ann"])[VISITOR_ID_KEY]
    bob = session_data(old_rows["bob"])[VISITOR_ID_KEY]
    assert ann and bob and ann != bob
    game = Game.objects.get(public_id=old_rows["game"])
    assert (game.white_visitor, game.black_visitor) == (ann, bob)
    assert Wallet.objects.get(visitor_id=ann).bankroll == 640
    assert Guest.objects.get(name="Ann").visitor_id == ann
    assert Wallet.objects.get(bankroll=77).visitor_id is None  # API wallets stay


def test_rows_of_a_vanished_session_go_to_an_id_nobody_holds(old_rows):
    migrate(AFTER)
    live_ids = {session_data(old_rows[name])[VISITOR_ID_KEY] for name in ("ann", "bob")}
    orphan_seat = Game.objects.get(public_id="migrated02").white_visitor
    orphan_wallet = Wallet.objects.get(bankroll=10).visitor_id
    assert orphan_seat and orphan_wallet
    assert not {orphan_seat, orphan_wallet} & live_ids
    # Its name is free again.
    assert not Guest.objects.filter(name="Gone Gus").exists()


def test_no_session_key_is_left_in_an_app_table(old_rows):
    migrate(AFTER)
    stored = [
        *Game.objects.values_list("white_visitor", "black_visitor"),
        *Wallet.objects.values_list("visitor_id", flat=True),
        *Guest.objects.values_list("visitor_id", flat=True),
    ]
    text = repr(stored)
    assert not any(old_rows[name] in text for name in ("ann", "bob", "gone"))


def test_after_the_migration_the_visitor_is_still_seated_with_their_bankroll(
    old_rows,
):
    migrate(AFTER)
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = old_rows["ann"]
    page = client.get(f"/chess/{old_rows['game']}/").content.decode()
    assert "You play White." in page
    assert 'data-testid="bankroll">640<' in client.get("/roulette/").content.decode()
