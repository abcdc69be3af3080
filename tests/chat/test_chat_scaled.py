"""Scaled mode: two daphne processes sharing PostgreSQL and Redis.

Messages and presence cross processes; when one process is killed, its ghosts
expire and its clients reconnect to the other without missing a message.
"""

import json
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack

import pytest

from tests.support import ROOT, LiveClient, manage, recv_json, recv_until, server_env

pytestmark = pytest.mark.services

# Presence expires in seconds here, so a killed process's ghosts go quickly.
FAST_PRESENCE = {
    "PARLOUR_PRESENCE_HEARTBEAT_SECONDS": "0.5",
    "PARLOUR_PRESENCE_TTL_SECONDS": "3",
}


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
        assert (leave["name"], leave["online"]) == ("Scaled Bob", 1)

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


RACE_SCRIPT = """
import json, os, threading
import django

django.setup()
import psycopg
from django.core.exceptions import ValidationError
from django.db import connection
from chat import services
from chat.models import Message
from site_config.visitors.identity import Identity

room = services.room_create(name="Race", identity=Identity("k", "Host"))
# Another process closes the room: its UPDATE holds the row, not yet committed.
closer = psycopg.connect(os.environ["DATABASE_URL"])
closer.execute("UPDATE chat_room SET is_closed = true WHERE id = %s", [room.pk])
outcome = {}


def post():
    try:
        services.message_post(room_id=room.pk, identity=Identity("a", "Ann"), body="x")
        outcome["result"] = "stored"
    except ValidationError as exc:
        outcome["result"] = exc.messages[0]
    finally:
        connection.close()


poster = threading.Thread(target=post)
poster.start()
poster.join(1.0)  # a post that does not wait for the closing transaction is done
closer.commit()
closer.close()
poster.join(10)
print(json.dumps({**outcome, "stored": Message.objects.count()}))
"""


def test_a_post_racing_a_room_close_is_refused_not_stored(fresh_postgres_url):
    env = server_env(DATABASE_URL=fresh_postgres_url)
    manage("migrate", "--noinput", env=env)
    env["DJANGO_SETTINGS_MODULE"] = "site_config.settings"
    done = subprocess.run(
        [sys.executable, "-c", RACE_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"result": "This room is closed.", "stored": 0}
