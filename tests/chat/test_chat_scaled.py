"""Scaled mode: two daphne processes sharing PostgreSQL and Redis.

Messages and presence cross processes; when one process is killed, its ghosts
expire and its clients reconnect to the other without missing a message.
"""

import time
import uuid
from contextlib import ExitStack

import pytest

from tests.support import LiveClient, recv_json, recv_until

pytestmark = pytest.mark.services

# Presence expires in seconds here, so a killed process's ghosts go quickly.
FAST_PRESENCE = {"CHAT_PRESENCE_HEARTBEAT": "0.5", "CHAT_PRESENCE_TTL": "3"}


def named_client(server, name):
    client = LiveClient(server.url)
    client.get("/name/")  # sets the CSRF cookie
    client.set_name(name)
    return client


def test_two_processes_share_messages_presence_and_survive_a_crash(
    daphne_factory, fresh_postgres_url, redis_url
):
    env = {
        "DATABASE_URL": fresh_postgres_url,
        "REDIS_URL": redis_url,
        **FAST_PRESENCE,
    }
    first = daphne_factory(**env)
    second = daphne_factory(migrate=False, **env)
    ann = named_client(first, "Scaled Ann")
    bob = named_client(second, "Scaled Bob")
    name = f"Scaled {uuid.uuid4().hex[:6]}"
    created = ann.post("/chat/", {"name": name}, follow=False)
    slug = created.headers["Location"].strip("/").split("/")[-1]

    with ExitStack() as sockets:
        ann_ws = sockets.enter_context(ann.websocket(f"/ws/chat/{slug}/"))
        assert recv_json(ann_ws)["type"] == "welcome"  # Ann is present from here on
        bob_ws = sockets.enter_context(bob.websocket(f"/ws/chat/{slug}/"))
        assert recv_json(bob_ws)["members"] == ["Scaled Ann", "Scaled Bob"]
        recv_until(ann_ws, lambda m: m.get("name") == "Scaled Bob")

        ann_ws.send('{"type": "message", "body": "from process one"}')
        assert recv_until(bob_ws, "message")["body"] == "from process one"
        bob_ws.send('{"type": "message", "body": "from process two"}')
        last_seen = recv_until(ann_ws, lambda m: m.get("body") == "from process two")
        recv_until(bob_ws, "message")
        # The no-JS form on one process reaches sockets on the other.
        bob.post(f"/chat/{slug}/post/", {"body": "form on two"})
        assert recv_until(ann_ws, "message")["body"] == "form on two"
        last_seen = recv_until(bob_ws, "message")

        # Process two dies without a goodbye: Bob's socket and presence are orphaned.
        second.process.kill()
        second.process.wait(timeout=10)
        missed = []
        for n in range(3):
            ann_ws.send(f'{{"type": "message", "body": "missed {n}"}}')
            missed.append(recv_until(ann_ws, "message"))
        # The surviving process sweeps the ghost once it expires (TTL 3 s).
        leave = recv_until(ann_ws, "leave", timeout=15)
        assert (leave["name"], leave["members"]) == ("Scaled Bob", ["Scaled Ann"])

        # Bob reconnects to the survivor and gets exactly what he missed.
        bob.base_url = first.url
        with bob.websocket(f"/ws/chat/{slug}/") as again:
            assert recv_json(again)["members"] == ["Scaled Ann", "Scaled Bob"]
            again.send(f'{{"type": "resume", "after": {last_seen["id"]}}}')
            backlog = recv_until(again, "backlog")
            assert backlog["messages"] == missed
            deadline = time.monotonic() + 5
            page = ""
            while time.monotonic() < deadline:
                page = ann.get("/chat/").text
                if '<span class="chat-online-count">2</span>' in page:
                    break
                time.sleep(0.2)
            assert '<span class="chat-online-count">2</span>' in page
