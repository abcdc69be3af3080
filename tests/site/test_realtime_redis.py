"""The hub on the Redis layers (core and Pub/Sub), as in the scaled deployment."""

import asyncio
import uuid

import pytest
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

from site_config.realtime.events import envelope
from site_config.realtime.hub import Hub

pytestmark = pytest.mark.services

LAYERS = [RedisChannelLayer, RedisPubSubChannelLayer]


class Sink:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.events: list[str] = []
        self.arrived = asyncio.Event()

    def hub_event(self, event: str, frame: str) -> None:
        self.events.append(event)
        self.frames.append(frame)
        self.arrived.set()


def make_layer(cls, redis_url):
    return cls(
        hosts=[{"address": redis_url, "socket_timeout": None}],
        prefix=f"test{uuid.uuid4().hex[:8]}",
    )


async def frames_after_send(layer, group, sinks, text):
    for sink in sinks:
        sink.arrived.clear()
    await layer.group_send(group, envelope(group, "test.said", text))
    await asyncio.wait_for(
        asyncio.gather(*(sink.arrived.wait() for sink in sinks)), timeout=5
    )


@pytest.mark.parametrize("layer_class", LAYERS)
async def test_two_processes_receive_each_event_once(layer_class, redis_url):
    """Two hubs on two layer instances stand for two daphne processes."""
    group = f"room_{uuid.uuid4().hex[:8]}"
    first_layer = make_layer(layer_class, redis_url)
    second_layer = layer_class(
        hosts=[{"address": redis_url, "socket_timeout": None}],
        prefix=first_layer.prefix,
    )
    # Every consumer also waits on a channel of its own; on the core layer all
    # of a process's channels share one receive loop, which the hub must join.
    own = [
        asyncio.create_task(layer.receive(await layer.new_channel()))
        for layer in (first_layer, second_layer)
    ]
    await asyncio.sleep(0.1)
    first, second = Hub(first_layer), Hub(second_layer)
    a, b = Sink(), Sink()
    await first.join(group, a)
    await second.join(group, b)
    await frames_after_send(first_layer, group, [a, b], "one")
    await frames_after_send(second_layer, group, [a, b], "two")
    await asyncio.sleep(0.1)
    assert a.frames == ["one", "two"]
    assert b.frames == ["one", "two"]
    assert a.events == b.events == ["test.said", "test.said"]
    await first.leave(group, a)
    await second.leave(group, b)
    for task in own:
        task.cancel()
    await asyncio.gather(*own, return_exceptions=True)
    for layer in (first_layer, second_layer):
        if hasattr(layer, "flush"):
            await layer.flush()


@pytest.mark.parametrize("layer_class", LAYERS)
async def test_a_group_emptied_and_joined_again_still_receives(layer_class, redis_url):
    layer = make_layer(layer_class, redis_url)
    hub = Hub(layer)
    group = f"room_{uuid.uuid4().hex[:8]}"
    sink = Sink()
    await hub.join(group, sink)
    await frames_after_send(layer, group, [sink], "before")
    await hub.leave(group, sink)  # last member: the reader stops
    await asyncio.sleep(0.1)
    again = Sink()
    await hub.join(group, again)
    await frames_after_send(layer, group, [again], "after")
    assert again.frames == ["after"]
    await hub.leave(group, again)
    if hasattr(layer, "flush"):
        await layer.flush()
