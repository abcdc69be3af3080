"""Two real Chromium visitors chat: live both ways, members, typing, a reload that
loses nothing, the no-JS fallback, and user text that is never run as HTML."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.support import recv_until

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=\"window.__xss = 'pwned'\">"


def visitor(new_page, server, name):
    page = new_page()
    page.goto(f"{server.url}/name/")
    page.get_by_label("Display name").fill(name)
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url(f"{server.url}/")
    return page


def send(page, text):
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def bodies(page):
    return page.locator("#chat-log .chat-msg .chat-body").all_inner_texts()


def test_two_browsers_chat_and_a_reload_loses_nothing(daphne_server, new_page):
    ann = visitor(new_page, daphne_server, "Ann Browser")
    bob = visitor(new_page, daphne_server, "Bob Browser")
    room_name = f"Browsers {uuid.uuid4().hex[:6]}"

    ann.goto(f"{daphne_server.url}/chat/")
    ann.get_by_label("Room name").fill(room_name)
    ann.get_by_role("button", name="Create room").click()
    expect(ann.get_by_role("heading", name=room_name)).to_be_visible()
    expect(ann.locator("#connection")).to_have_text("live")
    room_url = ann.url

    bob.goto(f"{daphne_server.url}/chat/")
    listed = bob.locator(".chat-room-item", has_text=room_name)
    expect(listed.locator(".chat-online-count")).to_have_text("1")  # Ann
    expect(bob.locator("#connection")).to_have_text("live")
    lobby = visitor(new_page, daphne_server, "Lou Lobby")
    lobby.goto(f"{daphne_server.url}/chat/")
    expect(lobby.locator("#connection")).to_have_text("live")
    bob.get_by_role("link", name=room_name).click()
    # The room list updates its head counts live.
    lobby_count = lobby.locator(".chat-room-item", has_text=room_name)
    expect(lobby_count.locator(".chat-online-count")).to_have_text("2")
    expect(bob.locator("#chat-members")).to_contain_text("Ann Browser")
    expect(ann.locator("#chat-members")).to_contain_text("Bob Browser")
    expect(ann.locator("#chat-log")).to_contain_text("Bob Browser joined")

    send(ann, "Hello Bob")
    expect(bob.locator("#chat-log")).to_contain_text("Hello Bob")
    bob.get_by_label("Message", exact=True).press_sequentially("Hi An", delay=20)
    expect(ann.locator("#chat-typing")).to_have_text("Bob Browser is typing…")
    bob.get_by_label("Message", exact=True).press_sequentially("n!")
    bob.get_by_label("Message", exact=True).press("Enter")
    expect(ann.locator("#chat-log")).to_contain_text("Hi Ann!")
    expect(ann.locator("#chat-typing")).to_have_text("")

    send(ann, XSS)
    expect(bob.locator("#chat-log")).to_contain_text(XSS)
    assert bob.evaluate("window.__xss") is None
    assert bob.locator("#chat-log img").count() == 0

    # Bob reloads while Ann keeps talking: nothing is lost, nothing doubled.
    for n in range(3):
        send(ann, f"during reload {n}")
        if n == 0:
            bob.reload(wait_until="commit")
    expect(bob.locator("#connection")).to_have_text("live")
    send(bob, "after reload")  # Ann has used up her 5 messages per 5 seconds
    expected = [
        "Hello Bob",
        "Hi Ann!",
        XSS,
        "during reload 0",
        "during reload 1",
        "during reload 2",
        "after reload",
    ]
    expect(bob.locator("#chat-log .chat-msg")).to_have_count(len(expected))
    assert bodies(bob) == expected, bodies(bob)
    expect(ann.locator("#chat-log .chat-msg")).to_have_count(len(expected))
    assert bodies(ann) == expected
    assert bob.evaluate("window.__xss") is None
    assert bob.url == room_url

    # Flood control shows an error and keeps the refused text in the composer. How
    # many more fit in the window depends on how long ago "after reload" went out,
    # so send one at a time until refused (at most 5 + 1 can be needed).
    alert = bob.get_by_role("alert").filter(has_text="Slow down")
    for n in range(7):
        text = f"burst {n}"
        send(bob, text)
        delivered = bob.locator(
            "#chat-log .chat-body", has_text=re.compile(f"^{text}$")
        )
        expect(delivered.or_(alert)).to_be_visible()
        if alert.count():
            break
    expect(alert).to_be_visible()
    expect(bob.get_by_label("Message", exact=True)).to_have_value(text)
    expect(ann.locator("#chat-log")).not_to_contain_text(text)


def test_without_javascript_the_form_still_posts_and_others_see_it_live(
    daphne_server, new_page
):
    ann = visitor(new_page, daphne_server, "Ann NoJS")
    ann.goto(f"{daphne_server.url}/chat/")
    room_name = f"Plain {uuid.uuid4().hex[:6]}"
    ann.get_by_label("Room name").fill(room_name)
    ann.get_by_role("button", name="Create room").click()
    expect(ann.locator("#connection")).to_have_text("live")

    plain = new_page(java_script_enabled=False)
    plain.goto(f"{daphne_server.url}/name/")
    plain.get_by_label("Display name").fill("Bob NoJS")
    plain.get_by_role("button", name="Save name").click()
    plain.goto(ann.url)
    plain.get_by_label("Message", exact=True).fill("posted without <script>")
    plain.get_by_role("button", name="Send").click()
    assert re.search(r"/chat/[\w-]+/$", plain.url.split("#")[0])
    expect(plain.locator("#chat-log")).to_contain_text("posted without <script>")
    expect(ann.locator("#chat-log")).to_contain_text("posted without <script>")


def test_load_older_pages_back_in_place(daphne_server, new_page, chat_client):
    poster = chat_client("Pat Poster")
    name = f"Long {uuid.uuid4().hex[:6]}"
    created = poster.post("/chat/", {"name": name}, follow=False)
    slug = created.headers["Location"].strip("/").split("/")[-1]
    # Flood control is per connection: five messages on each of eleven sockets.
    for batch in range(11):
        with poster.websocket(f"/ws/chat/{slug}/") as ws:
            for n in range(5):
                ws.send(f'{{"type": "message", "body": "m{batch * 5 + n}"}}')
            for _ in range(5):
                recv_until(ws, "message")

    reader = visitor(new_page, daphne_server, "Rita Reader")
    reader.goto(f"{daphne_server.url}/chat/{slug}/")
    expect(reader.locator("#connection")).to_have_text("live")
    expect(reader.locator("#chat-log .chat-msg")).to_have_count(50)
    reader.get_by_role("link", name="Load older messages").click()
    expect(reader.locator("#chat-log .chat-msg")).to_have_count(55)
    assert bodies(reader) == [f"m{n}" for n in range(55)]
    expect(reader.get_by_role("link", name="Load older messages")).to_be_hidden()
    assert reader.url.endswith(f"/chat/{slug}/")  # stayed on the live page
