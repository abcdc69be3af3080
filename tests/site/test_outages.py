"""Outages in process: the degrading cache, the 503 answers, the readiness probe,
the hub's view of the layer, the 4503 handshake, and committed work that is never
reported as failed. The live versions are in test_faults.py."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from site_config import home, outages
from site_config.realtime.hub import Hub, LayerUnavailable
from site_config.realtime.outages import CLOSE_TRY_AGAIN, TryAgainOnFailure
from tests.support import free_port


def database_down(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("connection to server failed: Connection refused")


# --- the cache -------------------------------------------------------------------


def test_the_cache_answers_a_redis_outage_as_a_miss_and_logs_one_line(caplog):
    # Nothing listens on the port: every call is refused at once.
    cache = outages.DegradingRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )
    with caplog.at_level(logging.WARNING, logger="site_config.outages"):
        assert cache.get("k", "default") == "default"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.add("k", 1) is False
        cache.set("k", 1)
        assert cache.delete("k") is False
        with pytest.raises(ValueError):
            cache.incr("k")
    outage_lines = [r for r in caplog.records if r.name == "site_config.outages"]
    assert len(outage_lines) == 1 and not outage_lines[0].exc_info
    assert "cache unavailable" in outage_lines[0].getMessage()


# --- HTTP with the database down --------------------------------------------------


@pytest.mark.django_db
def test_a_page_answers_the_site_503_page_when_the_database_is_down(
    client, monkeypatch, caplog
):
    monkeypatch.setattr(home, "home_figures", database_down)
    with caplog.at_level(logging.WARNING):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "503" in page and "<nav" in page
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.django_db
def test_the_json_api_answers_json_503_when_the_database_is_down(client, monkeypatch):
    from chess import services as chess_services
    from roulette import services as roulette_services

    monkeypatch.setattr(chess_services, "game_view", database_down)
    monkeypatch.setattr(roulette_services, "wallet_create", database_down)
    for response in (
        client.get("/chess/abc/state.json"),
        client.post("/roulette/api/sessions/", "{}", content_type="application/json"),
    ):
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"error": outages.DATABASE_DOWN}
        assert response["Retry-After"]


def test_other_errors_still_reach_the_500_handler(rf):
    middleware = outages.DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(rf.get("/"), ValueError("a bug")) is None


# --- liveness and readiness --------------------------------------------------------


@pytest.mark.django_db
def test_liveness_touches_neither_the_database_nor_redis(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert client.get("/healthz").json() == {"ok": True}


@pytest.mark.django_db(transaction=True)
def test_readiness_is_ok_when_the_database_and_the_layer_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readiness_names_the_database_when_it_is_down(client, monkeypatch):
    monkeypatch.setattr(home, "database_answers", database_down)
    response = client.get("/readyz")
    assert response.status_code == 503 and response["Retry-After"]
    assert list(response.json()["failed"]) == ["database"]


@pytest.mark.django_db(transaction=True)
def test_readiness_names_the_channel_layer_when_it_is_down(client, monkeypatch):
    async def layer_down(self: Hub) -> None:
        raise LayerUnavailable("probe failed")

    monkeypatch.setattr(Hub, "check", layer_down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert list(response.json()["failed"]) == ["channel_layer"]


# --- the hub's view of the layer ------------------------------------------------------


class Member:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.lost = 0

    def hub_event(self, event: str, frame: str) -> None:
        self.frames.append(frame)

    def layer_lost(self) -> None:
        self.lost += 1


async def test_a_layer_outage_closes_members_refuses_joins_and_ends_with_a_probe(
    monkeypatch,
):
    layer = get_channel_layer()
    hub = Hub(layer)
    first, second = Member(), Member()
    await hub.join("room", first)
    await hub.check()  # the probe comes back through the layer

    real_send = type(layer).send

    async def refused(self: Any, channel: str, message: dict[str, Any]) -> None:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(type(layer), "send", refused)
    with pytest.raises(LayerUnavailable):
        await hub.check()
    hub.publish_failed(RedisConnectionError("down"))
    hub.publish_failed(RedisConnectionError("still down"))
    assert not hub.healthy and first.lost == 1  # told once per outage
    with pytest.raises(LayerUnavailable):
        await hub.join("room", second)
    assert hub.local_count("room") == 1

    monkeypatch.setattr(type(layer), "send", real_send)
    await hub.join("room", second)  # a probe that comes back ends the outage
    assert hub.healthy and hub.local_count("room") == 2
    await hub.leave("room", first)
    await hub.leave("room", second)


# --- sockets ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_during_a_database_outage_closes_with_try_again(
    communicator, make_session, monkeypatch
):
    from importlib import import_module

    from django.conf import settings

    key = await database_sync_to_async(make_session)("Ann")
    engine = import_module(settings.SESSION_ENGINE)
    monkeypatch.setattr(engine.SessionStore, "load", database_down)
    ws = communicator("/ws/chat/", key)
    connected, _ = await ws.connect()
    assert connected
    error = await ws.receive_json_from()
    assert (error["type"], error["code"]) == ("error", CLOSE_TRY_AGAIN)
    closed = await ws.receive_output()
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_TRY_AGAIN)


async def test_a_bug_before_the_handshake_is_not_disguised_as_an_outage():
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("a bug")

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing is sent for a bug")

    with pytest.raises(ValueError):
        await TryAgainOnFailure(broken)({"type": "websocket"}, receive, send)


# --- logging --------------------------------------------------------------------------


def test_a_library_traceback_for_an_outage_becomes_one_line():
    try:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")
    except RedisConnectionError:
        record = logging.getLogger("channels_redis.pubsub").makeRecord(
            "channels_redis.pubsub",
            logging.ERROR,
            __file__,
            1,
            "Unexpected exception in receive task",
            None,
            __import__("sys").exc_info(),
        )
    assert outages.OutageTracebackFilter().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == (
        "Unexpected exception in receive task "
        "(ConnectionError: Error 111 connecting to 127.0.0.1:6379.)"
    )


def test_a_bug_keeps_its_traceback():
    try:
        raise KeyError("bug")
    except KeyError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "boom", None, __import__("sys").exc_info()
        )
    assert outages.OutageTracebackFilter().filter(record)
    assert record.exc_info is not None
