"""Identity across requests: seats and wallets follow a login, names stay reserved,
page views create no session."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from chat import services as chat_services
from chess import services
from chess.models import Game
from roulette.models import Wallet
from site_config.visitors.identity import Identity
from site_config.visitors.models import AccountVisitor, Guest
from tests.visitor_support import client_visitor_id

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-991"


def seated_guest(client: Client, name: str = "Seated Sam") -> str:
    """A guest who took a chess seat and bet 25 chips through the pages; their
    visitor id."""
    client.post("/name/", {"name": name})
    assert client.post("/chess/", {"colour": "white"}).status_code == 302
    bet = {"spot": "red", "chip": 25, "version": 0}
    assert client.post("/roulette/bets/", bet).status_code == 302
    visitor_id = client_visitor_id(client)
    assert Game.objects.get(white_name=name).white_visitor == visitor_id
    assert Wallet.objects.get(visitor_id=visitor_id).bankroll == 975
    return visitor_id


def still_seated_with_975_chips(client: Client, name: str = "Seated Sam") -> None:
    """What the visitor sees: their seat on the game page, their bankroll."""
    game = Game.objects.get(white_name=name)
    assert "You play White." in client.get(game.get_absolute_url()).content.decode()
    state = client.get(f"/chess/{game.public_id}/state.json").json()
    assert state["you"] == "w"
    table = client.get("/roulette/").content.decode()
    assert re.search(r"\b975\b", table), "the bankroll is not the guest's"


def test_logging_in_keeps_the_chess_seat_and_the_bankroll(client):
    get_user_model().objects.create_user("samuel", password=PASSWORD)
    visitor_id = seated_guest(client)
    old_key = client.session.session_key
    response = client.post(
        "/accounts/login/", {"username": "samuel", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session.session_key != old_key  # cycled (fixation defence)
    still_seated_with_975_chips(client)
    # Nothing was rewritten: the account took the guest's visitor id.
    assert Game.objects.get().white_visitor == visitor_id
    assert AccountVisitor.objects.get().visitor_id == visitor_id
    # The guest name is free again: account holders go by their username.
    assert not Guest.objects.exists()


def test_signing_up_keeps_the_chess_seat_and_the_bankroll(client):
    seated_guest(client)
    client.post(
        "/accounts/signup/",
        {"username": "sammy", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert client.session["_auth_user_id"]
    still_seated_with_975_chips(client)


def test_a_second_browser_of_the_account_gets_its_seats_and_bankroll(client):
    """The account acts as one visitor on every browser it signs in from."""
    get_user_model().objects.create_user("samuel", password=PASSWORD)
    seated_guest(client)
    client.post("/accounts/login/", {"username": "samuel", "password": PASSWORD})
    laptop = Client()
    laptop.post("/accounts/login/", {"username": "samuel", "password": PASSWORD})
    still_seated_with_975_chips(laptop)
    assert Wallet.objects.count() == 1


def test_signing_in_to_an_account_with_its_own_id_keeps_the_guest_seat(client):
    """A guest who signs in to an account that already plays elsewhere plays the
    account's bankroll, and keeps in this browser the seat they took as a guest."""
    get_user_model().objects.create_user("samuel", password=PASSWORD)
    phone = Client()
    phone.post("/accounts/login/", {"username": "samuel", "password": PASSWORD})
    assert phone.post("/roulette/bets/", {"spot": "red", "chip": 5, "version": 0})
    seated_guest(client, name="Guest Gus")
    client.post("/accounts/login/", {"username": "samuel", "password": PASSWORD})
    game = Game.objects.get(white_name="Guest Gus")
    page = client.get(game.get_absolute_url()).content.decode()
    assert "You play White." in page
    assert re.search(r"\b995\b", client.get("/roulette/").content.decode())
    # The guest seat stays with this browser only.
    assert "You play White." not in phone.get(game.get_absolute_url()).content.decode()


def test_failed_login_changes_nothing(client):
    visitor_id = seated_guest(client)
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert client_visitor_id(client) == visitor_id
    assert Game.objects.get().white_visitor == visitor_id


def test_logging_out_leaves_the_account_its_things_and_the_browser_none(client):
    get_user_model().objects.create_user("samuel", password=PASSWORD)
    seated_guest(client)
    client.post("/accounts/login/", {"username": "samuel", "password": PASSWORD})
    client.post("/accounts/logout/")
    game = Game.objects.get()
    assert "You play White." not in client.get(game.get_absolute_url()).content.decode()
    client.post("/accounts/login/", {"username": "samuel", "password": PASSWORD})
    still_seated_with_975_chips(client)


