"""Shared fixtures: a live daphne, a real Chromium, PostgreSQL and Redis, sessions.

Browser and service fixtures skip with a reason when the tool is missing, unless
REQUIRE_BROWSER=1 / REQUIRE_SERVICES=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.support import DaphneServer, LiveClient, manage, server_env

ORIGIN = (b"origin", b"http://localhost")


def _required(name: str) -> bool:
    return os.environ.get(name, "").strip() not in {"", "0", "false", "no"}


def _unavailable(flag: str, reason: str) -> None:
    if _required(flag):
        pytest.fail(f"{reason} ({flag}=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def in_memory_channel_layer(settings: Any) -> None:
    """In-process tests use the in-memory layer whatever REDIS_URL says."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache: sessions are cached (cached_db), and a
    session cached by an earlier test must not outlive its rolled-back row."""
    from django.core.cache import cache

    cache.clear()
    yield


# --- live daphne --------------------------------------------------------------


@pytest.fixture(scope="session")
def daphne_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., DaphneServer]]:
    """Start real daphne processes: `daphne_factory(migrate=True, **env)`.

    By default each gets a fresh SQLite file; pass DATABASE_URL / REDIS_URL for the
    scaled mode, or PARLOUR_SQLITE_PATH to share one file between processes.
    """
    started: list[DaphneServer] = []
    log_dir = tmp_path_factory.mktemp("daphne-logs")

    def start(*, migrate: bool = True, **overrides: str | None) -> DaphneServer:
        if "DATABASE_URL" not in overrides and "PARLOUR_SQLITE_PATH" not in overrides:
            db_dir = tmp_path_factory.mktemp("live-db")
            overrides["PARLOUR_SQLITE_PATH"] = str(db_dir / "live.sqlite3")
        env = server_env(**overrides)
        if migrate:
            manage("migrate", "--noinput", env=env)
        server = DaphneServer(env=env).start(log_dir)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def daphne_server(daphne_factory: Callable[..., DaphneServer]) -> DaphneServer:
    """One live daphne (embedded mode, file SQLite) shared by the session's tests."""
    return daphne_factory()


@pytest.fixture
def live_client(daphne_server: DaphneServer) -> Callable[[str | None], LiveClient]:
    """`live_client("Ann")`: a new browser-like session on the live server."""

    def make(name: str | None = None) -> LiveClient:
        client = LiveClient(daphne_server.url)
        client.get("/")
        if name:
            client.set_name(name)
        return client

    return make


