"""The chat against a real daphne: pages, sockets, no-JS posts pushed live, resume."""

import re
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support import LiveClient, manage, recv_json, recv_until


def create_room(client, prefix="Live"):
    name = f"{prefix} {uuid.uuid4().hex[:8]}"
    response = client.post("/chat/", {"name": name}, follow=False)
    assert response.status == 302, response.text[:300]
    slug = response.headers["Location"].strip("/").split("/")[-1]
    return name, slug


def test_two_people_chat_live_and_a_reconnect_misses_nothing(chat_client):
    ann, bob = chat_client("Live Ann"), chat_client("Live Bob")
    name, slug = create_room(ann)
    page = ann.get(f"/chat/{slug}/")
    assert page.status == 200 and name in page.text
    assert name in ann.get("/chat/").text

    with ann.websocket(f"/ws/chat/{slug}/") as ann_ws:
        assert recv_json(ann_ws)["type"] == "welcome"
        with bob.websocket(f"/ws/chat/{slug}/") as bob_ws:
            welcome = recv_json(bob_ws)
            assert welcome["members"] == ["Live Ann", "Live Bob"]
            joined = recv_until(ann_ws, lambda m: m.get("name") == "Live Bob")
            assert joined["type"] == "join"

            ann_ws.send('{"type": "message", "body": "hello <b>Bob</b>"}')
            got = recv_until(bob_ws, "message")
            assert (got["author"], got["body"]) == ("Live Ann", "hello <b>Bob</b>")
            assert recv_until(ann_ws, "message") == got  # the sender gets it too

            # Bob posts with the plain form (no JavaScript): PRG, and Ann sees it live.
            response = bob.post(f"/chat/{slug}/post/", {"body": "from the form"})
            assert response.status == 200 and "from the form" in response.text
            pushed = recv_until(ann_ws, "message")
            assert (pushed["author"], pushed["body"]) == ("Live Bob", "from the form")
            last_seen = recv_until(bob_ws, "message")["id"]
            assert last_seen == pushed["id"]

        assert recv_until(ann_ws, "leave")["name"] == "Live Bob"
        missed = []
        for n in range(3):
            ann_ws.send(f'{{"type": "message", "body": "while away {n}"}}')
            missed.append(recv_until(ann_ws, "message"))

    with bob.websocket(f"/ws/chat/{slug}/") as bob_ws:
        assert recv_json(bob_ws)["type"] == "welcome"
        bob_ws.send(f'{{"type": "resume", "after": {last_seen}}}')
        backlog = recv_until(bob_ws, "backlog")
        assert backlog["messages"] == missed
        assert backlog["has_more"] is False

    # The room page now renders the whole conversation, escaped.
    html = bob.get(f"/chat/{slug}/").text
    assert "hello &lt;b&gt;Bob&lt;/b&gt;" in html
    assert len(re.findall(r'class="chat-msg" data-id="\d+"', html)) == 5


def test_bad_frames_are_answered_by_the_live_server(chat_client):
    ann = chat_client("Live Cat")
    _, slug = create_room(ann, "Frames")
    with ann.websocket(f"/ws/chat/{slug}/") as ws:
        recv_until(ws, "welcome")
        for frame in ("nope", '{"type": "wave"}', '{"type": "message", "body": ""}'):
            ws.send(frame)
            assert recv_until(ws, "error")["type"] == "error"
        ws.send("x" * (70 * 1024))
        assert "Frame too large" in recv_until(ws, "error")["message"]
        ws.send('{"type": "message", "body": "still fine"}')
        assert recv_until(ws, "message")["body"] == "still fine"


def test_unknown_room_is_closed_with_a_reason(chat_client):
    ann = chat_client("Live Dan")
    with ann.websocket("/ws/chat/no-such-room-here/") as ws:
        assert recv_json(ws)["message"] == "There is no such room."
        with pytest.raises(ConnectionClosed) as excinfo:
            ws.recv(timeout=5)
    # daphne 4.2 sends the close code but drops the reason; the error frame
    # before it carries the reason for clients.
    assert excinfo.value.rcvd.code == 4404


def admin_client(server):
    """A live-server session logged in as a fresh superuser."""
    username, password = f"mod{uuid.uuid4().hex[:8]}", "correct-horse-battery"
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser({username!r}, '', {password!r})",
        env=server.env,
    )
    client = LiveClient(server.url)
    client.get("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    assert response.status == 200 and "Site administration" in response.text
    return client


def test_moderators_delete_messages_and_close_rooms_live(daphne_server, chat_client):
    ann = chat_client("Live Eve")
    _, slug = create_room(ann, "Moderated")
    moderator = admin_client(daphne_server)
    with ann.websocket(f"/ws/chat/{slug}/") as ws:
        recv_until(ws, "welcome")
        ws.send('{"type": "message", "body": "spam spam spam"}')
        spam = recv_until(ws, "message")
        found = moderator.get(f"/admin/chat/message/?q={slug[-8:]}+spam")
        assert "spam spam spam" in found.text
        moderator.post(f"/admin/chat/message/{spam['id']}/delete/", {"post": "yes"})
        assert recv_until(ws, "deleted") == {"type": "deleted", "id": spam["id"]}

        listing = moderator.get(f"/admin/chat/room/?q={slug}")
        room_id = re.search(r'name="_selected_action" value="(\d+)"', listing.text)
        moderator.post(
            "/admin/chat/room/",
            {"action": "close_rooms", "_selected_action": room_id.group(1)},
        )
        assert recv_until(ws, "closed")["message"] == "A moderator closed this room."
        with pytest.raises(ConnectionClosed) as excinfo:
            ws.recv(timeout=5)
    assert excinfo.value.rcvd.code == 4410
    assert "This room is closed" in ann.get(f"/chat/{slug}/").text
    assert "spam spam spam" not in ann.get(f"/chat/{slug}/").text
