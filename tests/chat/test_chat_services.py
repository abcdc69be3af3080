"""Chat services and selectors: rooms, messages, flood control and presence."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chat import selectors, services
from chat.models import Message, Presence, Room
from site_config.identity import Identity

pytestmark = pytest.mark.django_db

ANN = Identity("session-ann", "Ann")
BOB = Identity("session-bob", "Bob")


def test_room_create_makes_a_unique_slug(make_room):
    first = make_room("Night Owls")
    assert first.slug == "night-owls"
    second = services.room_create(name="night-owls!", identity=ANN)
    assert second.slug == "night-owls-2"
    assert second.created_by_name == "Ann"


@pytest.mark.parametrize("name", ["Night owls", "  NIGHT   OWLS "])
def test_room_create_refuses_a_name_in_use(make_room, name):
    make_room("Night Owls")
    with pytest.raises(ValidationError, match="already exists"):
        services.room_create(name=name, identity=ANN)


@pytest.mark.parametrize(("name", "error"), [("   ", "Enter"), ("x" * 41, "at most")])
def test_room_create_validates_the_name(name, error):
    with pytest.raises(ValidationError, match=error):
        services.room_create(name=name, identity=ANN)
    assert not Room.objects.exists()


def test_room_name_of_40_characters_is_fine():
    assert services.room_create(name="x" * 40, identity=ANN).name == "x" * 40


def test_symbol_only_name_still_gets_a_slug():
    assert services.room_create(name="???", identity=ANN).slug == "room"


def test_message_post_trims_persists_and_returns_the_wire_payload(make_room):
    room = make_room()
    payload = services.message_post(room_id=room.pk, identity=ANN, body="  hi  \n")
    message = Message.objects.get()
    assert payload == {
        "type": "message",
        "id": message.pk,
        "author": "Ann",
        "body": "hi",
        "created": message.created.isoformat(),
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [("", "Type a message"), (" \n\t ", "Type a message"), ("x" * 2001, "2000")],
)
def test_message_post_validates_the_body(make_room, body, error):
    room = make_room()
    with pytest.raises(ValidationError, match=error):
        services.message_post(room_id=room.pk, identity=ANN, body=body)
    assert not Message.objects.exists()


def test_message_of_2000_characters_after_trimming_is_accepted(make_room):
    room = make_room()
    body = "  " + "x" * 2000 + "  "
    services.message_post(room_id=room.pk, identity=ANN, body=body)
    assert len(Message.objects.get().body) == 2000


def test_message_post_to_a_closed_room_is_refused(make_room):
    room = make_room()
    assert services.room_close(room_id=room.pk) is True
    assert services.room_close(room_id=room.pk) is False
    with pytest.raises(ValidationError, match="closed"):
        services.message_post(room_id=room.pk, identity=ANN, body="hello?")


def test_message_post_needs_a_name(make_room):
    room = make_room()
    with pytest.raises(ValidationError, match="display name"):
        services.message_post(room_id=room.pk, identity=Identity("s", None), body="x")


def test_message_pages_latest_before_and_after(make_room):
    room, other = make_room("A"), make_room("B")
    ids = [
        services.message_post(room_id=room.pk, identity=ANN, body=str(n))["id"]
        for n in range(7)
    ]
    services.message_post(room_id=other.pk, identity=BOB, body="elsewhere")
    latest, older = selectors.messages_latest(room_id=room.pk, limit=3)
    assert [m["id"] for m in latest] == ids[-3:]
    assert older is True
    page, more = selectors.messages_before(room_id=room.pk, before=ids[4], limit=3)
    assert [m["id"] for m in page] == ids[1:4]
    assert more is True
    page, more = selectors.messages_before(room_id=room.pk, before=ids[1], limit=3)
    assert [m["id"] for m in page] == ids[:1]
    assert more is False
    page, more = selectors.messages_after(room_id=room.pk, after=ids[2], limit=3)
    assert [m["id"] for m in page] == ids[3:6]
    assert more is True
    page, more = selectors.messages_after(room_id=room.pk, after=ids[5], limit=3)
    assert [m["id"] for m in page] == ids[6:]
    assert more is False


def test_message_delete_reports_what_it_removed(make_room):
    room = make_room()
    kept = services.message_post(room_id=room.pk, identity=ANN, body="keep")
    gone = services.message_post(room_id=room.pk, identity=ANN, body="spam")
    assert services.message_delete(message_ids=[gone["id"], 999_999]) == [
        (room.pk, gone["id"])
    ]
    assert list(Message.objects.values_list("pk", flat=True)) == [kept["id"]]


def test_flood_wait_allows_five_per_window(settings):
    settings.CHAT_FLOOD_COUNT = 5
    settings.CHAT_FLOOD_SECONDS = 5
    stamps = [100.0, 101.0, 102.0, 103.0]
    assert services.flood_wait(stamps, 104.0) == 0
    stamps.append(104.0)
    assert services.flood_wait(stamps, 104.5) == pytest.approx(0.5)
    assert services.flood_wait(stamps, 105.0) == 0  # the first one left the window
    assert stamps == [101.0, 102.0, 103.0, 104.0]


def test_presence_join_and_leave_count_people_not_tabs(make_room):
    room = make_room()
    first = services.presence_enter(room_id=room.pk, connection="c1", identity=ANN)
    assert (first.joined, first.members) == (True, ["Ann"])
    second_tab = services.presence_enter(room_id=room.pk, connection="c2", identity=ANN)
    assert second_tab.joined is False
    bob = services.presence_enter(room_id=room.pk, connection="c3", identity=BOB)
    assert bob.members == ["Ann", "Bob"]
    assert services.presence_leave(connection="c1").left is False
    last = services.presence_leave(connection="c2")
    assert (last.left, last.members, last.slug) == (True, ["Bob"], room.slug)
    assert services.presence_leave(connection="c2") is None


def test_stale_presence_of_a_dead_process_is_ignored_then_swept(make_room, settings):
    settings.CHAT_PRESENCE_TTL = 30
    room = make_room()
    services.presence_enter(room_id=room.pk, connection="live", identity=ANN)
    services.presence_enter(room_id=room.pk, connection="ghost", identity=BOB)
    Presence.objects.filter(connection="ghost").update(
        last_seen=timezone.now() - timedelta(seconds=31)
    )
    assert selectors.room_members(room_id=room.pk) == ["Ann"]
    assert selectors.room_list()[0]["online"] == 1
    assert selectors.home_stats() == {"rooms": 1, "online": 1}
    changes = services.presence_heartbeat(
        connections={"live": services.OpenConnection(room.pk, ANN)}
    )
    assert [(c.name, c.left, c.members) for c in changes] == [("Bob", True, ["Ann"])]
    assert list(Presence.objects.values_list("connection", flat=True)) == ["live"]
    assert services.presence_sweep() == []  # announced once only


def test_heartbeat_keeps_live_rows_fresh(make_room, settings):
    settings.CHAT_PRESENCE_TTL = 30
    room = make_room()
    services.presence_enter(room_id=room.pk, connection="c1", identity=ANN)
    old = timezone.now() - timedelta(seconds=20)
    Presence.objects.update(last_seen=old)
    services.presence_heartbeat(
        connections={"c1": services.OpenConnection(room.pk, ANN)}
    )
    assert Presence.objects.get().last_seen > old


def test_heartbeat_brings_back_rows_swept_while_its_process_stalled(
    make_room, settings
):
    settings.CHAT_PRESENCE_TTL = 30
    room = make_room()
    services.presence_enter(room_id=room.pk, connection="ann-1", identity=ANN)
    services.presence_enter(room_id=room.pk, connection="bob-1", identity=BOB)
    services.presence_enter(room_id=room.pk, connection="bob-2", identity=BOB)
    # This process stalled past the TTL; another process swept its rows and
    # announced Ann's departure (Bob still had another tab elsewhere).
    Presence.objects.filter(connection__in=["ann-1", "bob-1"]).update(
        last_seen=timezone.now() - timedelta(seconds=31)
    )
    swept = services.presence_sweep()
    assert [(c.name, c.left) for c in swept] == [("Ann", True)]
    assert selectors.room_members(room_id=room.pk) == ["Bob"]

    changes = services.presence_heartbeat(
        connections={
            "ann-1": services.OpenConnection(room.pk, ANN),
            "bob-1": services.OpenConnection(room.pk, BOB),
        }
    )
    # Both sockets are still open: their rows are back, Ann's return is announced.
    assert selectors.room_members(room_id=room.pk) == ["Ann", "Bob"]
    assert set(Presence.objects.values_list("connection", flat=True)) == {
        "ann-1",
        "bob-1",
        "bob-2",
    }
    assert [(c.name, c.joined, c.left, c.members) for c in changes] == [
        ("Ann", True, False, ["Ann", "Bob"])
    ]
    row = Presence.objects.get(connection="ann-1")
    assert (row.session_key, row.room_id) == (ANN.session_key, room.pk)
    # The next beat finds everything in place: nothing more to announce.
    assert (
        services.presence_heartbeat(
            connections={"ann-1": services.OpenConnection(room.pk, ANN)}
        )
        == []
    )


def test_home_stats_counts_open_rooms_and_distinct_people(make_room):
    lounge, cellar = make_room("Lounge"), make_room("Cellar")
    make_room("Attic")
    services.room_close(room_id=make_room("Old").pk)
    services.presence_enter(room_id=lounge.pk, connection="a1", identity=ANN)
    services.presence_enter(room_id=cellar.pk, connection="a2", identity=ANN)
    services.presence_enter(room_id=cellar.pk, connection="b1", identity=BOB)
    assert selectors.home_stats() == {"rooms": 3, "online": 2}
    listed = selectors.room_list()
    assert [(r["name"], r["online"]) for r in listed] == [
        ("Cellar", 2),
        ("Lounge", 1),
        ("Attic", 0),
    ]


def test_message_post_batch_writes_the_valid_ones_in_order(make_room):
    room, closed = make_room("Open"), make_room("Shut")
    services.room_close(room_id=closed.pk)
    drafts = [
        services.MessageDraft(room_id=room.pk, identity=ANN, body=" one "),
        services.MessageDraft(room_id=room.pk, identity=ANN, body="   "),
        services.MessageDraft(room_id=closed.pk, identity=BOB, body="too late"),
        services.MessageDraft(room_id=room.pk, identity=Identity("s", None), body="x"),
        services.MessageDraft(room_id=room.pk, identity=BOB, body="two"),
    ]
    results = services.message_post_batch(drafts=drafts)
    assert [r["body"] for r in (results[0], results[4])] == ["one", "two"]
    assert results[0]["id"] < results[4]["id"]
    assert [r.messages[0] for r in results[1:4]] == [
        "Type a message first.",
        "This room is closed.",
        "Pick a display name first.",
    ]
    assert list(Message.objects.values_list("body", flat=True)) == ["one", "two"]


def test_session_post_is_flood_controlled_and_books_only_stored_posts(
    make_room, settings
):
    settings.CHAT_FLOOD_COUNT = 2
    settings.CHAT_FLOOD_SECONDS = 5
    room = make_room()
    session = {}
    post = services.message_post_session_limited
    with pytest.raises(ValidationError, match="Type a message"):
        post(session=session, room_id=room.pk, identity=ANN, body=" ", now=100.0)
    assert session == {}  # a refused body costs nothing
    for now in (100.0, 101.0):
        post(session=session, room_id=room.pk, identity=ANN, body="hi", now=now)
    assert session[services.SESSION_FLOOD_KEY] == [100.0, 101.0]
    with pytest.raises(ValidationError, match="Slow down") as refused:
        post(session=session, room_id=room.pk, identity=ANN, body="more", now=102.0)
    assert refused.value.code == "flood"
    assert Message.objects.count() == 2
    post(session=session, room_id=room.pk, identity=ANN, body="later", now=105.0)
    assert session[services.SESSION_FLOOD_KEY] == [101.0, 105.0]
