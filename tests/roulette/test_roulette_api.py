"""The JSON API: status codes, Location headers, JSON reasons, 404s, no cookies."""

import json

import pytest
from django.test import Client

from roulette.models import Bet, Spin, Wallet
from tests.roulette.roulette_support import FixedRandom

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def api():
    # CSRF is enforced as in production: the API must not depend on it.
    return Client(enforce_csrf_checks=True)


def post(api, path, body=None, raw=None):
    data = raw if raw is not None else json.dumps(body or {})
    return api.post(path, data, content_type=JSON)


@pytest.fixture
def session(api):
    response = post(api, "/roulette/api/sessions/", {})
    assert response.status_code == 201
    return response.json()


def test_create_session_is_201_with_location(api):
    response = post(
        api, "/roulette/api/sessions/", {"wheel": "european", "bankroll": 50}
    )
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"/roulette/api/sessions/{body['id']}/")
    assert body["wheel"] == "european" and body["bankroll"] == 50
    assert body["limits"] == {
        "inside_min": 1,
        "inside_max": 100,
        "outside_min": 5,
        "outside_max": 500,
    }
    assert "sessionid" not in response.cookies
    assert Wallet.objects.get().visitor_id is None


def test_empty_body_opens_an_american_session_with_1000_chips(api):
    response = api.post("/roulette/api/sessions/", "", content_type=JSON)
    assert response.status_code == 201
    assert response.json()["wheel"] == "american"
    assert response.json()["bankroll"] == 1000


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "malformed JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"wheel": "french"}', "unknown wheel"),
        ('{"wheel": 5}', "wheel must be"),
        ('{"bankroll": 0}', "bankroll must be between 1"),
        ('{"bankroll": "lots"}', "bankroll must be a whole number"),
        ('{"colour": "red"}', "unknown field 'colour'"),
        ('"\\ud800"', "must be a JSON object"),
    ],
)
def test_bad_session_requests_are_400_with_a_reason(api, raw, reason):
    response = post(api, "/roulette/api/sessions/", raw=raw)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not Wallet.objects.exists()


def test_oversized_body_is_413(api, settings):
    response = post(api, "/roulette/api/sessions/", raw=json.dumps({"x": "a" * 9000}))
    assert response.status_code == 413
    assert "over" in response.json()["error"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # Django's own cap answers JSON too
    response = post(api, "/roulette/api/sessions/", raw=" " * 2000)
    assert response.status_code == 413


def test_deeply_nested_json_is_400_not_500(api):
    response = post(api, "/roulette/api/sessions/", raw="[" * 4000 + "]" * 4000)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]


def test_place_bet_is_201_with_location_and_reserves_the_stake(api, session):
    response = post(
        api, session["bets_url"], {"kind": "split", "numbers": [17, 20], "amount": 10}
    )
    assert response.status_code == 201
    bet = response.json()
    assert response["Location"] == bet["url"]
    assert bet["status"] == "open" and bet["outcome"] is None and bet["net"] is None
    assert bet["numbers"] == [17, 20] and bet["odds"] == 17
    detail = api.get(session["url"]).json()
    assert detail["bankroll"] == 990 and detail["on_table"] == 10
    assert [b["id"] for b in detail["open_bets"]] == [bet["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"spot": "red", "amount": 5},
        {"kind": "red", "amount": 5},
        {"kind": "dozen", "numbers": list(range(13, 25)), "amount": 5},
        {"spot": "split:0-00", "amount": 1},
        {"kind": "straight", "numbers": ["00"], "amount": 1},
    ],
)
def test_bets_can_be_given_as_spot_or_kind_and_numbers(api, session, body):
    assert post(api, session["bets_url"], body).status_code == 201


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"kind": "split", "numbers": [1, 5], "amount": 5}, "do not form a split"),
        ({"kind": "corner", "numbers": [1, 2, 4], "amount": 5}, "covers 4 pockets"),
        ({"kind": "first_four", "numbers": [0, 1, 2, 3], "amount": 5}, "European"),
        ({"kind": "straight", "numbers": [37], "amount": 5}, "not a pocket"),
        ({"kind": "straight", "numbers": "17", "amount": 5}, "must be a JSON list"),
        ({"kind": "straight", "amount": 5}, "numbers are required"),
        ({"kind": "basket", "numbers": [0, 1], "amount": 5}, "unknown bet kind"),
        ({"spot": "red"}, "amount is required"),
        ({"spot": "red", "amount": 0}, "at least 1 chip"),
        ({"spot": "red", "amount": 2.5}, "whole number"),
        ({"spot": "red", "amount": "5"}, "whole number"),
        ({"spot": "red", "amount": True}, "whole number"),
        ({"spot": "red", "amount": 4}, "Outside bets need at least 5"),
        ({"spot": "straight:1", "amount": 101}, "limited to 100 chips"),
        ({"spot": "red", "amount": 2000}, "limited to 500"),
        ({"spot": 5, "amount": 5}, "spot must be a string"),
        ({"spot": "red", "kind": "red", "amount": 5}, "not both"),
        ({"amount": 5}, "send a spot"),
        ({"spot": "red", "amount": 5, "extra": 1}, "unknown field 'extra'"),
    ],
)
def test_invalid_bets_are_400_with_a_json_reason(api, session, body, reason):
    response = post(api, session["bets_url"], body)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not Bet.objects.exists()
    assert api.get(session["url"]).json()["bankroll"] == 1000


