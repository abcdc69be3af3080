"""Rate limits: per endpoint N requests pass, then 429 (the site's page or JSON,
with Retry-After); another address is not affected; a new window starts afresh.

Limits are set small here; the window is moved on with a controllable clock, the
one django-ratelimit reads (`time.time`), never by sleeping.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from site_config.visitors import ratelimits

pytestmark = pytest.mark.django_db

ALLOWED = 3


@pytest.fixture(autouse=True)
def small_limits(settings: Any) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.PARLOUR_RATE_LIMITS = dict.fromkeys(
        ratelimits.DEFAULT_RATES, f"{ALLOWED}/h"
    )
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


REAL_TIME = time.time


class Clock:
    """`time.time` moved on at will: a new rate-limit window without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return REAL_TIME() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(time, "time", fake.now)
    yield fake


def visitor(ip: str = "192.0.2.10", name: str | None = None) -> Client:
    client = Client(REMOTE_ADDR=ip)
    if name is not None:
        client.post("/name/", {"name": name})
    return client


@dataclass(frozen=True)
class Endpoint:
    limit: str
    url: str
    data: Callable[[int], dict[str, Any]]
    needs_name: bool = False
    json: bool = False

    def hit(self, client: Client, n: int) -> Any:
        if self.json:
            return client.post(self.url, self.data(n), content_type="application/json")
        return client.post(self.url, self.data(n))


ENDPOINTS = {
    "login": Endpoint(
        "login_ip",
        "/accounts/login/",
        # A new username each time: only the per-address limit can stop these.
        lambda n: {"username": f"nobody{n}", "password": "wrong"},
    ),
    "signup": Endpoint(
        "signup_ip",
        "/accounts/signup/",
        lambda n: {"username": f"new{n}", "password1": "x", "password2": "y"},
    ),
    "name": Endpoint("name_claim", "/name/", lambda n: {"name": f"Guest {n}"}),
    "room": Endpoint(
        "room_create", "/chat/", lambda n: {"name": f"Room {n}"}, needs_name=True
    ),
    "game": Endpoint(
        "game_create", "/chess/", lambda n: {"colour": "white"}, needs_name=True
    ),
    "api_session": Endpoint(
        "api_session_create", "/roulette/api/sessions/", lambda n: {}, json=True
    ),
}


def fresh_client(endpoint: Endpoint, ip: str, settings: Any) -> Client:
    if not endpoint.needs_name:
        return visitor(ip)
    # Picking the name is a name claim: it must not use up that limit's hits.
    limits = dict(settings.PARLOUR_RATE_LIMITS)
    settings.PARLOUR_RATE_LIMITS = {**limits, "name_claim": None}
    client = visitor(ip, name=f"Namer {ip.rsplit('.', 1)[-1]}")
    settings.PARLOUR_RATE_LIMITS = limits
    return client


def assert_429(response: Any, endpoint: Endpoint) -> None:
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    if endpoint.json:
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"].startswith("too many requests")
    else:
        assert "429 · Too many requests" in response.content.decode()


@pytest.mark.parametrize("which", ENDPOINTS)
def test_n_requests_pass_then_429_and_another_address_is_not_affected(
    which: str, settings: Any
) -> None:
    endpoint = ENDPOINTS[which]
    client = fresh_client(endpoint, "192.0.2.10", settings)
    for n in range(ALLOWED):
        assert endpoint.hit(client, n).status_code in {200, 201, 302}, n
    assert_429(endpoint.hit(client, ALLOWED), endpoint)

    other = fresh_client(endpoint, "198.51.100.20", settings)
    assert endpoint.hit(other, ALLOWED + 1).status_code in {200, 201, 302}


@pytest.mark.parametrize("which", ENDPOINTS)
def test_the_next_window_starts_afresh(which: str, settings: Any, clock: Clock):
    endpoint = ENDPOINTS[which]
    client = fresh_client(endpoint, "192.0.2.30", settings)
    for n in range(ALLOWED + 1):
        response = endpoint.hit(client, n)
    assert_429(response, endpoint)

    clock.advance(int(response["Retry-After"]) + 1)
    assert endpoint.hit(client, ALLOWED + 1).status_code in {200, 201, 302}


def test_get_requests_are_not_counted() -> None:
    client = visitor()
    for _ in range(ALLOWED * 3):
        assert client.get("/accounts/login/").status_code == 200
        assert client.get("/chess/").status_code == 200


def test_a_limit_set_to_none_is_off(settings: Any) -> None:
    settings.PARLOUR_RATE_LIMITS = {"api_session_create": None}
    client = visitor()
    for _ in range(ALLOWED * 3):
        response = client.post(
            "/roulette/api/sessions/", {}, content_type="application/json"
        )
        assert response.status_code == 201


# --- login per username ---------------------------------------------------------


@pytest.fixture
def victim() -> Any:
    return get_user_model().objects.create_user("victim", password="right horse 42")


def login(ip: str, username: str, password: str) -> Any:
    return visitor(ip).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def test_failed_logins_from_many_addresses_lock_the_username(victim: Any) -> None:
    """Guessing from a new address each time still runs into the per-user limit:
    after ALLOWED failures even the right password waits for the window."""
    for n in range(ALLOWED):
        assert login(f"203.0.113.{n}", "victim", "guess").status_code == 200
    locked = login("203.0.113.200", "victim", "right horse 42")
    assert_429(locked, ENDPOINTS["login"])
    # Another account is not affected; case variants of the name are the same one.
    assert login("203.0.113.201", "Victim", "right horse 42").status_code == 429
    assert login("203.0.113.202", "someone", "guess").status_code == 200


