"""The bad-input table for every form and the roulette JSON API: hostile text in
each text field, missing and wrong-typed fields, domain-illegal commands. Each gets
a readable error (form error, flash message or JSON 4xx), never a 500, stores
nothing, logs no traceback, and the same client's next valid request succeeds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chat.models import Message, Room
from chess.models import Game
from roulette.models import Bet, Wallet
from site_config.visitors.models import Guest
from tests.bad_input import BAD_TEXT

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "a-Strong-pass-9071"


def named(client: Client, name: str = "Ann") -> Client:
    response = client.post("/name/", {"name": name})
    assert response.status_code == 302, response.content[:300]
    return client


def roulette_version(client: Client) -> str:
    page = client.get("/roulette/").content.decode()
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match
    return match.group(1)


def chess_game(client: Client) -> str:
    """A game Ann created and Bob joined: Ann (White) to move."""
    response = named(client).post("/chess/", {"colour": "white"})
    game = response["Location"].strip("/").split("/")[-1]
    named(Client(), "Bob").post(f"/chess/{game}/join/")
    return game


@dataclass
class Form:
    """One form: where it posts, a valid submission, the text field under test,
    what it stores (counted), and how its refusal reads."""

    url: Callable[[Client], str]
    valid: Callable[[Client], dict[str, Any]]
    field: str
    stored: Callable[[], int]
    refused_status: int = 200  # re-rendered with the errors
    ok_status: int = 302

    def refusal_shown(self, response: Any, client: Client) -> str:
        if response.status_code == 302:  # PRG: the error is a flash message
            response = client.get(response["Location"])
        return response.content.decode()


FORMS = {
    "display-name": Form(
        url=lambda c: "/name/",
        valid=lambda c: {"name": "Ann"},
        field="name",
        stored=Guest.objects.count,
    ),
    "sign-up-username": Form(
        url=lambda c: "/accounts/signup/",
        valid=lambda c: {
            "username": "Ann",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
        field="username",
        stored=lambda: get_user_model().objects.count(),
    ),
    "chat-room-name": Form(
        url=lambda c: (named(c), "/chat/")[1],
        valid=lambda c: {"name": "Lounge"},
        field="name",
        stored=Room.objects.count,
    ),
    "chat-message-body": Form(
        url=lambda c: (named(c), c.post("/chat/", {"name": "Den"}), "/chat/den/post/")[
            2
        ],
        valid=lambda c: {"body": "hello"},
        field="body",
        stored=Message.objects.count,
    ),
    "roulette-bet-spot": Form(
        url=lambda c: "/roulette/bets/",
        valid=lambda c: {"spot": "red", "chip": 5, "version": roulette_version(c)},
        field="spot",
        stored=Bet.objects.count,
        refused_status=400,
    ),
    "chess-move-uci": Form(
        url=lambda c: f"/chess/{chess_game(c)}/command/",
        valid=lambda c: {"command": "move", "uci": "e2e4", "ply": 0},
        field="uci",
        stored=lambda: sum(game.ply for game in Game.objects.all()),
        refused_status=302,
    ),
}


@pytest.fixture
def form_client(no_tracebacks) -> Client:
    return Client()


def submit(client: Client, form: Form, url: str, **changes: Any) -> Any:
    data = {**form.valid(client), **changes}
    return client.post(url, {k: v for k, v in data.items() if v is not None})


def assert_refused(form: Form, client: Client, url: str, reason: str | None, **data):
    before = form.stored()
    response = submit(client, form, url, **data)
    assert response.status_code == form.refused_status, response.content[:500]
    page = form.refusal_shown(response, client)
    if reason is not None:
        assert reason in page
    assert form.stored() == before
    # The same visitor's next, valid submission goes through.
    assert submit(client, form, url).status_code == form.ok_status
    assert form.stored() > before


@pytest.mark.parametrize("form_name", FORMS)
@pytest.mark.parametrize(("text", "reason"), BAD_TEXT)
def test_hostile_text_in_every_text_field(form_client, form_name, text, reason):
    form = FORMS[form_name]
    url = form.url(form_client)
    assert_refused(form, form_client, url, None, **{form.field: text})


@pytest.mark.parametrize(
    "form_name", ["display-name", "chat-room-name", "chat-message-body"]
)
@pytest.mark.parametrize(("text", "reason"), BAD_TEXT)
def test_free_text_refusals_say_why(form_client, form_name, text, reason):
    form = FORMS[form_name]
    url = form.url(form_client)
    response = submit(form_client, form, url, **{form.field: text})
    page = form.refusal_shown(response, form_client)
    expected = reason or ("Type a message first" if form.field == "body" else "Enter a")
    # Django's own CharField refuses NUL first, in its own words.
    assert expected in page or (text.count("\x00") and "Null characters" in page)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("%ED%A0%80", None, id="encoded-lone-surrogate"),
        pytest.param("%FF%FE", None, id="invalid-utf8"),
        pytest.param("a%00b", "Null characters", id="encoded-nul"),
    ],
)
@pytest.mark.parametrize("form_name", FORMS)
def test_undecodable_bytes_in_every_text_field(form_client, form_name, raw, reason):
    """Bytes that are not UTF-8 arrive as U+FFFD (never as lone surrogates): they
    are refused by the field or stored as the replacement character, never a 500."""
    form = FORMS[form_name]
    url = form.url(form_client)
    data = {**form.valid(form_client)}
    data.pop(form.field)
    body = "&".join(f"{k}={v}" for k, v in data.items()) + f"&{form.field}={raw}"
    before = form.stored()
    response = form_client.post(
        url, body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (200, 302, 400)
    assert form.stored() in (before, before + 1)


@pytest.mark.parametrize(
    ("form_name", "changes", "reason"),
    [
        ("display-name", {"name": None}, "This field is required"),
        ("display-name", {"name": "x" * 25}, "at most 24"),
        ("sign-up-username", {"password2": "different-9071"}, "didn’t match"),
        ("sign-up-username", {"username": None}, "This field is required"),
        ("chat-room-name", {"name": "x" * 41}, "at most 40"),
        ("chat-message-body", {"body": None}, "This field is required"),
        ("chat-message-body", {"body": "x" * 2001}, "2000"),
        ("roulette-bet-spot", {"chip": "lots"}, "chip values"),
        ("roulette-bet-spot", {"chip": 7}, "chip values"),
        ("roulette-bet-spot", {"spot": "straight:99"}, ""),
        ("roulette-bet-spot", {"spot": "teleport"}, ""),
        ("roulette-bet-spot", {"version": None}, "use the buttons"),
        ("roulette-bet-spot", {"version": "x"}, "use the buttons"),
        ("roulette-bet-spot", {"chip": 1000, "spot": "red"}, ""),
        ("chess-move-uci", {"uci": "e2e5"}, "Illegal move"),
        ("chess-move-uci", {"ply": 3}, "Stale move"),
        ("chess-move-uci", {"ply": "x"}, ""),
        ("chess-move-uci", {"command": "teleport"}, "valid choice"),
        ("chess-move-uci", {"uci": None}, "Enter a move"),
    ],
)  # fmt: skip
def test_missing_wrong_and_illegal_fields(form_client, form_name, changes, reason):
    form = FORMS[form_name]
    url = form.url(form_client)
    assert_refused(form, form_client, url, reason, **changes)


def test_a_bet_above_the_bankroll_is_refused(form_client, settings):
    settings.ROULETTE_STARTING_BANKROLL = 10
    form = FORMS["roulette-bet-spot"]
    assert_refused(form, form_client, "/roulette/bets/", "", chip=25)


def test_login_with_hostile_text_is_a_plain_failure(form_client):
    get_user_model().objects.create_user("Ann", password=STRONG_PASSWORD)
    for text in ["Ann\x00", "\u200b", "Ann\ufffd", "\u202eAnn"]:
        response = form_client.post(
            "/accounts/login/", {"username": text, "password": STRONG_PASSWORD}
        )
        assert response.status_code == 200
    response = form_client.post(
        "/accounts/login/", {"username": "Ann", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 302


JSON = "application/json"


@pytest.fixture
def api_session(no_tracebacks) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/roulette/api/sessions/", "{}", content_type=JSON)
    return client, response.json()["url"]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        pytest.param("{not json", 400, "malformed JSON", id="malformed-json"),
        pytest.param("[1]", 400, "JSON object", id="array"),
        pytest.param('{"spot": "red"}', 400, "", id="missing-amount"),
        pytest.param('{"spot": "red", "amount": "ten"}', 400, "", id="amount-str"),
        pytest.param('{"spot": "red", "amount": true}', 400, "", id="amount-bool"),
        pytest.param('{"spot": 7, "amount": 10}', 400, "", id="spot-int"),
        pytest.param('{"spot": "\\ud800", "amount": 10}', 400, "", id="spot-surrogate"),
        pytest.param('{"spot": "a\\u0000", "amount": 10}', 400, "", id="spot-nul"),
        pytest.param('{"spot": "\\u200b", "amount": 10}', 400, "", id="spot-invisible"),
        pytest.param('{"kind": "teleport", "amount": 10}', 400, "", id="unknown-kind"),
        pytest.param('{"spot": "red", "amount": 100000}', 400, "", id="over-bankroll"),
        pytest.param('{"spot": "red", "amount": 10, "x": 1}', 400, "unknown field",
                     id="unknown-field"),
        pytest.param(json.dumps({"spot": "r" * 9000}), 413, "over", id="oversized"),
    ],
)  # fmt: skip
def test_roulette_api_bad_bets(api_session, body, status, reason):
    client, url = api_session
    response = client.post(f"{url}bets/", body, content_type=JSON)
    assert response.status_code == status
    error = response.json()["error"]
    assert error.strip() and reason in error
    json.dumps(error).encode()  # echoed input is still valid UTF-8 JSON
    assert not Bet.objects.exists()
    ok = client.post(f"{url}bets/", '{"spot": "red", "amount": 10}', content_type=JSON)
    assert ok.status_code == 201


def table_state() -> tuple[int, int, list[int]]:
    from roulette.models import Spin

    return (
        Bet.objects.count(),
        Spin.objects.count(),
        list(Wallet.objects.values_list("bankroll", flat=True)),
    )


def wallet_open(client: Client) -> None:
    """A visitor's first table action opens their wallet, refused or not: open it
    (a bet, then clear the table) so that only what a refused command itself
    changed would show."""
    submit(client, FORMS["roulette-bet-spot"], "/roulette/bets/")
    response = client.post(
        "/roulette/bets/clear/", {"version": roulette_version(client)}
    )
    assert response.status_code == 302
    assert not Bet.objects.exists() and Wallet.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/roulette/spin/",
        "/roulette/bets/undo/",
        "/roulette/bets/clear/",
        "/roulette/bets/rebet/",
        "/roulette/bets/double/",
        "/roulette/reset/",
        "/roulette/wheel-type/",
    ],
)
@pytest.mark.parametrize(
    "version",
    [None, "x", "-1", "\u200b", "1\x00", "999999999999999999999999"],
    ids=["missing", "text", "negative", "invisible", "nul", "huge"],
)
def test_roulette_table_commands_refuse_bad_versions(form_client, path, version):
    wallet_open(form_client)
    version_now = roulette_version(form_client)
    before = table_state()
    data = {"wheel": "european"} if path.endswith("wheel-type/") else {}
    if version is not None:
        data["version"] = version
    response = form_client.post(path, data)
    assert response.status_code in (302, 400)
    assert table_state() == before
    # The table still works: a bet, then a spin, with the page's version.
    assert (
        submit(form_client, FORMS["roulette-bet-spot"], "/roulette/bets/").status_code
        == 302
    )
    assert roulette_version(form_client) != version_now


@pytest.mark.parametrize(
    "command", ["/roulette/spin/", "/roulette/bets/undo/", "/roulette/bets/rebet/"]
)
def test_roulette_commands_with_nothing_to_act_on_are_refused(form_client, command):
    wallet_open(form_client)
    version = roulette_version(form_client)
    before = table_state()
    response = form_client.post(command, {"version": version})
    assert response.status_code == 400
    assert table_state() == before


@pytest.mark.parametrize(
    "data",
    [
        {"colour": "purple"},
        {"colour": "white\x00"},
        {"colour": "\u200b"},
        {},
        {"colour": "white", "time_control": "custom", "base_minutes": "x"},
        {"colour": "white", "time_control": "custom", "base_minutes": "0"},
        {"colour": "white", "time_control": "custom"},
        {"colour": "white", "time_control": "blitz-forever"},
        {"colour": "white", "time_control": "custom", "base_minutes": 5,
         "increment_seconds": "-1"},
    ],
)  # fmt: skip
def test_chess_create_refuses_bad_fields(form_client, data):
    named(form_client)
    response = form_client.post("/chess/", data)
    assert response.status_code in (200, 400)
    assert not Game.objects.exists()
    assert form_client.post("/chess/", {"colour": "white"}).status_code == 302


def test_chess_join_refusals_are_messages_not_errors(form_client):
    game = chess_game(form_client)  # Ann created it, Bob joined
    for client in (form_client, named(Client(), "Cy")):
        response = client.post(f"/chess/{game}/join/", follow=True)
        assert response.status_code == 200
        assert "You joined" not in response.content.decode()
    assert form_client.post("/chess/nonexistent/join/").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param("{not json", 400, id="malformed-json"),
        pytest.param("[1]", 400, id="array"),
        pytest.param("[" * 5000, 400, id="deep-nesting"),
        pytest.param('{"ply": 0}', 400, id="missing-uci"),
        pytest.param('{"uci": "e2e4"}', 400, id="missing-ply"),
        pytest.param('{"uci": "e2e4", "ply": true}', 400, id="ply-bool"),
        pytest.param('{"uci": "\\ud800", "ply": 0}', 400, id="uci-surrogate"),
        pytest.param('{"uci": "e2e4\\u0000", "ply": 0}', 400, id="uci-nul"),
        pytest.param('{"uci": "\\u200b", "ply": 0}', 400, id="uci-invisible"),
        pytest.param('{"uci": "e2e5", "ply": 0}', 400, id="illegal"),
        pytest.param('{"uci": "e2e4", "ply": 4}', 400, id="stale"),
        pytest.param(json.dumps({"uci": "e2e4", "pad": "x" * 3_000_000}), 413,
                     id="oversized"),
    ],
)  # fmt: skip
def test_chess_move_json_refusals(form_client, body, status):
    game = chess_game(form_client)
    url = f"/chess/{game}/move.json"
    response = form_client.post(url, body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["error"].strip()
    assert Game.objects.get().ply == 0
    ok = form_client.post(url, '{"uci": "e2e4", "ply": 0}', content_type=JSON)
    assert ok.status_code == 200


def test_chess_move_json_by_the_wrong_player_is_403(form_client):
    game = chess_game(form_client)
    for client in (named(Client(), "Cy"), Client()):  # a spectator, a stranger
        response = client.post(
            f"/chess/{game}/move.json", '{"uci": "e2e4", "ply": 0}', content_type=JSON
        )
        assert response.status_code == 403 and response.json()["error"]
    assert Game.objects.get().ply == 0
