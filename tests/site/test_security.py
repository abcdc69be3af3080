"""Security headers on every response, a CSP without 'unsafe-inline', and CSRF on
every form the site renders (found by reading the pages, not from a list)."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from site_config.settings import websocket_sources
from tests.support import ROOT, server_env

pytestmark = pytest.mark.django_db


def policy_of(response: Any) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path", ["/", "/chat/", "/roulette/api/", "/nothing-here/"])
def test_every_response_carries_the_security_headers(client: Client, path: str):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_the_policy_allows_only_the_site_itself(client: Client):
    policy = policy_of(client.get("/"))
    for directive in ("default-src", "script-src", "style-src", "img-src"):
        assert policy[directive] == ["'self'"], directive
    assert policy["connect-src"][0] == "'self'"
    assert all(
        source.startswith(("ws://", "wss://")) for source in policy["connect-src"][1:]
    )
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_websocket_sources_name_the_allowed_hosts():
    hosts = ["parlour.example", ".games.example", "*", "[::1]"]
    assert websocket_sources(hosts, plain=False) == [
        "wss://parlour.example:*",
        "wss://games.example:*",
        "wss://*.games.example:*",
    ]
    assert websocket_sources(["127.0.0.1"], plain=True) == [
        "ws://127.0.0.1:*",
        "wss://127.0.0.1:*",
    ]


class PostForms(HTMLParser):
    """Every `<form method="post">` of a page: its action and field names."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and (found.get("method") or "").lower() == "post":
            self._open = {"action": found.get("action") or "", "fields": set()}
            self.forms.append(self._open)
        elif tag in {"input", "button", "select", "textarea"} and self._open:
            self._open["fields"].add(found.get("name"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def post_actions(client: Client, pages: list[str]) -> set[str]:
    """The paths POST forms on `pages` submit to; each form must hold the token."""
    actions = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        parser = PostForms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = urlsplit(urljoin(f"http://testserver{page}", form["action"]))
            assert "csrfmiddlewaretoken" in form["fields"], (page, form)
            actions.add(action.path)
    return actions


def test_every_form_carries_a_csrf_token_and_is_refused_without_one(
    django_user_model: Any,
):
    client = Client()
    client.post("/name/", {"name": "Form Finder"})
    room_url = client.post("/chat/", {"name": "Forms"})["Location"]
    game_url = client.post("/chess/", {"colour": "white"})["Location"]
    pages = [
        "/",
        "/name/",
        "/accounts/login/",
        "/accounts/signup/",
        "/chat/",
        room_url,
        "/chess/",
        game_url,
        "/roulette/",
        "/roulette/wheel/",
    ]
    actions = post_actions(client, pages)
    member = Client()
    member.force_login(django_user_model.objects.create_user("member", password="x"))
    actions |= post_actions(member, ["/", room_url, game_url])
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies  # the same visitor, without the token
    # The walk found the forms that matter (it is not vacuous).
    assert {"/name/", "/accounts/login/", "/accounts/logout/", "/chat/"} <= actions
    assert {"/chess/", "/roulette/spin/", "/roulette/bets/"} <= actions
    for path in sorted(actions):
        refused = strict.post(path, {})
        assert refused.status_code == 403, path
        assert "csrf" in refused.templates[0].name, path


def test_logging_in_cycles_the_session_key(client: Client, django_user_model: Any):
    """Session fixation: a key planted before login is worthless after it."""
    django_user_model.objects.create_user("fixed", password="a long pass 42")
    client.post("/name/", {"name": "Before Login"})
    planted = client.session.session_key
    response = client.post(
        "/accounts/login/", {"username": "fixed", "password": "a long pass 42"}
    )
    assert response.status_code == 302
    assert client.session.session_key != planted
    assert client.session["_auth_user_id"]


def test_session_and_csrf_cookies_are_http_only_and_same_site(client: Client):
    response = client.post("/name/", {"name": "Cookie Check"})
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    csrf = client.get("/name/").cookies["csrftoken"]
    assert csrf["samesite"] == "Lax"


def test_in_production_sockets_are_allowed_over_wss_only():
    """DEBUG off behind HTTPS: the policy names wss:// for the site's hosts."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']))",
        ],
        cwd=ROOT,
        env=server_env(
            DJANGO_SETTINGS_MODULE="site_config.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="x" * 50,
            DJANGO_ALLOWED_HOSTS="parlour.example",
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    directives = json.loads(probe.stdout)
    assert directives["connect-src"] == ["'self'", "wss://parlour.example:*"]
