"""Identity across requests: seats and wallets follow a login, names stay reserved."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chess.models import Game
from roulette.models import Wallet
from site_config.visitors.models import Guest

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-991"


def guest_with_seat_and_wallet(client: Client) -> str:
    client.post("/name/", {"name": "Seated Sam"})
    client.get("/roulette/")  # opens the wallet for this session
    key = client.session.session_key
    Game.objects.create(white_session=key, white_name="Seated Sam")
    assert Wallet.objects.filter(session_key=key).exists()
    return key


def test_logging_in_keeps_the_chess_seat_and_the_bankroll(client):
    get_user_model().objects.create_user("samuel", password=PASSWORD)
    old_key = guest_with_seat_and_wallet(client)
    response = client.post(
        "/accounts/login/", {"username": "samuel", "password": PASSWORD}
    )
    assert response.status_code == 302
    new_key = client.session.session_key
    assert new_key != old_key  # the session key is cycled (fixation defence)
    assert Game.objects.get().white_session == new_key
    assert Wallet.objects.filter(session_key=new_key).count() == 1
    assert not Wallet.objects.filter(session_key=old_key).exists()
    # The guest name is free again: account holders go by their username.
    assert not Guest.objects.exists()


def test_signing_up_keeps_the_chess_seat_and_the_bankroll(client):
    guest_with_seat_and_wallet(client)
    client.post(
        "/accounts/signup/",
        {"username": "sammy", "password1": PASSWORD, "password2": PASSWORD},
    )
    new_key = client.session.session_key
    assert Game.objects.get().white_session == new_key
    assert Wallet.objects.filter(session_key=new_key).exists()


def test_failed_login_moves_nothing(client):
    old_key = guest_with_seat_and_wallet(client)
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert Game.objects.get().white_session == old_key


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
