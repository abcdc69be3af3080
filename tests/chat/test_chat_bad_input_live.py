"""Bad input against a real daphne: a hostile chat message among good ones from
other senders, unknown socket paths, foreign origins, oversized bodies and frames.
Nothing may reach another user, and the server log must hold no traceback.

In the scaled CI leg (DATABASE_URL and REDIS_URL set) the server runs on
PostgreSQL and Redis, where a NUL once failed a whole batch of messages.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.bad_input import BAD_TEXT_JSON, frame_with
from tests.support import DaphneServer, LiveClient, recv_json, recv_until

HOSTILE_BODIES = [param.values[0] for param in BAD_TEXT_JSON]


@pytest.fixture
def server(request: pytest.FixtureRequest, daphne_factory: Any) -> DaphneServer:
    """A daphne of its own, so its whole log belongs to this test; PostgreSQL and
    Redis when the run sets DATABASE_URL, SQLite and the in-memory layer if not."""
    env = {"CHAT_FLOOD_COUNT": "100"}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = request.getfixturevalue("fresh_postgres_url")
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    return daphne_factory(**env)


def assert_no_traceback(server: DaphneServer) -> None:
    assert server.log_path is not None
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]


def named(server: DaphneServer, name: str) -> LiveClient:
    client = LiveClient(server.url)
    client.get("/name/")
    client.set_name(name)
    return client


def everyone_here(frame: dict[str, Any]) -> bool:
    """The welcome or join frame that shows all three in the room."""
    return frame.get("members") == ["Ann", "Bob", "Cid"] or frame.get("online") == 3


def test_hostile_messages_never_cost_the_other_senders_theirs(server):
    ann, bob, cid = (named(server, name) for name in ("Ann", "Bob", "Cid"))
    created = ann.post("/chat/", {"name": f"Live {uuid.uuid4().hex[:6]}"}, follow=False)
    slug = created.headers["Location"].strip("/").split("/")[-1]
    path = f"/ws/chat/{slug}/"
    with (
        ann.websocket(path) as ann_ws,
        bob.websocket(path) as bob_ws,
        cid.websocket(path) as cid_ws,
    ):
        for ws in (ann_ws, bob_ws, cid_ws):
            recv_until(ws, everyone_here)
        good = []
        for n, hostile in enumerate(HOSTILE_BODIES):
            # Sent back to back, so they meet in one write batch if they can.
            ann_ws.send(
                frame_with({"type": "message", "body": hostile, "client_id": f"h{n}"})
            )
            bob_ws.send(frame_with({"type": "message", "body": f"bob {n}"}))
            cid_ws.send(frame_with({"type": "message", "body": f"cid {n}"}))
            good += [f"bob {n}", f"cid {n}"]
        refusals = {f"h{n}" for n in range(len(HOSTILE_BODIES))}
        for ws in (ann_ws, bob_ws, cid_ws):
            seen: set[str] = set()
            refused: set[str] = set()
            while not set(good) <= seen or (ws is ann_ws and refused != refusals):
                frame = recv_json(ws)
                if frame["type"] == "message":
                    seen.add(frame["body"])
                elif frame["type"] == "error":
                    assert ws is ann_ws and frame["message"], frame
                    refused.add(frame["client_id"])
            assert seen == set(good)  # and nothing hostile
        ann_ws.send(frame_with({"type": "message", "body": "Ann is fine"}))
        assert recv_until(cid_ws, "message")["body"] == "Ann is fine"
    with cid.websocket(path) as again:
        recv_json(again)
        again.send('{"type": "resume", "after": 0}')
        stored = [m["body"] for m in recv_until(again, "backlog")["messages"]]
    assert sorted(stored) == sorted([*good, "Ann is fine"])
    assert_no_traceback(server)


def test_refused_handshakes_and_oversized_input_leave_no_traceback(server):
    client = named(server, "Dee")
    host = f"127.0.0.1:{server.port}"
    refused = [
        ("/ws/nothing/", None),
        ("/ws/", None),
        ("/ws/echo/", f"https://{host}"),  # wrong scheme
        ("/ws/echo/", "http://127.0.0.1:1"),  # wrong port
        ("/ws/echo/", f"http://localhost:{server.port}"),  # another host
    ]
    for path, origin in refused:
        with pytest.raises(InvalidStatus) as denied:
            client.websocket(path, origin=origin)
        assert denied.value.response.status_code == 403, path
    assert client.get("/nothing/").status == 404

    three_mb = "x" * (3 * 1024 * 1024)
    response = client.post("/chat/", {"name": three_mb})
    assert response.status == 413 and "413" in response.text
    api = client.post("/roulette/api/sessions/", json_body={"wheel": three_mb})
    assert api.status == 413 and "error" in api.json()

    with client.websocket("/ws/echo/") as echo:
        echo.send("y" * (70 * 1024))
        assert "too large" in recv_json(echo)["message"]
        echo.send("still here")
        assert echo.recv(timeout=10) == "still here"
    with client.websocket("/ws/chat/") as lobby:
        lobby.send(frame_with({"type": "x", "pad": "z" * (70 * 1024)}))
        assert "Frame too large" in recv_json(lobby)["message"]
        # Over daphne's own 1 MiB cap the socket is closed (1009), not crashed.
        lobby.send("w" * (2 * 1024 * 1024))
        # (The close frame, 1009, may be lost in the reset of the unread bytes.)
        with pytest.raises(ConnectionClosed):
            lobby.recv(timeout=10)
    assert_no_traceback(server)
