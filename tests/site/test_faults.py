"""Faults on the production path (PostgreSQL, Redis, daphne), caused for real:

- a Redis of the test's own stopped and restarted under connected chat and chess
  clients: pages keep rendering, sockets close with 4503 and resume, a move stored
  during the outage reaches the opponent and is never reported as failed;
- the database made unreachable through a TCP forwarder the test cuts: 503 page,
  JSON 503 on the API, /readyz 503, /healthz 200, 4503 sockets, and recovery;
- a daphne killed with SIGKILL mid-game and mid-chat: the clients of the survivor
  continue, those of the killed one reconnect to it and lose or double nothing.

Every server log is checked for tracebacks.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.site.fault_support import (
    CLOSE_TRY_AGAIN,
    OwnRedis,
    TcpCut,
    assert_no_tracebacks,
    closed_with,
    open_until_accepted,
    refused_with_try_again,
    wait_for,
)
from tests.support import DaphneServer, LiveClient, manage, recv_until, server_env

pytestmark = [pytest.mark.services, pytest.mark.timeout(240)]

# Presence expires in seconds, so a killed process's ghosts go quickly.
FAST_PRESENCE = {
    "PARLOUR_PRESENCE_HEARTBEAT_SECONDS": "0.5",
    "PARLOUR_PRESENCE_TTL_SECONDS": "3",
}
RECOVERY_SECONDS = 30


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis().start()
    yield redis
    redis.stop()


def named(server: DaphneServer, name: str) -> LiveClient:
    client = LiveClient(server.url)
    client.get("/name/")  # sets the CSRF cookie
    client.set_name(name)
    return client


def same_visitor_on(client: LiveClient, server: DaphneServer) -> LiveClient:
    """The visitor of `client` (its cookies) talking to another process."""
    other = LiveClient(server.url)
    for cookie in client.cookies:
        other.cookies.set_cookie(cookie)
    return other


def chess_game(white: LiveClient, black: LiveClient) -> str:
    created = white.post("/chess/", {"colour": "white"}, follow=False)
    assert created.status == 302, created.text[:300]
    game_id = re.fullmatch(r".*/chess/([a-z0-9]+)/", created.headers["Location"])[1]
    assert black.post(f"/chess/{game_id}/join/", follow=False).status == 302
    return game_id


def chat_room(client: LiveClient) -> str:
    created = client.post(
        "/chat/", {"name": f"Room {uuid.uuid4().hex[:6]}"}, follow=False
    )
    assert created.status == 302, created.text[:300]
    return created.headers["Location"].strip("/").split("/")[-1]


def state_at(ply: int) -> Callable[[dict], bool]:
    return lambda m: m.get("type") == "state" and m["ply"] == ply


def move(ws, uci: str, ply: int) -> None:
    ws.send(json.dumps({"type": "move", "uci": uci, "ply": ply}))


def test_a_redis_outage_costs_live_updates_not_pages_nor_stored_moves(
    daphne_factory, fresh_postgres_url, own_redis
):
    env = {"DATABASE_URL": fresh_postgres_url, "REDIS_URL": own_redis.url}
    # Process one learns of the outage only from a failed publish (no probe), so
    # a move made on its open socket during the outage is certain; process two
    # probes twice a second and closes its sockets without any publish.
    one = daphne_factory(PARLOUR_LAYER_PROBE_SECONDS="0", **env)
    two = daphne_factory(migrate=False, PARLOUR_LAYER_PROBE_SECONDS="0.5", **env)
    ann, bob = named(one, "Outage Ann"), named(one, "Outage Bob")
    game_id = chess_game(ann, bob)
    game = f"/ws/chess/{game_id}/"
    bob = same_visitor_on(bob, two)  # Bob plays from process two
    carol, dave = named(two, "Outage Carol"), named(two, "Outage Dave")
    room = chat_room(carol)
    chat = f"/ws/chat/{room}/"

    with ExitStack() as sockets:
        white = sockets.enter_context(ann.websocket(game))
        black = sockets.enter_context(bob.websocket(game))
        carol_ws = sockets.enter_context(carol.websocket(chat))
        recv_until(white, "state")
        recv_until(black, "state")
        recv_until(carol_ws, "welcome")
        move(white, "e2e4", 0)
        recv_until(black, state_at(1))
        move(black, "e7e5", 1)
        recv_until(white, state_at(2))
        carol_ws.send('{"type": "message", "body": "before", "client_id": "c-1"}')
        before = recv_until(carol_ws, "message")

        own_redis.stop()

        # Pages render: sessions are in the database, the cache degrades.
        for client in (ann, carol):
            for path in (
                "/",
                "/chat/",
                "/chess/",
                f"/chess/{game_id}/",
                f"/chat/{room}/",
            ):
                assert client.get(path).status == 200, path
        assert ann.get(f"/chess/{game_id}/state.json").json()["ply"] == 2

        # A move on an open socket during the outage: stored, and the mover is
        # told so (the new state), never that it failed; then "try again".
        move(white, "g1f3", 2)
        frames = closed_with(white, CLOSE_TRY_AGAIN)
        assert [f["type"] for f in frames] == ["state", "error"], frames
        assert frames[0]["ply"] == 3 and frames[0]["moves"][-1] == "g1f3"
        assert frames[1]["code"] == CLOSE_TRY_AGAIN
        # Process two's probe closes its sockets too, without any publish.
        closed_with(black, CLOSE_TRY_AGAIN)
        closed_with(carol_ws, CLOSE_TRY_AGAIN)

        # A chat message through the no-JS form is stored, not refused.
        posted = carol.post(f"/chat/{room}/post/", {"body": "during"})
        assert posted.status == 200, posted.text[:300]
        # New handshakes are refused with "try again" on both processes.
        for client, path in ((ann, game), (dave, chat), (bob, game)):
            with client.websocket(path) as ws:
                refused_with_try_again(ws)
        not_ready = ann.get("/readyz")
        assert not_ready.status == 503 and "channel_layer" in not_ready.json()["failed"]
        assert not_ready.headers["Retry-After"]
        assert ann.get("/healthz").status == 200

        own_redis.start()

        # Clients reconnect (as the page does after 4503) and catch up.
        black, state = open_until_accepted(
            bob, game, lambda f: f["type"] == "state", RECOVERY_SECONDS
        )
        sockets.enter_context(black)
        assert state["ply"] == 3 and state["moves"][-1] == "g1f3"
        white, state = open_until_accepted(
            ann, game, lambda f: f["type"] == "state", RECOVERY_SECONDS
        )
        sockets.enter_context(white)
        assert state["ply"] == 3
        carol_ws, _ = open_until_accepted(
            carol, chat, lambda f: f["type"] == "welcome", RECOVERY_SECONDS
        )
        sockets.enter_context(carol_ws)
        carol_ws.send(json.dumps({"type": "resume", "after": before["id"]}))
        backlog = recv_until(carol_ws, "backlog")
        assert [m["body"] for m in backlog["messages"]] == ["during"]

        # Moves and messages flow across processes again.
        move(black, "b8c6", 3)
        assert recv_until(white, state_at(4))["moves"][-1] == "b8c6"
        dave_ws, _ = open_until_accepted(
            dave, chat, lambda f: f["type"] == "welcome", RECOVERY_SECONDS
        )
        sockets.enter_context(dave_ws)
        dave_ws.send('{"type": "message", "body": "after", "client_id": "d-1"}')
        assert recv_until(carol_ws, lambda m: m.get("body") == "after")
        for server in (one, two):
            assert wait_for(
                lambda s=server: LiveClient(s.url).get("/readyz").status == 200,
                RECOVERY_SECONDS,
                "readiness after the outage",
            )
    assert_no_tracebacks(one, two)


def test_an_unreachable_database_answers_503_and_recovers(
    daphne_factory, fresh_postgres_url, own_redis
):
    proxy, through = TcpCut.to_url(fresh_postgres_url)
    proxy.start()
    try:
        manage("migrate", "--noinput", env=server_env(DATABASE_URL=fresh_postgres_url))
        server = daphne_factory(
            migrate=False, DATABASE_URL=through, REDIS_URL=own_redis.url
        )
        ann, bob = named(server, "Db Ann"), named(server, "Db Bob")
        game_id = chess_game(ann, bob)
        game = f"/ws/chess/{game_id}/"
        with ann.websocket(game) as white:
            recv_until(white, "state")
            # The open ends with the presence row: cut only once it is written.
            recv_until(white, lambda m: m.get("type") == "presence" and m["white"])

            proxy.cut()

            page = ann.get("/")
            assert page.status == 503
            assert "503" in page.text and "<nav" in page.text  # the site's look
            assert page.headers["Retry-After"]
            for api in (
                ann.get(f"/chess/{game_id}/state.json"),
                ann.post("/roulette/api/sessions/", json_body={}, csrf=False),
            ):
                assert api.status == 503, api.url
                assert api.headers["Content-Type"] == "application/json"
                assert "error" in api.json()
            ready = ann.get("/readyz")
            assert ready.status == 503 and "database" in ready.json()["failed"]
            assert ann.get("/healthz").status == 200
            with bob.websocket(game) as refused:
                refused_with_try_again(refused)

            proxy.restore()

            assert wait_for(
                lambda: ann.get("/").status == 200, RECOVERY_SECONDS, "pages"
            )
            assert ann.get("/readyz").status == 200
            assert ann.get(f"/chess/{game_id}/state.json").json()["ply"] == 0
            black, _ = open_until_accepted(
                bob, game, lambda f: f["type"] == "state", RECOVERY_SECONDS
            )
            with black:
                move(white, "e2e4", 0)
                assert recv_until(black, state_at(1))["moves"] == ["e2e4"]
        assert_no_tracebacks(server)
    finally:
        proxy.close()


def test_a_killed_daphne_loses_and_doubles_nothing(
    daphne_factory, fresh_postgres_url, own_redis
):
    env = {
        "DATABASE_URL": fresh_postgres_url,
        "REDIS_URL": own_redis.url,
        **FAST_PRESENCE,
    }
    survivor = daphne_factory(**env)
    doomed = daphne_factory(migrate=False, **env)
    ann, bob = named(survivor, "Kill Ann"), named(doomed, "Kill Bob")
    game_id = chess_game(ann, bob)
    game = f"/ws/chess/{game_id}/"
    room = chat_room(ann)
    chat = f"/ws/chat/{room}/"

    with ExitStack() as sockets:
        white = sockets.enter_context(ann.websocket(game))
        black = sockets.enter_context(bob.websocket(game))
        ann_chat = sockets.enter_context(ann.websocket(chat))
        bob_chat = sockets.enter_context(bob.websocket(chat))
        recv_until(white, "state")
        recv_until(black, "state")
        recv_until(ann_chat, "welcome")
        recv_until(bob_chat, "welcome")
        move(white, "d2d4", 0)
        recv_until(black, state_at(1))
        move(black, "d7d5", 1)
        recv_until(white, state_at(2))
        bob_chat.send('{"type": "message", "body": "hello", "client_id": "b-1"}')
        last_seen = recv_until(bob_chat, "message")
        recv_until(ann_chat, "message")
        # Bob's last message may or may not be stored when his process dies.
        bob_chat.send('{"type": "message", "body": "in flight", "client_id": "b-2"}')

        doomed.process.kill()
        doomed.process.wait(timeout=10)

        # The survivor's clients continue.
        move(white, "c2c4", 2)
        assert recv_until(white, state_at(3))["moves"][-1] == "c2c4"
        missed = []
        for n in range(3):
            ann_chat.send(json.dumps({"type": "message", "body": f"missed {n}"}))
            missed.append(
                recv_until(ann_chat, lambda m, n=n: m.get("body") == f"missed {n}")
            )

        # Bob reconnects to the survivor: the game by its state, the chat by id.
        bob = same_visitor_on(bob, survivor)
        black = sockets.enter_context(bob.websocket(game))
        state = recv_until(black, "state")
        assert state["moves"] == ["d2d4", "d7d5", "c2c4"]
        bob_chat = sockets.enter_context(bob.websocket(chat))
        recv_until(bob_chat, "welcome")
        bob_chat.send(json.dumps({"type": "resume", "after": last_seen["id"]}))
        backlog = recv_until(bob_chat, "backlog")["messages"]
        # The retry of the in-flight message (same client id) is stored once.
        bob_chat.send('{"type": "message", "body": "in flight", "client_id": "b-2"}')
        sent = recv_until(bob_chat, "sent")
        assert sent["client_id"] == "b-2"
        assert [m for m in backlog if m["body"] != "in flight"] == missed
        bob_chat.send(json.dumps({"type": "resume", "after": last_seen["id"]}))
        bodies = [m["body"] for m in recv_until(bob_chat, "backlog")["messages"]]
        assert bodies.count("in flight") == 1
        assert [b for b in bodies if b != "in flight"] == [m["body"] for m in missed]

        # Play goes on on the survivor.
        move(black, "e7e6", 3)
        assert recv_until(white, state_at(4))["moves"][-1] == "e7e6"
        assert ann.get(f"/chess/{game_id}/state.json").json()["ply"] == 4
    assert_no_tracebacks(survivor)
