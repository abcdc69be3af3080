"""The room socket in process, through the full ASGI stack (origin, session, auth)."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Message
from site_config.realtime.models import Presence
from site_config.realtime.tasks import background_tasks
from site_config.visitors.identity import Identity

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def lounge(make_room):
    return await database_sync_to_async(make_room)("Lounge")


async def frames_until(ws, kind, limit=20, **match):
    """Read frames until one of `kind` (with the `match` fields) arrives; return it."""
    for _ in range(limit):
        frame = await ws.receive_json_from(timeout=2)
        if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame
    raise AssertionError(f"no {kind!r} frame")


async def test_two_clients_see_each_others_messages(lounge, chat_sockets):
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    assert bob.welcome["members"] == ["Ann", "Bob"]
    assert (await ann.receive_json_from())["name"] == "Bob"
    await ann.send_json_to({"type": "message", "body": "  hello Bob "})
    for ws in (ann, bob):
        frame = await frames_until(ws, "message")
        assert frame["author"] == "Ann"
        assert frame["body"] == "hello Bob"
    await bob.send_json_to({"type": "message", "body": "hi Ann"})
    reply = await frames_until(ann, "message")
    assert (reply["author"], reply["body"]) == ("Bob", "hi Ann")
    stored = await database_sync_to_async(
        lambda: list(Message.objects.values_list("id", "author", "body"))
    )()
    assert stored == [(frame["id"], "Ann", "hello Bob"), (reply["id"], "Bob", "hi Ann")]
    assert reply["created"].startswith("20")


async def test_leaving_is_announced_with_the_new_member_list(lounge, chat_sockets):
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    await frames_until(ann, "join", name="Bob")
    await bob.disconnect()
    leave = await frames_until(ann, "leave")
    assert leave == {"type": "leave", "name": "Bob", "online": 1}
    assert await database_sync_to_async(Presence.objects.count)() == 1


async def test_a_second_tab_of_the_same_person_is_not_a_new_join(lounge, chat_sockets):
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    await frames_until(ann, "join", name="Bob")
    await chat_sockets(lounge.slug, "Bob", session=bob.session_key)
    assert await ann.receive_nothing(timeout=0.1)


async def test_typing_is_relayed_and_throttled(lounge, chat_sockets):
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    await frames_until(ann, "join", name="Bob")
    for _ in range(3):
        await bob.send_json_to({"type": "typing"})
    assert await ann.receive_json_from() == {"type": "typing", "name": "Bob"}
    assert await ann.receive_nothing(timeout=0.1)


async def test_flood_control_answers_with_an_error_and_keeps_the_socket(
    lounge, chat_sockets, settings
):
    settings.CHAT_FLOOD_COUNT = 5
    settings.CHAT_FLOOD_SECONDS = 60
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    await frames_until(ann, "join", name="Bob")
    for n in range(6):
        await ann.send_json_to({"type": "message", "body": f"m{n}"})
    got = [await ann.receive_json_from() for _ in range(6)]
    assert [f.get("body") for f in got[:5]] == ["m0", "m1", "m2", "m3", "m4"]
    assert got[5]["type"] == "error"
    assert got[5]["message"].startswith("Slow down: at most 5 messages")
    assert await database_sync_to_async(Message.objects.count)() == 5
    # Bob is not throttled by Ann's flood, and Ann's socket is still usable.
    await bob.send_json_to({"type": "message", "body": "calm"})
    assert (await frames_until(ann, "message"))["body"] == "calm"
    await ann.send_json_to({"type": "resume", "after": 0})
    assert len((await frames_until(ann, "backlog"))["messages"]) == 6


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "must be JSON objects"),
        ("[]", "must be JSON objects"),
        ('{"type": "shout", "body": "x"}', "Unknown message type"),
        ('{"body": "no type"}', "Unknown message type"),
        ('{"type": "message"}', "Missing field 'body'"),
        ('{"type": "message", "body": 42}', "wrong type"),
        ('{"type": "message", "body": ""}', "Type a message first"),
        ('{"type": "message", "body": "   \\n "}', "Type a message first"),
        (json.dumps({"type": "message", "body": "y" * 2001}), "limited to 2000"),
        (json.dumps({"type": "message", "body": "z" * 70_000}), "Frame too large"),
        ('{"type": "resume"}', "Missing field 'after'"),
        ('{"type": "resume", "after": "7"}', "wrong type"),
        ('{"type": "resume", "after": true}', "wrong type"),
        ('{"type": "resume", "after": -1}', "must be a message id"),
        ('{"type": "history", "before": 0}', "must be a message id"),
    ],
)
async def test_bad_frames_get_an_error_and_change_nothing(
    lounge, chat_sockets, frame, error
):
    ann = await chat_sockets(lounge.slug, "Ann")
    await ann.send_to(text_data=frame)
    reply = await ann.receive_json_from()
    assert reply["type"] == "error"
    assert error in reply["message"]
    assert await database_sync_to_async(Message.objects.count)() == 0
    await ann.send_json_to({"type": "message", "body": "still here"})
    assert (await ann.receive_json_from())["body"] == "still here"


async def test_binary_frames_get_an_error(lounge, chat_sockets):
    ann = await chat_sockets(lounge.slug, "Ann")
    await ann.send_to(bytes_data=b"\x00")
    assert (await ann.receive_json_from())["type"] == "error"


async def test_resume_returns_exactly_the_missed_messages_in_order(
    lounge, chat_sockets
):
    ann = await chat_sockets(lounge.slug, "Ann")
    for n in range(3):
        await ann.send_json_to({"type": "message", "body": f"seen {n}"})
    seen = [await ann.receive_json_from() for _ in range(3)]
    await ann.disconnect()

    post = database_sync_to_async(services.message_post)
    missed = [
        await post(room_id=lounge.pk, identity=Identity(("b",), "Bob"), body=f"m{n}")
        for n in range(4)
    ]
    back = await chat_sockets(lounge.slug, "Ann", session=ann.session_key)
    await back.send_json_to({"type": "resume", "after": seen[-1]["id"]})
    backlog = await frames_until(back, "backlog")
    assert backlog["messages"] == missed
    assert backlog["has_more"] is False
    await back.send_json_to({"type": "resume", "after": missed[-1]["id"]})
    assert (await frames_until(back, "backlog"))["messages"] == []


async def test_resume_of_a_long_gap_comes_in_batches(lounge, chat_sockets, settings):
    settings.CHAT_RESUME_BATCH = 3
    post = database_sync_to_async(services.message_post)
    ids = [
        (await post(room_id=lounge.pk, identity=Identity(("b",), "Bob"), body=str(n)))[
            "id"
        ]
        for n in range(5)
    ]
    ann = await chat_sockets(lounge.slug, "Ann")
    await ann.send_json_to({"type": "resume", "after": 0})
    first = await frames_until(ann, "backlog")
    assert [m["id"] for m in first["messages"]] == ids[:3]
    assert first["has_more"] is True
    await ann.send_json_to({"type": "resume", "after": ids[2]})
    second = await frames_until(ann, "backlog")
    assert ([m["id"] for m in second["messages"]], second["has_more"]) == (
        ids[3:],
        False,
    )


async def test_history_pages_back_before_an_id(lounge, chat_sockets, settings):
    settings.CHAT_PAGE_SIZE = 2
    ann = await chat_sockets(lounge.slug, "Ann")
    for n in range(5):
        await ann.send_json_to({"type": "message", "body": str(n)})
    ids = [(await ann.receive_json_from())["id"] for _ in range(5)]
    await ann.send_json_to({"type": "history", "before": ids[3]})
    page = await ann.receive_json_from()
    assert page["type"] == "history"
    assert [m["body"] for m in page["messages"]] == ["1", "2"]
    assert page["has_more"] is True


@pytest.mark.parametrize(
    ("setup", "code", "reason"),
    [
        ("missing", 4404, "There is no such room."),
        ("closed", 4410, "This room is closed."),
        ("anonymous", 4403, "Pick a display name first."),
    ],
)
async def test_refused_connections_get_a_reason_and_a_close_code(
    lounge, communicator, make_session, setup, code, reason
):
    slug = "nowhere" if setup == "missing" else lounge.slug
    if setup == "closed":
        await database_sync_to_async(services.room_close)(room_id=lounge.pk)
    name = None if setup == "anonymous" else "Ann"
    ws = communicator(
        f"/ws/chat/{slug}/", await database_sync_to_async(make_session)(name)
    )
    connected, _ = await ws.connect()
    assert connected
    assert await ws.receive_json_from() == {
        "type": "error",
        "message": reason,
        "code": code,
    }
    closing = await ws.receive_output()
    assert closing == {"type": "websocket.close", "code": code, "reason": reason}
    await ws.disconnect()
    assert await database_sync_to_async(Presence.objects.count)() == 0


async def test_closing_a_room_tells_everyone_and_disconnects_them(lounge, chat_sockets):
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    await frames_until(ann, "join", name="Bob")
    await database_sync_to_async(services.room_close)(room_id=lounge.pk)
    for ws in (ann, bob):
        assert (await ws.receive_json_from())["type"] == "closed"
        closing = await ws.receive_output()
        assert (closing["type"], closing["code"]) == ("websocket.close", 4410)


async def test_deleting_a_message_removes_it_for_everyone(lounge, chat_sockets):
    ann = await chat_sockets(lounge.slug, "Ann")
    await ann.send_json_to({"type": "message", "body": "oops"})
    message_id = (await ann.receive_json_from())["id"]
    await database_sync_to_async(services.message_delete)(message_ids=[message_id])
    assert await ann.receive_json_from() == {"type": "deleted", "id": message_id}


async def test_the_room_list_socket_gets_head_counts(
    lounge, communicator, chat_sockets
):
    lobby = communicator("/ws/chat/")
    connected, _ = await lobby.connect()
    assert connected
    await chat_sockets(lounge.slug, "Ann")
    assert await lobby.receive_json_from() == {
        "type": "count",
        "room": lounge.slug,
        "online": 1,
    }
    await lobby.disconnect()


async def test_many_senders_at_once_are_all_stored_and_delivered_in_id_order(
    lounge, chat_sockets
):
    reader = await chat_sockets(lounge.slug, "Reader")
    senders = [await chat_sockets(lounge.slug, f"Sender {n}") for n in range(4)]
    for _ in senders:
        await frames_until(reader, "join")
    for round_ in range(5):
        for n, ws in enumerate(senders):
            await ws.send_json_to({"type": "message", "body": f"{n}.{round_}"})
    got = [await frames_until(reader, "message") for _ in range(20)]
    ids = [m["id"] for m in got]
    assert ids == sorted(ids) and len(set(ids)) == 20
    stored = await database_sync_to_async(
        lambda: list(Message.objects.order_by("id").values_list("id", flat=True))
    )()
    assert stored == ids
    assert await reader.receive_nothing(timeout=0.1)


async def test_client_ids_are_echoed_to_the_sender_in_acks_and_errors(
    lounge, chat_sockets, settings
):
    settings.CHAT_FLOOD_COUNT = 1
    settings.CHAT_FLOOD_SECONDS = 60
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    await frames_until(ann, "join", name="Bob")
    await ann.send_json_to({"type": "message", "body": "one", "client_id": "c-1"})
    stored = await frames_until(ann, "message")
    assert "client_id" not in stored  # the room's copy is the same for everyone
    assert await ann.receive_json_from() == {
        "type": "sent",
        "client_id": "c-1",
        "id": stored["id"],
    }
    await ann.send_json_to({"type": "message", "body": "two", "client_id": "c-2"})
    refused = await ann.receive_json_from()
    assert refused["type"] == "error" and refused["client_id"] == "c-2"
    assert refused["message"].startswith("Slow down")
    await ann.send_json_to({"type": "message", "body": " ", "client_id": "c-3"})
    assert (await ann.receive_json_from())["client_id"] == "c-3"
    await ann.send_json_to({"type": "message", "body": "x", "client_id": 5})
    bad = await ann.receive_json_from()
    assert "client_id" in bad["message"] and "client_id" not in bad
    assert (await frames_until(bob, "message"))["body"] == "one"
    assert await bob.receive_nothing(timeout=0.1)  # acks and errors are Ann's alone


async def test_the_room_closing_task_is_kept_alive_until_it_is_done(
    lounge, chat_sockets, monkeypatch
):
    from chat import consumers

    release = asyncio.Event()
    original = consumers.ChatConsumer.close_room

    async def slow_close_room(self):
        await release.wait()
        await original(self)

    def closing_tasks():
        return [
            task
            for task in background_tasks
            if task.get_coro().__name__ == "slow_close_room"
        ]

    monkeypatch.setattr(consumers.ChatConsumer, "close_room", slow_close_room)
    ann = await chat_sockets(lounge.slug, "Ann")
    await database_sync_to_async(services.room_close)(room_id=lounge.pk)
    assert (await ann.receive_json_from())["type"] == "closed"
    # Only a weak reference is kept by asyncio: the consumer holds a strong one.
    (task,) = closing_tasks()
    assert not task.done()
    release.set()
    closing = await ann.receive_output()
    assert (closing["type"], closing["code"]) == ("websocket.close", 4410)
    await asyncio.sleep(0)
    assert task.done() and not closing_tasks()


@pytest.mark.parametrize("failing", ["database", "channel layer"])
async def test_a_failed_join_leaks_nothing_and_asks_the_client_to_retry(
    lounge, communicator, make_session, monkeypatch, failing
):
    from channels.layers import get_channel_layer
    from django.db import OperationalError

    from chat.models import room_group
    from site_config.realtime import events, presence
    from site_config.realtime.hub import get_hub

    if failing == "database":  # the presence row cannot be written

        def database_down(**kwargs):
            raise OperationalError("the database is down")

        monkeypatch.setattr(presence, "enter", database_down)
    else:  # the row is written, then announcing the join fails

        async def layer_down(*args):
            raise OSError("the channel layer is down")

        monkeypatch.setattr(events, "send", layer_down)
    ws = communicator(
        f"/ws/chat/{lounge.slug}/", await database_sync_to_async(make_session)("Ann")
    )
    connected, _ = await ws.connect()
    assert connected
    frames = []
    while (frame := await ws.receive_output(timeout=2))["type"] == "websocket.send":
        frames.append(json.loads(frame["text"]))
    if failing == "database":
        assert frames == [
            {
                "type": "error",
                "message": "The chat is unavailable right now; reconnecting shortly.",
                "code": 4503,
            }
        ]
    else:
        # The join was committed, so it is not a failure: this process's sockets
        # get it directly, then the hub closes them until the layer is back.
        assert [f["type"] for f in frames] == ["welcome", "join", "error"]
        assert frames[-1]["code"] == 4503
    assert (frame["type"], frame["code"]) == ("websocket.close", 4503)
    await ws.disconnect()
    assert get_hub(get_channel_layer()).local_count(room_group(lounge.pk)) == 0
    assert presence.tracker().connections == {}
    assert await database_sync_to_async(Presence.objects.count)() == 0


async def test_a_message_sent_again_with_its_client_id_is_stored_and_shown_once(
    lounge, chat_sockets
):
    ann = await chat_sockets(lounge.slug, "Ann")
    bob = await chat_sockets(lounge.slug, "Bob")
    await frames_until(ann, "join", name="Bob")
    retry = {"type": "message", "body": "only once", "client_id": "c-9"}
    await ann.send_json_to(retry)
    stored = await frames_until(ann, "message")
    first = await frames_until(ann, "sent")
    # A retry on a new connection (the first one dropped before its ack arrived).
    again = await chat_sockets(lounge.slug, "Ann", session=ann.session_key)
    await again.send_json_to(retry)
    second = await frames_until(again, "sent")
    assert first == second == {"type": "sent", "client_id": "c-9", "id": stored["id"]}
    assert (await frames_until(bob, "message"))["id"] == stored["id"]
    assert await bob.receive_nothing(timeout=0.1)  # broadcast once
    assert await again.receive_nothing(timeout=0.1)
    count = await database_sync_to_async(Message.objects.count)()
    assert count == 1
