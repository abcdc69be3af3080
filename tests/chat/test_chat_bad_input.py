"""The bad-input table for the chat sockets (room and room list), in process
through the full ASGI stack: every refused frame gets a readable error, the socket
stays usable, nothing is stored, the other member hears nothing, nothing crashes."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.bad_input import BAD_FRAMES, BAD_TEXT_JSON, frame_with

pytestmark = pytest.mark.django_db(transaction=True)

# Field errors of every client message type of the room socket.
BAD_FIELDS = [
    pytest.param({"type": "message"}, "Missing field 'body'", id="message-no-body"),
    pytest.param({"type": "message", "body": 5}, "wrong type", id="message-body-int"),
    pytest.param(
        {"type": "message", "body": None}, "wrong type", id="message-body-null"
    ),
    pytest.param(
        {"type": "message", "body": ["hi"]}, "wrong type", id="message-body-list"
    ),
    pytest.param(
        {"type": "message", "body": "x" * 2001}, "2000", id="message-body-too-long"
    ),
    pytest.param(
        {"type": "message", "body": "hi", "client_id": 7},
        "client_id",
        id="message-client-id-int",
    ),
    pytest.param(
        {"type": "message", "body": "hi", "client_id": "c" * 65},
        "client_id",
        id="message-client-id-too-long",
    ),
    pytest.param(
        {"type": "message", "body": "hi", "client_id": "a\x00b"},
        "client_id",
        id="message-client-id-nul",
    ),
    pytest.param({"type": "resume"}, "Missing field 'after'", id="resume-no-after"),
    pytest.param({"type": "resume", "after": "0"}, "wrong type", id="resume-after-str"),
    pytest.param(
        {"type": "resume", "after": True}, "wrong type", id="resume-after-bool"
    ),
    pytest.param(
        {"type": "resume", "after": -1}, "message id", id="resume-after-negative"
    ),
    pytest.param({"type": "history"}, "Missing field 'before'", id="history-no-before"),
    pytest.param(
        {"type": "history", "before": 1.5}, "wrong type", id="history-before-float"
    ),
    pytest.param({"type": "history", "before": 0}, "message id", id="history-zero"),
]


@pytest.fixture
async def room_pair(make_room, chat_sockets, no_tracebacks):
    """Ann and Bob in one room; Ann sends the bad input, Bob must hear nothing."""
    room = await database_sync_to_async(make_room)("Lounge")
    ann = await chat_sockets(room.slug, "Ann")
    bob = await chat_sockets(room.slug, "Bob")
    await ann.receive_json_from()  # Bob's join notice
    return ann, bob


async def assert_refused_harmlessly(ann, bob, frame: str, error: str | None) -> None:
    await ann.send_to(text_data=frame)
    reply = await ann.receive_json_from()
    assert reply["type"] == "error", reply
    assert reply["message"].strip(), reply  # a readable reason
    if error is not None:
        assert error in reply["message"], reply
    assert await bob.receive_nothing(timeout=0.05)
    assert await database_sync_to_async(Message.objects.count)() == 0
    # Both sockets still work: Ann's next message reaches Bob.
    await ann.send_json_to({"type": "message", "body": "still here"})
    assert (await ann.receive_json_from())["body"] == "still here"
    assert (await bob.receive_json_from())["body"] == "still here"


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_on_the_room_socket(room_pair, frame, error):
    await assert_refused_harmlessly(*room_pair, frame, error)


@pytest.mark.parametrize(("content", "error"), BAD_FIELDS)
async def test_bad_fields_on_the_room_socket(room_pair, content, error):
    await assert_refused_harmlessly(*room_pair, frame_with(content), error)


@pytest.mark.parametrize(("text", "error"), BAD_TEXT_JSON)
async def test_bad_text_in_a_message_body(room_pair, text, error):
    content = {"type": "message", "body": text}
    await assert_refused_harmlessly(*room_pair, frame_with(content), error)


@pytest.mark.parametrize(("text", "error"), BAD_TEXT_JSON)
async def test_a_good_message_right_behind_a_bad_one_is_stored(room_pair, text, error):
    ann, bob = room_pair
    await ann.send_to(text_data=frame_with({"type": "message", "body": text}))
    await ann.send_json_to({"type": "message", "body": f"ok {text!r}"[:40]})
    first = await ann.receive_json_from()
    assert first["type"] == "error"
    # The good message right behind the bad one is stored and delivered.
    assert (await ann.receive_json_from())["type"] == "message"
    assert (await bob.receive_json_from())["type"] == "message"
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_multi_line_messages_keep_their_line_breaks(room_pair):
    ann, bob = room_pair
    await ann.send_json_to({"type": "message", "body": "one\r\ntwo\n\tthree"})
    assert (await bob.receive_json_from())["body"] == "one\ntwo\n\tthree"


@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
async def test_bad_frames_on_the_room_list_socket(
    communicator, no_tracebacks, frame, error
):
    """The room list sends nothing, so every frame is refused; it stays open."""
    ws = communicator("/ws/chat/")
    connected, _ = await ws.connect()
    assert connected
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from()
    assert reply["type"] == "error" and error in reply["message"]
    await ws.send_to(text_data='{"type": "message", "body": "hi"}')
    reply = await ws.receive_json_from()
    assert "Unknown message type" in reply["message"]
    await ws.disconnect()