def test_insufficient_chips_is_400(api):
    session = post(api, "/roulette/api/sessions/", {"bankroll": 20}).json()
    response = post(api, session["bets_url"], {"spot": "red", "amount": 25})
    assert response.status_code == 400
    assert "Not enough chips" in response.json()["error"]


def test_spin_is_201_and_settles_bets(api, session, monkeypatch):
    from roulette import rules

    rng = FixedRandom("american", 17)
    original = rules.spin
    monkeypatch.setattr(rules, "spin", lambda name, r=None: original(name, rng))
    straight = post(
        api, session["bets_url"], {"spot": "straight:17", "amount": 10}
    ).json()
    red = post(api, session["bets_url"], {"spot": "red", "amount": 10}).json()
    response = post(api, session["spins_url"])
    assert response.status_code == 201
    spin = response.json()
    assert response["Location"] == spin["url"]
    assert spin["pocket"] == 17 and spin["colour"] == "black"
    assert spin["net"] == 340 and spin["bankroll"] == 1340
    assert [b["status"] for b in spin["bets"]] == ["won", "lost"]
    won = api.get(straight["url"]).json()
    assert won["status"] == "won" and won["outcome"] == 17 and won["net"] == 350
    lost = api.get(red["url"]).json()
    assert lost["status"] == "lost" and lost["net"] == -10
    assert api.get(spin["url"]).json()["id"] == spin["id"]
    listed = api.get(session["bets_url"]).json()["bets"]
    assert {b["id"] for b in listed} == {straight["id"], red["id"]}


def test_spin_without_bets_is_400(api, session):
    response = post(api, session["spins_url"])
    assert response.status_code == 400
    assert response.json() == {"error": "Place a bet before spinning."}
    assert not Spin.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/roulette/api/sessions/00000000-0000-4000-8000-000000000000/",
        "/roulette/api/sessions/not-a-uuid/",
        "/roulette/api/sessions/not-a-uuid/bets/",
        "/roulette/api/sessions/00000000-0000-4000-8000-000000000000/spins/9/",
        "/roulette/api/nothing/here/",
        "/roulette/api/spins/999/",
        "/roulette/api/spins/99999999999999999999999/",
    ],
)
def test_unknown_ids_are_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == JSON
    assert "error" in response.json()


def test_bets_of_another_session_are_404(api, session):
    bet = post(api, session["bets_url"], {"spot": "red", "amount": 5}).json()
    other = post(api, "/roulette/api/sessions/", {}).json()
    response = api.get(f"{other['bets_url']}{bet['id']}/")
    assert response.status_code == 404


def test_web_table_wallets_are_not_reachable_through_the_api(api, client):
    client.post("/roulette/bets/", {"spot": "red", "chip": 5, "version": 0})
    wallet = Wallet.objects.get()
    response = api.get(f"/roulette/api/sessions/{wallet.public_id}/")
    assert response.status_code == 404


def test_wrong_method_is_405_with_allow(api, session):
    response = api.get(session["spins_url"])
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "not allowed" in response.json()["error"]
    assert api.delete(session["url"]).status_code == 405


def test_wheel_service_spin_and_figures(api):
    response = post(api, "/roulette/api/spins/", {"wheel": "european"})
    assert response.status_code == 201
    spin = response.json()
    assert response["Location"] == spin["url"]
    assert spin["wheel"] == "european" and spin["pocket"] in range(37)
    assert api.get(spin["url"]).json()["id"] == spin["id"]
    figures = api.get("/roulette/api/spins/").json()
    assert figures["spins_served"] == 1
    assert sum(figures["wheels"]["european"]["counts"].values()) == 1
    assert post(api, "/roulette/api/spins/", {"wheel": "x"}).status_code == 400


def test_api_index_lists_the_collections(api):
    body = api.get("/roulette/api/").json()
    assert body["sessions"].endswith("/roulette/api/sessions/")
