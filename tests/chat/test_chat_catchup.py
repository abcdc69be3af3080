"""The room page's script in a real Chromium against a scripted socket: catch-up
after (re)connects, and the composer's pending sends and their retries.

The page comes from the live server; its room socket is answered by the test
(Playwright's WebSocket routing), so frames can be ordered exactly as a busy room
and a long disconnect order them.
"""

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.chat.test_chat_browser import visitor

pytestmark = pytest.mark.browser


def message(n):
    return {
        "type": "message",
        "id": n,
        "author": "Busy",
        "body": f"m{n}",
        "created": "2026-11-21T14:00:00+00:00",
    }


def backlog(after, ids, has_more):
    return {
        "type": "backlog",
        "after": after,
        "messages": [message(n) for n in ids],
        "has_more": has_more,
    }


class FakeRoomSocket:
    """Records what the page sends on each connection; the test answers."""

    def __init__(self, page, slug):
        self.page = page
        self.routes = []
        self.sent = []  # (connection number, frame)
        page.route_web_socket(re.compile(rf"/ws/chat/{slug}/$"), self.connected)

    def connected(self, route):
        number = len(self.routes)
        self.routes.append(route)
        route.on_message(lambda text: self.sent.append((number, text)))

    @property
    def route(self):
        return self.routes[-1]

    def send(self, payload):
        import json

        self.route.send(json.dumps(payload))

    def sent_kinds(self, connection):
        import json

        return [
            (number, json.loads(text).get("type"))
            for number, text in self.sent
            if number == connection
        ]

    def frames(self, kind):
        import json

        found = []
        for number, text in self.sent:
            frame = json.loads(text)
            if frame.get("type") == kind:
                found.append((number, frame))
        return found

    def wait(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out; sent: {self.sent}"
            self.page.wait_for_timeout(20)


def open_room(daphne_server, new_page, chat_client):
    host = chat_client(f"Host {uuid.uuid4().hex[:6]}")
    created = host.post(
        "/chat/", {"name": f"Cursor {uuid.uuid4().hex[:6]}"}, follow=False
    )
    slug = created.headers["Location"].strip("/").split("/")[-1]
    page = visitor(new_page, daphne_server, f"Reader {uuid.uuid4().hex[:4]}")
    fake = FakeRoomSocket(page, slug)
    page.goto(f"{daphne_server.url}/chat/{slug}/")
    fake.wait(lambda: len(fake.frames("resume")) == 1)
    fake.send({"type": "welcome", "room": slug, "name": "Reader", "members": []})
    return page, fake


def ids_shown(page):
    return [
        int(n)
        for n in page.locator("#chat-log .chat-msg").evaluate_all(
            "items => items.map((item) => item.dataset.id)"
        )
    ]


def test_continuation_asks_after_the_batch_not_after_a_newer_live_message(
    daphne_server, new_page, chat_client
):
    page, fake = open_room(daphne_server, new_page, chat_client)
    assert fake.frames("resume")[0][1] == {"type": "resume", "after": 0}
    # A busy room: live 450 arrives while the first batch (101..300) is in flight.
    fake.send(message(450))
    fake.send(backlog(0, range(101, 301), has_more=True))
    fake.wait(lambda: len(fake.frames("resume")) == 2)
    assert fake.frames("resume")[1][1]["after"] == 300  # not 450: 301..449 missing
    fake.send(backlog(300, range(301, 450), has_more=False))
    expect(page.locator("#chat-log .chat-msg")).to_have_count(350)
    assert ids_shown(page) == list(range(101, 451))


def test_a_reconnect_resumes_from_the_last_contiguous_id(
    daphne_server, new_page, chat_client
):
    page, fake = open_room(daphne_server, new_page, chat_client)
    fake.send(backlog(0, [1, 2, 3], has_more=False))
    fake.send(message(4))  # live, and too fresh to count as settled
    expect(page.locator("#chat-log .chat-msg")).to_have_count(4)
    fake.route.close()
    fake.wait(lambda: len(fake.frames("resume")) == 2)
    assert fake.frames("resume")[1] == (1, {"type": "resume", "after": 3})
    fake.send({"type": "welcome", "room": "x", "name": "Reader", "members": []})
    # Mid catch-up, a live message jumps ahead; the socket drops before the gap
    # is filled, so the next connection must still ask for the gap.
    fake.send(message(9))
    fake.send(backlog(3, [4, 5, 6], has_more=True))  # 4 again: shown once
    fake.wait(lambda: len(fake.frames("resume")) == 3)
    assert fake.frames("resume")[2][1]["after"] == 6
    fake.route.close()
    fake.wait(lambda: len(fake.frames("resume")) == 4)
    assert fake.frames("resume")[3] == (2, {"type": "resume", "after": 6})
    fake.send(backlog(6, [7, 8, 9, 10], has_more=False))  # 9 again: shown once
    expect(page.locator("#chat-log .chat-msg")).to_have_count(10)
    assert ids_shown(page) == list(range(1, 11))


CURSOR_SCRIPT = """async () => {
  const { CatchUp, SETTLE_MS } = await import("/static/chat/chat.js");
  const sent = [];
  const c = new CatchUp(10);
  sent.push(c.open());
  c.live(500, 0);  // a live message overtakes the catch-up
  const first = { after: 10, messages: [{ id: 11 }, { id: 12 }], has_more: true };
  sent.push(c.backlog(first, 1));
  sent.push(c.backlog({ after: 12, messages: [{ id: 13 }], has_more: false }, 2));
  const synced = c.cursor;
  c.live(501, 3);
  c.close(SETTLE_MS + 1);  // 500 has settled, 501 (3 ms later) has not
  sent.push(c.open());
  sent.push(c.backlog({ after: 500, messages: [], has_more: false }, SETTLE_MS + 2));
  c.live(502, SETTLE_MS + 3);
  c.live(503, 3 * SETTLE_MS);  // 502 settles as 503 arrives
  return { sent, synced, cursor: c.cursor };
}"""


def test_the_cursor_follows_live_messages_only_once_caught_up_and_settled(
    daphne_server, new_page
):
    page = new_page()
    page.goto(f"{daphne_server.url}/")
    assert page.evaluate(CURSOR_SCRIPT) == {
        "sent": [
            {"type": "resume", "after": 10},
            {"type": "resume", "after": 12},
            None,
            {"type": "resume", "after": 500},
            None,
        ],
        "synced": 13,
        "cursor": 502,
    }


def send_two(page, fake, *texts):
    """Caught up, send two messages from the composer; the composer and the two
    frames as the socket received them."""
    fake.send(backlog(0, [], has_more=False))
    box = page.get_by_label("Message", exact=True)
    for text in texts:
        box.fill(text)
        box.press("Enter")
    fake.wait(lambda: len(fake.frames("message")) == 2)
    (_, first), (_, second) = fake.frames("message")
    assert [first["body"], second["body"]] == list(texts)
    return box, first, second


def test_a_refused_message_goes_back_even_with_another_one_in_flight(
    daphne_server, new_page, chat_client
):
    page, fake = open_room(daphne_server, new_page, chat_client)
    box, first, second = send_two(page, fake, "first words", "second words")
    assert first.get("client_id") and first.get("client_id") != second.get("client_id")
    # The second is stored and acknowledged; then the first is refused.
    fake.send({**message(7), "author": "Reader", "body": "second words"})
    fake.send({"type": "sent", "client_id": second.get("client_id"), "id": 7})
    refusal = {"type": "error", "message": "Something went wrong; please try again."}
    if first.get("client_id"):
        refusal["client_id"] = first["client_id"]
    fake.send(refusal)
    expect(page.get_by_role("alert")).to_contain_text("Something went wrong")
    expect(box).to_have_value("first words")
    # Sent again unchanged, it keeps its id: it may have been stored already.
    box.press("Enter")
    fake.wait(lambda: len(fake.frames("message")) == 3)
    assert fake.frames("message")[2][1] == first
    box.fill("other words")
    box.press("Enter")
    fake.wait(lambda: len(fake.frames("message")) == 4)
    assert fake.frames("message")[3][1]["client_id"] not in {
        first["client_id"],
        second["client_id"],
    }


def test_unanswered_messages_are_sent_again_with_their_ids_after_a_reconnect(
    daphne_server, new_page, chat_client
):
    page, fake = open_room(daphne_server, new_page, chat_client)
    _, answered, lost = send_two(page, fake, "answered", "lost in transit")
    fake.send({**message(7), "author": "Reader", "body": "answered"})
    fake.send({"type": "sent", "client_id": answered["client_id"], "id": 7})
    fake.route.close()  # before "lost in transit" was answered
    fake.wait(lambda: len(fake.frames("message")) == 3)
    # The new connection resumes first, then retries the unanswered one alone.
    assert [kind for _, kind in fake.sent_kinds(connection=1)] == [
        "resume",
        "message",
    ]
    assert fake.frames("message")[2] == (1, lost)
    fake.send({"type": "sent", "client_id": lost["client_id"], "id": 8})
    fake.route.close()
    fake.wait(lambda: len(fake.frames("resume")) == 3)
    page.wait_for_timeout(200)
    assert len(fake.frames("message")) == 3  # answered: not sent again