def test_sixty_wrong_passwords_then_the_right_one_is_refused_with_defaults(
    settings: Any, victim: Any
) -> None:
    """The issue's report with the shipped defaults: 60 tries from one address."""
    settings.PARLOUR_RATE_LIMITS = {}
    client = visitor("192.0.2.99")
    answers = [
        client.post("/accounts/login/", {"username": "victim", "password": f"g{n}"})
        for n in range(60)
    ]
    refused = [r.status_code for r in answers].count(429)
    assert refused >= 60 - 10
    right = client.post(
        "/accounts/login/", {"username": "victim", "password": "right horse 42"}
    )
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_login_has_the_same_limits(victim: Any) -> None:
    victim.is_staff = True
    victim.save()
    for n in range(ALLOWED):
        refused = visitor(f"203.0.113.{n}").post(
            "/admin/login/", {"username": "victim", "password": "guess"}
        )
        assert refused.status_code == 200  # the form again, with its error
    locked = visitor("203.0.113.100").post(
        "/admin/login/", {"username": "victim", "password": "right horse 42"}
    )
    assert_429(locked, ENDPOINTS["login"])
    # The address limit as well, and a GET of the form is never counted.
    client = visitor("192.0.2.120")
    for n in range(ALLOWED):
        client.post("/admin/login/", {"username": f"u{n}", "password": "x"})
    assert (
        client.post("/admin/login/", {"username": "v", "password": "x"}).status_code
        == 429
    )
    assert client.get("/admin/login/").status_code == 200


def test_successful_logins_do_not_use_up_the_username_limit(
    settings: Any, victim: Any
) -> None:
    settings.PARLOUR_RATE_LIMITS = {"login_ip": None, "login_username": "2/h"}
    for n in range(5):
        response = login(f"192.0.2.{n}", "victim", "right horse 42")
        assert response.status_code == 302, n


def test_a_signed_in_user_is_counted_apart_from_others_at_the_same_address(
    victim: Any,
) -> None:
    first = visitor("192.0.2.50", name="Guest at home")
    for n in range(ALLOWED + 1):
        response = first.post("/chat/", {"name": f"Home room {n}"})
    assert response.status_code == 429
    signed_in = visitor("192.0.2.50")
    signed_in.force_login(victim)
    assert signed_in.post("/chat/", {"name": "Victim's room"}).status_code == 302


# --- the client's address ---------------------------------------------------------


def test_forwarded_for_is_ignored_unless_proxies_are_configured(settings) -> None:
    settings.PARLOUR_TRUSTED_PROXY_COUNT = 0
    for n in range(ALLOWED):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            "/name/", {"name": f"Proxied {n}"}
        )
    spoofing = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert spoofing.post("/name/", {"name": "Spoofer"}).status_code == 429


def test_behind_one_proxy_the_address_it_appended_counts(settings) -> None:
    """With one trusted proxy, the right-most X-Forwarded-For entry is the client;
    what the client wrote to the left of it changes nothing."""
    settings.PARLOUR_TRUSTED_PROXY_COUNT = 1

    def via_proxy(forwarded: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    for n in range(ALLOWED):
        response = via_proxy(f"198.18.0.{n}, 192.0.2.5").post(
            "/name/", {"name": f"Behind {n}"}
        )
        assert response.status_code == 302
    assert (
        via_proxy("1.2.3.4, 192.0.2.5").post("/name/", {"name": "B"}).status_code == 429
    )
    assert via_proxy("192.0.2.6").post("/name/", {"name": "C"}).status_code == 302


@pytest.mark.parametrize(
    ("meta", "proxies", "expected"),
    [
        ({"REMOTE_ADDR": "192.0.2.1"}, 0, "192.0.2.1"),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.1"},
            0,
            "10.0.0.1",
        ),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "a, 192.0.2.1"},
            1,
            "192.0.2.1",
        ),
        (
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 10.0.0.1"},
            2,
            "192.0.2.1",
        ),
        # Fewer entries than proxies, or garbage: the peer's address, not a 500.
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.1"},
            2,
            "10.0.0.1",
        ),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-ip"},
            1,
            "10.0.0.1",
        ),
        ({"REMOTE_ADDR": ""}, 0, "0.0.0.0"),
    ],
)
def test_client_ip(settings, rf, meta, proxies, expected) -> None:
    settings.PARLOUR_TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/")
    request.META.update(meta)
    assert ratelimits.client_ip(request) == expected


# --- a real server ----------------------------------------------------------------


def test_a_live_server_answers_json_429_with_retry_after(daphne_factory) -> None:
    """End to end under daphne, configured from the environment as operators do."""
    server = daphne_factory(
        PARLOUR_RATE_LIMITS_ENABLED="1",
        PARLOUR_RATE_LIMITS='{"api_session_create": "2/h"}',
    )

    def open_session() -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            f"{server.url}/roulette/api/sessions/", data=b"{}", method="POST"
        )
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read()

    answers = [open_session() for _ in range(3)]
    assert [status for status, _, _ in answers] == [201, 201, 429]
    _, headers, body = answers[-1]
    assert 0 < int(headers["Retry-After"]) <= 3600
    assert json.loads(body)["error"].startswith("too many requests")
    assert "Traceback" not in server.log()
