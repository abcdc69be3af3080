"""The embedded channel layer: Channels' semantics, with the sweeps paced."""

from __future__ import annotations

import asyncio

import pytest

from site_config.layers import InMemoryChannelLayer


async def test_group_send_reaches_every_member_in_order():
    layer = InMemoryChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", a)
    await layer.group_add("room", b)
    for n in range(5):
        await layer.group_send("room", {"type": "x", "n": n})
    for channel in (a, b):
        assert [(await layer.receive(channel))["n"] for _ in range(5)] == list(range(5))


async def test_a_full_member_misses_the_message_and_the_others_get_it():
    layer = InMemoryChannelLayer(capacity=2)
    full, free = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", full)
    await layer.group_add("room", free)
    for n in range(2):
        await layer.send(full, {"type": "x", "n": n})
    await layer.group_send("room", {"type": "x", "n": 9})
    assert (await layer.receive(free))["n"] == 9
    assert [(await layer.receive(full))["n"] for _ in range(2)] == [0, 1]


async def test_group_send_copies_the_message():
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    message = {"type": "x", "items": [1]}
    await layer.group_send("room", message)
    message["items"].append(2)
    assert (await layer.receive(channel))["items"] == [1]


async def test_expired_messages_are_swept_at_most_an_interval_late():
    layer = InMemoryChannelLayer(expiry=0.05)
    layer.clean_interval = 0.1
    stale, other = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", stale)
    await layer.send(stale, {"type": "x"})
    await asyncio.sleep(0.2)
    await layer.group_send("room", {"type": "y"})  # sweeps: stale leaves the group
    assert stale not in layer.groups.get("room", {})
    await layer.group_add("room", other)
    await layer.group_send("room", {"type": "z"})  # within the interval: no sweep
    assert (await layer.receive(other))["type"] == "z"


async def test_group_send_yields_to_the_loop():
    layer = InMemoryChannelLayer()
    ran = []

    async def receiver() -> None:
        ran.append(True)

    task = asyncio.get_running_loop().create_task(receiver())
    await layer.group_send("empty", {"type": "x"})
    assert ran == [True]  # it ran while the sender was inside group_send
    await task


@pytest.mark.parametrize("bad", ["has space", "x" * 200])
async def test_invalid_group_names_are_refused(bad):
    layer = InMemoryChannelLayer()
    with pytest.raises(TypeError):
        await layer.group_send(bad, {"type": "x"})