def test_a_session_signed_in_before_visitor_ids_is_linked_on_first_use(client):
    """E.g. signed in on the admin's login page, or before this migration: the
    account adopts the session's visitor id the first time it is needed."""
    user = get_user_model().objects.create_user("samuel", password=PASSWORD)
    client.force_login(user)
    assert client.post("/chess/", {"colour": "white"}).status_code == 302
    account = AccountVisitor.objects.get(user=user)
    assert Game.objects.get().white_visitor == account.visitor_id


def test_the_visitor_id_is_never_sent_to_the_browser(client):
    visitor_id = seated_guest(client)
    game = Game.objects.get()
    pages = [
        client.get(game.get_absolute_url()).content.decode(),
        client.get(f"/chess/{game.public_id}/state.json").content.decode(),
        client.get("/roulette/").content.decode(),
        client.get("/chess/").content.decode(),
    ]
    cookies = " ".join(morsel.value for morsel in client.cookies.values())
    assert not any(visitor_id in text for text in [*pages, cookies])


def test_a_visitor_id_is_no_key_to_the_visitor(client):
    """Knowing someone's visitor id does not let you act as them: the session
    (cookie) does. A forged cookie holding the id is just an unknown session."""
    visitor_id = seated_guest(client)
    game = Game.objects.get()
    intruder = Client()
    intruder.cookies["sessionid"] = visitor_id
    response = intruder.post(
        f"/chess/{game.public_id}/move.json",
        data={"uci": "e2e4", "ply": 0},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Game.objects.get().ply == 0


@pytest.mark.parametrize(
    "path", ["/", "/chat/", "/chess/", "/roulette/", "/roulette/wheel/"]
)
def test_anonymous_page_views_create_no_session(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


def test_spectating_a_game_and_a_chat_room_creates_no_session(client):
    game = services.game_create(visitor_id="v" * 22, name="Opal", colour="white")
    room = chat_services.room_create(name="Lounge", identity=Identity((), "Opal"))
    for path, status in (
        (game.get_absolute_url(), 200),
        (f"/chess/{game.public_id}/state.json", 200),
        (room.get_absolute_url(), 302),  # to the name form, which is a page too
        ("/name/?next=/chat/lounge/", 200),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert "sessionid" not in response.cookies, path
    assert not Session.objects.exists()


def test_the_first_action_creates_the_visitor_and_the_session(client):
    client.get("/roulette/")
    assert not Session.objects.exists()
    client.post("/roulette/bets/", {"spot": "red", "chip": 5, "version": 0})
    assert Session.objects.count() == 1
    assert Wallet.objects.get().visitor_id == client_visitor_id(client)


def test_active_guest_keeps_the_name_beyond_the_session_age(client, settings):
    client.post("/name/", {"name": "Long Lived"})
    # Claimed long ago, but the guest is still around: each visit refreshes it.
    long_ago = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    Guest.objects.update(last_seen=long_ago)
    session = client.session
    session.pop("display_name_seen", None)
    session.save()
    client.get("/")
    assert Guest.objects.get().last_seen > long_ago
    other = Client()
    response = other.post("/name/", {"name": "Long Lived"})
    assert "already taken" in response.content.decode()


def test_name_of_a_guest_gone_for_the_session_age_is_free_again(client, settings):
    client.post("/name/", {"name": "Gone Gina"})
    long_ago = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    Guest.objects.update(last_seen=long_ago)
    assert Client().post("/name/", {"name": "Gone Gina"}).status_code == 302


def test_the_admin_shows_no_visitor_id_or_session_key(client, admin_client):
    """Staff see who plays by name and whether a wallet is a web or API one, never
    the ids or session keys behind them, and cannot search by them."""
    visitor_id = seated_guest(client)
    session_key = client.session.session_key
    game, wallet = Game.objects.get(), Wallet.objects.get()
    pages = [
        admin_client.get(f"/admin/chess/game/{game.pk}/change/"),
        admin_client.get("/admin/chess/game/"),
        admin_client.get(f"/admin/roulette/wallet/{wallet.pk}/change/"),
        admin_client.get("/admin/roulette/wallet/"),
        admin_client.get("/admin/roulette/bet/"),
    ]
    assert all(page.status_code == 200 for page in pages)
    html = " ".join(page.content.decode() for page in pages)
    assert "Seated Sam" in html and "web" in html
    assert visitor_id not in html and session_key not in html
    for changelist in ("/admin/roulette/wallet/", "/admin/roulette/bet/"):
        for secret in (visitor_id, session_key):
            found = admin_client.get(changelist, {"q": secret})
            assert found.context["cl"].result_count == 0, changelist
