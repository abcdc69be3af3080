"""Home, error pages, the display-name form and accounts."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from site_config.visitors.models import Guest

pytestmark = pytest.mark.django_db


def test_home_has_a_card_per_app(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for link in ('href="/chat/"', 'href="/roulette/"', 'href="/chess/"'):
        assert link in html
    assert "css/parlour.css" in html
    assert 'id="announcer"' in html


def test_unknown_page_gets_the_site_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "is not available" in html
    assert 'href="/"' in html


def test_error_templates_render_without_a_request():
    from django.template.loader import render_to_string

    for code in ("400", "403", "404", "500"):
        html = render_to_string(f"{code}.html")
        assert code in html and "Parlour" in html


def test_post_without_csrf_is_403_with_site_page(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    response = client.post("/name/", {"name": "Ann"})
    assert response.status_code == 403
    assert "403" in response.content.decode()
    assert "Parlour" in response.content.decode()
    assert not Guest.objects.exists()


def test_favicon_redirects_to_static_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def test_name_form_prg_keeps_name_in_session(client):
    response = client.post("/name/", {"name": "  Ann   Lee ", "next": "/chess/"})
    assert response.status_code == 302
    assert response["Location"] == "/chess/"
    assert client.session["display_name"] == "Ann Lee"
    assert Guest.objects.get().name == "Ann Lee"
    assert "Ann Lee" in client.get("/").content.decode()


def test_name_form_refuses_offsite_next(client):
    response = client.post("/name/", {"name": "Ann", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 25, "at most 24 characters"),
        ("<script>", "Use only letters"),
        ("ann@home", "Use only letters"),
    ],
)
def test_bad_names_rerender_with_error_and_save_nothing(client, name, error):
    response = client.post("/name/", {"name": name})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert "display_name" not in client.session
    assert not Guest.objects.exists()


def test_name_taken_by_other_guest_case_insensitively(client):
    other = Client()
    assert other.post("/name/", {"name": "Ann"}).status_code == 302
    response = client.post("/name/", {"name": "ANN"})
    assert response.status_code == 200
    assert "already taken" in response.content.decode()


def test_name_taken_by_account(client):
    get_user_model().objects.create_user("magnus", password="pw-123-abc-XYZ")
    response = client.post("/name/", {"name": "Magnus"})
    assert "already taken" in response.content.decode()


def test_guest_can_rename_to_own_name_again(client):
    client.post("/name/", {"name": "Ann"})
    assert client.post("/name/", {"name": "Ann"}).status_code == 302
    assert client.post("/name/", {"name": "Anna"}).status_code == 302
    assert list(Guest.objects.values_list("name", flat=True)) == ["Anna"]


def test_sign_up_log_out_log_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "carla",
            "password1": "a-Long-pass-991",
            "password2": "a-Long-pass-991",
        },
    )
    assert response.status_code == 302
    assert "carla" in client.get("/").content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    assert "Log in" in client.get("/").content.decode()
    response = client.post(
        "/accounts/login/", {"username": "carla", "password": "a-Long-pass-991"}
    )
    assert response.status_code == 302
    assert "carla" in client.get("/").content.decode()


def test_login_with_wrong_password_shows_error(client):
    get_user_model().objects.create_user("dora", password="right-pass-123")
    response = client.post("/accounts/login/", {"username": "dora", "password": "no"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_sign_up_refuses_name_of_active_guest(client):
    Client().post("/name/", {"name": "Eve"})
    response = client.post(
        "/accounts/signup/",
        {
            "username": "eve",
            "password1": "a-Long-pass-991",
            "password2": "a-Long-pass-991",
        },
    )
    assert response.status_code == 200
    assert "already taken" in response.content.decode()