# --- browser ------------------------------------------------------------------


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright."""
    executable = chromium_path()
    if executable is None:
        _unavailable("REQUIRE_BROWSER", "Debian's chromium is not on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("REQUIRE_BROWSER", "playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """`new_page()`: a page in a fresh context (its own cookies: a separate visitor)."""
    contexts: list[Any] = []

    def make(**context_options: Any) -> Any:
        context = browser.new_context(**context_options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# --- services -----------------------------------------------------------------


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(
        "PARLOUR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
    )
    parsed = urlparse(url)
    if not _reachable(parsed.hostname or "127.0.0.1", parsed.port or 5432):
        _unavailable("REQUIRE_SERVICES", f"PostgreSQL is not reachable at {url}")
    try:
        import psycopg
    except ImportError:
        _unavailable("REQUIRE_SERVICES", "psycopg is not installed")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        _unavailable("REQUIRE_SERVICES", f"PostgreSQL refused a connection: {exc}")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("PARLOUR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    if not _reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        _unavailable("REQUIRE_SERVICES", f"Redis is not reachable at {url}")
    return url


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    import psycopg

    name = f"parlour_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parsed = urlparse(postgres_url)
    yield parsed._replace(path=f"/{name}").geturl()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- sessions for in-process consumer tests ------------------------------------


@pytest.fixture
def make_session() -> Callable[..., str]:
    """`make_session(name="Ann")`: a saved DB session of a visitor with that display
    name; the key (`tests.visitor_support.visitor_of(key)` is its visitor id).

    Needs database access (`django_db(transaction=True)` for async tests).
    """
    from django.contrib.sessions.backends.db import SessionStore

    from site_config.visitors.identity import (
        SESSION_NAME_KEY,
        VISITOR_ID_KEY,
        guest_name_claim,
        new_visitor_id,
    )

    def make(name: str | None = None) -> str:
        session = SessionStore()
        visitor_id = session[VISITOR_ID_KEY] = new_visitor_id()
        if name:
            guest_name_claim(visitor_id=visitor_id, name=name)
            session[SESSION_NAME_KEY] = name
        session.create()
        return session.session_key

    return make


@pytest.fixture
def communicator() -> Callable[..., Any]:
    """`communicator(path, session_key=None)`: a WebsocketCommunicator through the
    full ASGI stack (origin validator, session and auth middleware)."""
    from channels.testing import WebsocketCommunicator

    from site_config.asgi import application

    def make(path: str, session_key: str | None = None, origin: bytes | None = None):
        headers = [(b"host", b"localhost"), (b"origin", origin or b"http://localhost")]
        if session_key:
            headers.append((b"cookie", f"sessionid={session_key}".encode()))
        return WebsocketCommunicator(application, path, headers=headers)

    return make


# The Redis database the test cache may flush (never the one an operator uses).
TEST_REDIS_DB = 15


def test_redis_cache_url(redis_url: str) -> str:
    """`redis_url` pointed at TEST_REDIS_DB: clearing the test cache flushes it."""
    parts = urllib.parse.urlsplit(redis_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{TEST_REDIS_DB}"))


def pytest_configure(config: pytest.Config) -> None:
    """The cache follows the mode under test: Redis in the scaled CI leg
    (REDIS_URL set), the process's memory otherwise. Tests clear it, so in Redis it
    is a database of its own. Database settings, CONN_MAX_AGE included, are the
    real ones."""
    from django.conf import settings

    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        settings.CACHES = {
            "default": {
                # As in production (site_config/settings.py).
                "BACKEND": "site_config.outages.DegradingRedisCache",
                "LOCATION": test_redis_cache_url(redis_url),
                "KEY_PREFIX": "parlour-test",
            }
        }
    else:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        }


@pytest.fixture(autouse=True)
def close_thread_connections() -> Iterator[None]:
    """After each test, close the connections that threads keep (CONN_MAX_AGE, as
    in production): the socket paths' database threads, and asgiref's thread, where
    database_sync_to_async calls and session reads run. Left open, they outlive the
    test's database access (a later test without it fails when Channels checks
    them) and keep PostgreSQL from dropping the test database."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from site_config.realtime.tasks import DatabaseThread

    for thread in DatabaseThread.instances:
        thread.close_connection()
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def pytest_collection_modifyitems(config: pytest.Config, items: list[Any]) -> None:
    """Run browser tests last.

    Playwright's sync API keeps its own event loop installed in the main thread while
    the session's browser is open, and async tests cannot start a loop after that.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"chromium: {chromium_path() or 'missing'}; "
        f"REQUIRE_BROWSER={os.environ.get('REQUIRE_BROWSER', '')} "
        f"REQUIRE_SERVICES={os.environ.get('REQUIRE_SERVICES', '')}",
        f"project root: {Path(__file__).resolve().parent.parent}",
    ]


# --- logs -----------------------------------------------------------------------


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[Any]:
    """Fail the test if anything logged an error or a traceback meanwhile (bad
    input must be answered, never crash)."""
    import logging

    caplog.set_level(logging.WARNING)
    yield caplog
    crashes = [
        record
        for record in caplog.get_records("call")
        if record.exc_info or record.levelno >= logging.ERROR
    ]
    assert not crashes, "logged: " + "; ".join(
        f"{record.name}: {record.getMessage()}" for record in crashes
    )
