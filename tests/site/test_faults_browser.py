"""A real Chromium on the chat page through a Redis outage: the page shows that it is
reconnecting (close code 4503), comes back by itself once Redis is back, and shows
the message that was posted meanwhile."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.site.fault_support import OwnRedis
from tests.support import LiveClient

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.timeout(180)]

# live.js backs off to at most 10 s between attempts (with jitter).
RECONNECT_MS = 30_000


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis().start()
    yield redis
    redis.stop()


def test_the_chat_page_reconnects_and_catches_up_after_a_redis_outage(
    daphne_factory, fresh_postgres_url, own_redis, new_page
):
    server = daphne_factory(
        DATABASE_URL=fresh_postgres_url,
        REDIS_URL=own_redis.url,
        PARLOUR_LAYER_PROBE_SECONDS="0.5",
    )
    page = new_page()
    page.goto(f"{server.url}/name/")
    page.get_by_label("Display name").fill("Ann Outage")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url(f"{server.url}/")
    room_name = f"Outage {uuid.uuid4().hex[:6]}"
    page.goto(f"{server.url}/chat/")
    page.get_by_label("Room name").fill(room_name)
    page.get_by_role("button", name="Create room").click()
    expect(page.locator("#connection")).to_have_text("live")
    room_path = page.url.removeprefix(server.url)
    bob = LiveClient(server.url)
    bob.get("/name/")
    bob.set_name("Bob Outage")

    own_redis.stop()
    expect(page.locator("#connection")).to_have_text("reconnecting…")
    # Posted through the no-JS form during the outage: stored, not refused.
    assert bob.post(f"{room_path}post/", {"body": "while Redis was down"}).status == 200

    own_redis.start()
    expect(page.locator("#connection")).to_have_text("live", timeout=RECONNECT_MS)
    expect(page.locator("#chat-log")).to_contain_text("while Redis was down")
    assert bob.post(f"{room_path}post/", {"body": "back to normal"}).status == 200
    expect(page.locator("#chat-log")).to_contain_text("back to normal")
