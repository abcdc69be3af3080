"""A Redis outage turns the rate limits off, not the pages: requests pass (fail
open) with one warning for the whole outage, and the limits count again once a
Redis answers. The test runs a Redis of its own on a spare port and stops it."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.conftest import _unavailable
from tests.support import free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db]

LOGGER = "site_config.visitors.ratelimits"


class OwnRedis:
    """A throwaway redis-server: no persistence, started and stopped by PID."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("redis-server exited at start") from None
                time.sleep(0.02)  # polling for readiness, bounded by the deadline
        raise RuntimeError("redis-server did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    executable = shutil.which("redis-server")
    if executable is None:
        _unavailable("REQUIRE_SERVICES", "redis-server is not on PATH")
    redis = OwnRedis(executable)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def limits_in_own_redis(settings: Any, own_redis: OwnRedis) -> OwnRedis:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
        }
    }
    # Sessions stay out of the cache here: this test is about the limits alone.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.RATELIMIT_ENABLE = True
    settings.PARLOUR_RATE_LIMITS = {"api_session_create": "2/h", "login_ip": "2/h"}
    return own_redis


def open_session(client: Client) -> int:
    return client.post(
        "/roulette/api/sessions/", {}, content_type="application/json"
    ).status_code


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER and record.levelno >= logging.WARNING
    ]


def test_limits_fail_open_during_a_redis_outage_and_count_again_after(
    limits_in_own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    client = Client(REMOTE_ADDR="192.0.2.40")
    assert [open_session(client) for _ in range(3)] == [201, 201, 429]

    limits_in_own_redis.stop()
    assert [open_session(client) for _ in range(4)] == [201] * 4
    login = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert login.status_code == 200  # the form again, not a 500
    off = warnings_logged(caplog)
    assert len(off) == 1 and off[0].startswith("Rate limits are off")

    limits_in_own_redis.start()  # empty: the counts start again
    assert [open_session(client) for _ in range(3)] == [201, 201, 429]
    back = warnings_logged(caplog)[1:]
    assert back == ["Rate limits are back on: the cache answers again."]
