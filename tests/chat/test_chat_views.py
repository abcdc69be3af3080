"""Chat pages through the test client: room list, create (PRG), room, no-JS post."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from chat import services
from chat.models import Message, Room
from site_config.visitors.identity import SESSION_NAME_KEY, Identity

pytestmark = pytest.mark.django_db

ANN = Identity(("s-ann",), "Ann")


@pytest.fixture
def named_client(client, make_session):
    """A test client whose session has the display name Ann."""
    client.cookies["sessionid"] = make_session("Ann")
    return client


def message_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="chat-msg" data-id="(\d+)"', html)]


def test_room_list_shows_open_rooms_and_the_create_form(named_client, make_room):
    make_room("Lounge")
    services.room_close(room_id=make_room("Gone").pk)
    response = named_client.get(reverse("chat:rooms"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Lounge" in html and "Gone" not in html
    assert 'name="name"' in html and "Create room" in html
    assert '<span class="chat-online-count">0</span> online' in html


def test_room_list_without_a_name_asks_for_one(client, make_room):
    html = client.get(reverse("chat:rooms")).content.decode()
    assert "Pick a display name" in html and "Create room" not in html


def test_create_room_redirects_to_the_new_room(named_client):
    response = named_client.post(reverse("chat:rooms"), {"name": "  Night   Owls "})
    room = Room.objects.get()
    assert (room.name, room.slug, room.created_by_name) == (
        "Night Owls",
        "night-owls",
        "Ann",
    )
    assert response.status_code == 302
    assert response["Location"] == "/chat/night-owls/"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("night owls", "A room with that name already exists."),
        ("", "This field is required."),
        ("x" * 41, "at most 40 characters"),
    ],
)
def test_create_room_errors_are_shown_in_the_form(named_client, make_room, name, error):
    make_room("Night Owls")
    response = named_client.post(reverse("chat:rooms"), {"name": name})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Room.objects.count() == 1


def test_create_room_without_a_name_goes_to_the_name_form(client):
    response = client.post(reverse("chat:rooms"), {"name": "Mine"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("choose_name"))
    assert not Room.objects.exists()


def test_room_page_needs_a_display_name(client, make_room):
    room = make_room()
    response = client.get(room.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("choose_name"))


def test_unknown_room_is_a_404(named_client):
    assert named_client.get("/chat/nowhere/").status_code == 404


def test_room_page_renders_the_last_50_and_pages_back(named_client, make_room):
    room = make_room()
    ids = [
        services.message_post(room_id=room.pk, identity=ANN, body=f"n{n}")["id"]
        for n in range(120)
    ]
    html = named_client.get(room.get_absolute_url()).content.decode()
    assert message_ids(html) == ids[-50:]
    assert f'href="/chat/lounge/?before={ids[70]}"' in html
    assert f'"lastId": {ids[-1]}' in html
    older = named_client.get(f"/chat/lounge/?before={ids[70]}").content.decode()
    assert message_ids(older) == ids[20:70]
    assert "Jump to the latest" in older
    assert "chat/chat.js" not in older  # an archive page is not live
    oldest = named_client.get(f"/chat/lounge/?before={ids[20]}").content.decode()
    assert message_ids(oldest) == ids[:20]
    assert '<p class="chat-older" hidden>' in oldest  # nothing older left


def test_user_text_is_escaped(named_client, make_room):
    room = make_room()
    evil = '<img src=x onerror="alert(1)">'
    services.message_post(
        room_id=room.pk, identity=Identity(("s",), evil[:20]), body=evil
    )
    html = named_client.get(room.get_absolute_url()).content.decode()
    assert evil not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_post_without_javascript_saves_and_redirects(named_client, make_room):
    room = make_room()
    response = named_client.post(f"/chat/{room.slug}/post/", {"body": "  hi all "})
    assert response.status_code == 302
    assert response["Location"] == f"/chat/{room.slug}/#chat-form"
    message = Message.objects.get()
    assert (message.author, message.body, message.room_id) == ("Ann", "hi all", room.pk)
    page = named_client.get(response["Location"]).content.decode()
    assert "hi all" in page


@pytest.mark.parametrize(
    ("body", "error"), [("   ", "Type a message first."), ("x" * 2001, "2000")]
)
def test_post_errors_rerender_the_room_with_the_text(
    named_client, make_room, body, error
):
    room = make_room()
    response = named_client.post(f"/chat/{room.slug}/post/", {"body": body})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Message.objects.exists()


def test_post_without_javascript_is_flood_controlled(named_client, make_room):
    room = make_room()
    for n in range(5):
        named_client.post(f"/chat/{room.slug}/post/", {"body": f"m{n}"})
    response = named_client.post(f"/chat/{room.slug}/post/", {"body": "one more"})
    assert response.status_code == 200
    assert "Slow down" in response.content.decode()
    assert Message.objects.count() == 5


def test_post_to_a_closed_room_is_refused(named_client, make_room):
    room = make_room()
    services.room_close(room_id=room.pk)
    page = named_client.get(room.get_absolute_url()).content.decode()
    assert "This room is closed" in page and 'id="chat-form"' not in page
    response = named_client.post(f"/chat/{room.slug}/post/", {"body": "hello"})
    assert "This room is closed." in response.content.decode()
    assert not Message.objects.exists()


def test_post_without_a_name_comes_back_to_the_room_not_the_post_url(client, make_room):
    room = make_room()
    response = client.post(f"/chat/{room.slug}/post/", {"body": "hi"})
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('choose_name')}?next=%2Fchat%2F{room.slug}%2F"
    )
    assert not Message.objects.exists()
    # After choosing a name the visitor lands on the room page, not a 405.
    next_url = parse_qs(urlparse(response["Location"]).query)["next"][0]
    chosen = client.post(reverse("choose_name"), {"name": "Newbie", "next": next_url})
    assert chosen["Location"] == f"/chat/{room.slug}/"
    assert client.get(chosen["Location"]).status_code == 200


def test_post_needs_csrf(make_room, make_session):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = make_session("Ann")
    room = make_room()
    assert client.post(f"/chat/{room.slug}/post/", {"body": "x"}).status_code == 403


def test_home_card_counts_rooms(client, make_room):
    make_room("Lounge")
    html = client.get("/").content.decode()
    assert "1 room, 0 online" in html


def test_session_name_is_the_author(client, make_session, make_room):
    key = make_session("Zed")
    client.cookies["sessionid"] = key
    room = make_room()
    client.post(f"/chat/{room.slug}/post/", {"body": "from Zed"})
    assert Message.objects.get().author == "Zed"
    assert client.session[SESSION_NAME_KEY] == "Zed"
