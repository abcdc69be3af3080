"""Real daphne: two WebSocket clients play to checkmate; in scaled mode (two daphne
processes, PostgreSQL, Redis) moves cross processes and a race at one ply has one
winner."""

from __future__ import annotations

import json
import re
import threading

import pytest

from tests.chess.chess_support import SCHOLARS_MATE
from tests.support import LiveClient, recv_until


def named(base_url: str, name: str) -> LiveClient:
    client = LiveClient(base_url)
    client.get("/name/")  # a page with a form: sets the CSRF cookie
    client.set_name(name)
    return client


def create_and_join(white: LiveClient, black: LiveClient) -> str:
    response = white.post("/chess/", {"colour": "white"}, follow=False)
    assert response.status == 302, response.text[:300]
    game_id = re.fullmatch(r".*/chess/([a-z0-9]+)/", response.headers["Location"])[1]
    joined = black.post(f"/chess/{game_id}/join/", follow=False)
    assert joined.status == 302
    return game_id


def drain(ws, quiet: float = 1.5) -> list[dict]:
    """Every frame until the socket has been quiet for `quiet` seconds."""
    frames = []
    while True:
        try:
            frames.append(json.loads(ws.recv(timeout=quiet)))
        except TimeoutError:
            return frames


def state_at(ply: int):
    return lambda m: m.get("type") == "state" and m["ply"] == ply


def test_two_websocket_clients_play_to_checkmate(daphne_server):
    ann = named(daphne_server.url, "Ann Live")
    bob = named(daphne_server.url, "Bob Live")
    watcher = LiveClient(daphne_server.url)
    game_id = create_and_join(ann, bob)
    path = f"/ws/chess/{game_id}/"
    with (
        ann.websocket(path) as w,
        bob.websocket(path) as b,
        watcher.websocket(path) as s,
    ):
        first = recv_until(w, "state")
        assert first["status"] == "active" and first["players"]["black"] == "Bob Live"
        for ply, uci in enumerate(SCHOLARS_MATE):
            mover = w if ply % 2 == 0 else b
            mover.send(f'{{"type": "move", "uci": "{uci}", "ply": {ply}}}')
            for ws in (w, b, s):
                state = recv_until(ws, state_at(ply + 1))
                assert state["moves"][-1] == uci
        assert (state["status"], state["result"]) == ("finished", "1-0")
        assert state["termination"] == "checkmate" and state["san"][-1] == "Qxf7#"
        b.send('{"type": "move", "uci": "a7a6", "ply": 7}')
        assert "over" in recv_until(b, "error")["message"]
    # The game survives: a fresh page load shows the final position.
    page = watcher.get(f"/chess/{game_id}/")
    assert "Checkmate. White wins" in page.text
    assert watcher.get(f"/chess/{game_id}/state.json").json()["ply"] == 7


def test_a_game_survives_a_server_restart_and_seats_are_kept(daphne_factory, tmp_path):
    db = str(tmp_path / "restart.sqlite3")
    first = daphne_factory(PARLOUR_SQLITE_PATH=db)
    ann = named(first.url, "Ann Restart")
    bob = named(first.url, "Bob Restart")
    game_id = create_and_join(ann, bob)
    path = f"/ws/chess/{game_id}/"
    with ann.websocket(path) as w:
        recv_until(w, "state")
        w.send('{"type": "move", "uci": "e2e4", "ply": 0}')
        recv_until(w, state_at(1))
    first.stop()

    second = daphne_factory(migrate=False, PARLOUR_SQLITE_PATH=db)
    clients = []
    for old in (ann, bob):
        new = LiveClient(second.url)
        for cookie in old.cookies:
            new.cookies.set_cookie(cookie)
        clients.append(new)
    with clients[0].websocket(path) as w, clients[1].websocket(path) as b:
        state = recv_until(b, "state")
        assert state["moves"] == ["e2e4"] and state["version"] == 3
        b.send('{"type": "move", "uci": "e7e5", "ply": 1}')
        assert recv_until(w, state_at(2))["san"] == ["e4", "e5"]
        w.send('{"type": "move", "uci": "g1f3", "ply": 2}')
        assert recv_until(b, state_at(3))["last_move"] == "g1f3"


@pytest.mark.services
def test_scaled_moves_cross_processes_and_one_ply_has_one_winner(
    daphne_factory, fresh_postgres_url, redis_url
):
    env = {"DATABASE_URL": fresh_postgres_url, "REDIS_URL": redis_url}
    one = daphne_factory(**env)
    two = daphne_factory(migrate=False, **env)
    ann = named(one.url, "Ann Scaled")
    bob = named(two.url, "Bob Scaled")
    game_id = create_and_join(ann, bob)
    path = f"/ws/chess/{game_id}/"
    ann_two = LiveClient(two.url)  # Ann's session, second tab on the other process
    for cookie in ann.cookies:
        ann_two.cookies.set_cookie(cookie)
    with (
        ann.websocket(path) as w,
        bob.websocket(path) as b,
        ann_two.websocket(path) as w2,
    ):
        for ws in (w, b, w2):
            recv_until(ws, "state")
        # A move on process one reaches Bob on process two.
        w.send('{"type": "move", "uci": "e2e4", "ply": 0}')
        assert recv_until(b, state_at(1))["moves"] == ["e2e4"]
        b.send('{"type": "move", "uci": "e7e5", "ply": 1}')
        assert recv_until(w, state_at(2))["moves"] == ["e2e4", "e7e5"]
        recv_until(w2, state_at(2))
        # Both of Ann's tabs, on different processes, race for ply 2.
        barrier = threading.Barrier(2)

        def send(ws, uci):
            barrier.wait()
            ws.send(f'{{"type": "move", "uci": "{uci}", "ply": 2}}')

        threads = [
            threading.Thread(target=send, args=(w, "g1f3")),
            threading.Thread(target=send, args=(w2, "d2d4")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        final = recv_until(b, state_at(3))
        assert final["moves"][-1] in ("g1f3", "d2d4")
        # The loser gets exactly one refusal; both tabs end on the same state.
        frames = [drain(ws) for ws in (w, w2)]
        errors = [f for tab in frames for f in tab if f["type"] == "error"]
        assert len(errors) == 1, frames
        assert re.search("Stale|not your turn", errors[0]["message"])
        for tab in frames:
            assert [f for f in tab if f["type"] == "state"][-1]["ply"] == 3
        bob_sync = LiveClient(one.url)
        assert bob_sync.get(f"/chess/{game_id}/state.json").json()["ply"] == 3
