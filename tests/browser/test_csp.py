"""The Content-Security-Policy holds on every page: a real Chromium walks the site
and the admin, using them, and any violation (an inline style or script, an event
handler attribute, a foreign source) fails the test."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import DaphneServer, manage

pytestmark = pytest.mark.browser

# Runs before any script of each document: every violation the browser reports
# is also written to the console, where the Python side collects it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`
    + ` in ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
}, true);
"""


class Watched:
    """A page whose CSP violations, from the event or the console, are recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.violations: list[str] = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            self.violations.append(f"{self.page.url}: {text}")

    def goto(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url

    def settle(self) -> list[str]:
        """Violations so far. Reports are queued as tasks: a round trip through
        the page's task queue delivers those already raised first."""
        self.page.evaluate("() => new Promise((done) => setTimeout(done, 0))")
        return self.violations


@pytest.fixture
def watched(new_page: Callable[..., Any]) -> Callable[[], Watched]:
    return lambda: Watched(new_page())


def pick_name(site: Watched, base: str, name: str) -> None:
    site.goto(f"{base}/name/")
    site.page.get_by_label("Display name").fill(name)
    site.page.get_by_role("button", name="Save name").click()
    site.page.wait_for_url(f"{base}/")


def test_the_violation_detector_sees_an_inline_style(daphne_server, watched):
    """The check below can fail: a style attribute added to a page is reported."""
    site = watched()
    site.goto(daphne_server.url + "/")
    assert site.settle() == []
    site.page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
    )
    site.page.wait_for_function("() => true")
    assert any("style-src" in v for v in site.settle())


def test_every_page_in_use_has_no_csp_violation(daphne_server: DaphneServer, watched):
    base = daphne_server.url
    site = watched()
    page = site.page
    # (Not a 404: with DEBUG on, as here, that is Django's technical page.)
    for path in ("/", "/accounts/login/", "/accounts/signup/"):
        site.goto(base + path)
    pick_name(site, base, f"Csp {uuid.uuid4().hex[:6]}")

    # Chat: the room list, a new room, a message sent and shown live.
    site.goto(f"{base}/chat/")
    room_name = f"Csp room {uuid.uuid4().hex[:6]}"
    page.get_by_label("Room name").fill(room_name)
    page.get_by_role("button", name="Create room").click()
    expect(page.locator("#connection")).to_have_text("live")
    page.get_by_label("Message", exact=True).fill("<b>styled?</b> no")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("#chat-log")).to_contain_text("<b>styled?</b> no")

    # Chess: the lobby, a new game, the live board; a piece dragged (its ghost
    # is positioned through the CSSOM, which the policy allows).
    site.goto(f"{base}/chess/")
    page.get_by_role("button", name=re.compile("Create")).click()
    page.wait_for_url(re.compile(r"/chess/[a-z0-9]+/$"))
    page.wait_for_selector("#connection[data-state='connected']")
    page.locator("#board [data-sq='e2']").drag_to(page.locator("#board [data-sq='e4']"))
    site.goto(f"{base}/chess/")

    # Roulette: the table with a bet placed, the wheel service's bars, the
    # simulator's chart.
    site.goto(f"{base}/roulette/")
    page.get_by_role("button", name="Straight 17, pays 35 to 1", exact=True).click()
    expect(
        page.get_by_role("button", name=re.compile("^Straight 17, pays 35 to 1, "))
    ).to_be_visible()
    site.goto(f"{base}/roulette/wheel/")
    page.get_by_role("button", name="Spin the wheel").click()
    expect(page.locator(".rl-bar rect").first).to_be_attached()
    site.goto(f"{base}/roulette/simulator/")
    page.get_by_role("button", name="Run the simulation").click()
    expect(page.locator("svg.rl-chart")).to_be_visible()

    assert site.settle() == []


def test_the_admin_works_under_the_policy(daphne_server: DaphneServer, watched):
    """Log in, filter and select on a changelist (the admin's scripts), open a
    change form and save it: all without a violation."""
    username = f"csp-admin-{uuid.uuid4().hex[:6]}"
    manage(
        "createsuperuser",
        "--noinput",
        "--username",
        username,
        "--email",
        "admin@example.com",
        env={**daphne_server.env, "DJANGO_SUPERUSER_PASSWORD": "admin pass 1234"},
    )
    base = daphne_server.url
    site = watched()
    page = site.page
    pick_name(site, base, f"Admin room {uuid.uuid4().hex[:4]}")
    site.goto(f"{base}/chat/")
    page.get_by_label("Room name").fill(f"Moderated {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create room").click()

    site.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("admin pass 1234")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    site.goto(f"{base}/admin/chat/room/")
    page.locator("#action-toggle").check()  # actions.js ticks every row
    expect(page.locator(".action-counter")).to_contain_text("selected")
    page.get_by_role("link", name="No", exact=True).first.click()  # a filter
    page.locator("#result_list tbody a").first.click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    for path in ("/admin/chess/game/", "/admin/roulette/wallet/", "/admin/auth/user/"):
        site.goto(base + path)
    page.locator("#result_list tbody a").first.click()  # a user's change form
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()

    assert site.settle() == []
