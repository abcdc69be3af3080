"""Chat services and selectors: rooms, messages, idempotent client ids, flood
control, the events they publish, and the chat's use of shared presence."""

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chat import selectors, services
from chat.models import LOBBY_GROUP, Message, Room, room_group
from site_config.realtime import presence
from site_config.realtime.events import collecting
from site_config.realtime.models import Presence
from site_config.visitors.identity import Identity

pytestmark = pytest.mark.django_db

ANN = Identity(("visitor-ann",), "Ann")
BOB = Identity(("visitor-bob",), "Bob")


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """`with published() as sent:` collects (group, event name, payload) for what
    the block publishes, once its transaction commits."""

    @contextmanager
    def capture():
        sent = []
        with (
            collecting() as outgoing,
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield sent
        sent.extend((group, name, json.loads(frame)) for group, name, frame in outgoing)

    return capture


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
    [
        ("", "Type a message"),
        (" \n\t ", "Type a message"),
        ("x" * 2001, "2000"),
        ("nul \x00 byte", "Control characters are not allowed"),
    ],
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
        services.message_post(
            room_id=room.pk, identity=Identity(("s",), None), body="x"
        )


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


def test_services_publish_their_events_once_committed(make_room, published):
    room = make_room()
    group = room_group(room.pk)
    with published() as sent:
        message = services.message_post(room_id=room.pk, identity=ANN, body="hi")
    assert sent == [(group, "chat.message", message)]
    with published() as sent:
        services.message_delete(message_ids=[message["id"]])
    assert sent == [(group, "chat.deleted", {"type": "deleted", "id": message["id"]})]
    with published() as sent:
        services.room_close(room_id=room.pk)
        services.room_close(room_id=room.pk)  # already closed: nothing to tell
    closed = {"type": "closed", "message": "A moderator closed this room."}
    assert sent == [(group, "chat.closed", closed)]


def test_refused_messages_publish_nothing(make_room, published):
    room = make_room()
    with published() as sent, pytest.raises(ValidationError):
        services.message_post(room_id=room.pk, identity=ANN, body=" ")
    assert sent == []


def test_a_client_id_used_again_returns_the_original_and_stores_nothing(
    make_room, published
):
    room, other = make_room("A"), make_room("B")
    with published() as sent:
        first = services.message_post(
            room_id=room.pk, identity=ANN, body="once", client_id="c-1"
        )
        again = services.message_post(
            room_id=room.pk, identity=ANN, body="once", client_id="c-1"
        )
    assert again == first
    assert [name for _, name, _ in sent] == ["chat.message"]  # published once
    assert Message.objects.get().client_id == "c-1"
    # The id is the sender's own: someone else, or another room, may use it too.
    bob = services.message_post(
        room_id=room.pk, identity=BOB, body="x", client_id="c-1"
    )
    elsewhere = services.message_post(
        room_id=other.pk, identity=ANN, body="y", client_id="c-1"
    )
    assert len({first["id"], bob["id"], elsewhere["id"]}) == 3


def test_a_batch_with_duplicate_client_ids_stores_each_message_once(
    make_room, published
):
    room = make_room()
    original = services.message_post(
        room_id=room.pk, identity=ANN, body="earlier", client_id="c-1"
    )
    drafts = [
        services.MessageDraft(room.pk, ANN, "earlier", "c-1"),  # a retry
        services.MessageDraft(room.pk, ANN, "new", "c-2"),
        services.MessageDraft(room.pk, ANN, "new", "c-2"),  # retried in the batch
        services.MessageDraft(room.pk, BOB, "no id"),
    ]
    with published() as sent:
        results = services.message_post_batch(drafts=drafts)
    assert results[0] == original
    assert results[1] == results[2]
    assert [r["body"] for r in results] == ["earlier", "new", "new", "no id"]
    assert [payload for _, _, payload in sent] == [results[1], results[3]]
    assert list(Message.objects.values_list("body", flat=True)) == [
        "earlier",
        "new",
        "no id",
    ]


def test_a_duplicate_that_trips_the_constraint_spares_the_rest_of_the_batch(
    make_room, published, monkeypatch
):
    room = make_room()
    original = services.message_post(
        room_id=room.pk, identity=ANN, body="stored", client_id="c-1"
    )
    look_up = services._messages_originals
    calls = []

    def concurrent_insert_not_seen_yet(rows):
        calls.append(1)
        return {} if len(calls) == 1 else look_up(rows)

    monkeypatch.setattr(services, "_messages_originals", concurrent_insert_not_seen_yet)
    drafts = [
        services.MessageDraft(room.pk, BOB, "first"),
        services.MessageDraft(room.pk, ANN, "stored", "c-1"),
        services.MessageDraft(room.pk, ANN, "fresh", "c-2"),
    ]
    with published() as sent:
        results = services.message_post_batch(drafts=drafts)
    assert len(calls) == 2  # the insert tripped the constraint and looked again
    assert results[1] == original
    assert [r["body"] for r in results] == ["first", "stored", "fresh"]
    assert [payload for _, _, payload in sent] == [results[0], results[2]]
    assert Message.objects.count() == 3


def present(room, connection, name):
    """Open a presence row for `name` in `room`, as a room socket does."""
    return presence.enter(group=room.group, connection=connection, member=name)


def went_stale(settings, *connections):
    """Age these presence rows past the TTL, as if their process had died."""
    settings.PARLOUR_PRESENCE_TTL_SECONDS = 30
    Presence.objects.filter(connection__in=connections).update(
        last_seen=timezone.now() - timedelta(seconds=31)
    )


def test_joins_and_leaves_are_announced_for_people_not_tabs(make_room, published):
    room = make_room()
    group = room_group(room.pk)

    def notices(sent):
        return [
            (name, payload.get("name"), payload.get("online"))
            for _, name, payload in sent
        ]

    with published() as sent:
        present(room, "c1", "Ann")
        present(room, "c2", "Ann")  # a second tab: not a new join
        present(room, "c3", "Bob")
    assert notices(sent) == [
        ("chat.join", "Ann", 1),
        ("chat.count", None, 1),
        ("chat.join", "Bob", 2),
        ("chat.count", None, 2),
    ]
    assert [g for g, _, _ in sent] == [group, LOBBY_GROUP, group, LOBBY_GROUP]
    assert sent[1][2] == {"type": "count", "room": room.slug, "online": 1}
    with published() as sent:
        presence.leave(connection="c1")
        presence.leave(connection="c2")
    assert notices(sent) == [("chat.leave", "Ann", 1), ("chat.count", None, 1)]


def test_members_are_listed_once_case_insensitively(make_room):
    room = make_room()
    for connection, name in [("1", "bob"), ("2", "Cat"), ("3", "Ann"), ("4", "bob")]:
        present(room, connection, name)
    assert selectors.room_members(room_id=room.pk) == ["Ann", "bob", "Cat"]


def test_the_room_list_group_is_no_room(published):
    with published() as sent:
        presence.enter(group=LOBBY_GROUP, connection="x", member="Ann")
    assert sent == []


def test_stale_presence_of_a_dead_process_is_ignored_then_swept(
    make_room, settings, published
):
    room = make_room()
    present(room, "live", "Ann")
    present(room, "ghost", "Bob")
    went_stale(settings, "ghost")
    assert selectors.room_members(room_id=room.pk) == ["Ann"]
    assert selectors.room_list()[0]["online"] == 1
    assert selectors.home_stats() == {"rooms": 1, "online": 1}
    with published() as sent:
        presence.heartbeat(connections={"live": (room.group, "Ann")})
        presence.heartbeat(connections={"live": (room.group, "Ann")})
    # Announced once only.
    assert [(name, payload.get("name")) for _, name, payload in sent] == [
        ("chat.leave", "Bob"),
        ("chat.count", None),
    ]
    assert sent[0][2]["online"] == 1


def test_a_member_swept_while_their_process_stalled_is_announced_again(
    make_room, settings, published
):
    room = make_room()
    present(room, "ann-1", "Ann")
    present(room, "bob-1", "Bob")
    went_stale(settings, "ann-1")
    presence.heartbeat(connections={"bob-1": (room.group, "Bob")})  # sweeps Ann
    assert selectors.room_members(room_id=room.pk) == ["Bob"]
    with published() as sent:
        presence.heartbeat(connections={"ann-1": (room.group, "Ann")})
    assert sent[0][1:] == (
        "chat.join",
        {"type": "join", "name": "Ann", "online": 2},
    )


def test_home_stats_counts_open_rooms_and_distinct_people(make_room):
    lounge, cellar = make_room("Lounge"), make_room("Cellar")
    make_room("Attic")
    old = make_room("Old")
    present(old, "o1", "Dan")
    services.room_close(room_id=old.pk)
    present(lounge, "a1", "Ann")
    present(cellar, "a2", "Ann")
    present(cellar, "b1", "Bob")
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
        services.MessageDraft(
            room_id=room.pk, identity=Identity(("s",), None), body="x"
        ),
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


def test_a_row_the_database_refuses_costs_only_its_own_sender(
    make_room, published, monkeypatch, no_tracebacks
):
    """Defence in depth behind the text check: if a body the database cannot store
    ever passes validation, its batch is retried one message at a time, so the
    other senders' messages are stored and published. A lone surrogate fails every
    driver; NUL fails PostgreSQL's (the scaled leg runs this on PostgreSQL)."""
    from django.db import connection

    monkeypatch.setattr(
        services, "_draft_checked", lambda draft: draft.body
    )  # as if validation had missed these
    room = make_room()
    cid = Identity("session-cid", "Cid")
    bad_bodies = ["broken \ud800"]
    if connection.vendor == "postgresql":
        bad_bodies.append("nul \x00 byte")
    for bad in bad_bodies:
        Message.objects.all().delete()
        drafts = [
            services.MessageDraft(room_id=room.pk, identity=ANN, body="before"),
            services.MessageDraft(room_id=room.pk, identity=BOB, body=bad),
            services.MessageDraft(room_id=room.pk, identity=cid, body="after"),
        ]
        with published() as sent:
            results = services.message_post_batch(drafts=drafts)
        assert results[0]["body"] == "before" and results[2]["body"] == "after"
        assert results[1].messages == [services.NOT_STORED]
        stored = Message.objects.order_by("pk").values_list("author", "body")
        assert list(stored) == [("Ann", "before"), ("Cid", "after")]
        assert [payload["body"] for _, _, payload in sent] == ["before", "after"]
