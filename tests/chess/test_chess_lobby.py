"""The lobby's version in the cache: bumped after commit, announced to the lobby
sockets, and never a reason for a command or a page to fail."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from chess import services
from chess.models import Game
from chess.services.lobby import VERSION_KEY
from tests.chess.chess_support import published

pytestmark = pytest.mark.django_db


def create(name: str) -> Game:
    return services.game_create(visitor_id=name, name=name, colour="white")


def announced(out: Any) -> list[int | None]:
    return [payload["version"] for _, payload in out.of("chess.lobby")]


def test_each_change_announces_the_next_version():
    first = services.lobby_version()
    with published() as out:
        create("Ann")
        create("Bob")
    assert announced(out) == [first + 1, first + 2]
    assert services.lobby_version() == first + 2


def test_a_rolled_back_command_announces_nothing():
    with published() as out, pytest.raises(RuntimeError), transaction.atomic():
        create("Ann")
        raise RuntimeError("the surrounding transaction fails")
    assert out.events == [] and not Game.objects.exists()


def test_a_lost_version_restarts_where_no_cached_lists_match():
    """An evicted (or flushed) version must not come back as one the lists may
    still be cached under: it restarts at a random value, not at 1."""
    client = Client()
    client.get(reverse("chess:lobby"))  # lists cached under the current version
    cache.delete(VERSION_KEY)
    with published() as out:
        create("Ann")
    assert announced(out)[0] not in (None, 1)
    assert "Ann (white)" in client.get(reverse("chess:lobby")).content.decode()


class CacheDown:
    """Every cache call fails, as with Redis unreachable."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache down")

        return fail


def test_a_cache_outage_costs_the_caching_not_a_command_or_a_page():
    with mock.patch("chess.services.lobby.cache", CacheDown()):
        with published() as out:
            create("Ann")
        page = Client().get(reverse("chess:lobby"))
        lists = Client().get(reverse("chess:lobby_lists"))
    # Clients fetch whatever is current when the version is unknown.
    assert announced(out) == [None]
    assert page.status_code == 200 and "Ann (white)" in page.content.decode()
    assert lists["X-Lobby-Version"] == "" and "Ann (white)" in lists.content.decode()
