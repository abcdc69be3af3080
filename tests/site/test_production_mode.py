"""Production settings: a bad Host gets the 400 page, and the local trial of
docs/deploy.md §1 (`make serve`: debug off, plain HTTP) works on a live daphne."""

import logging
import re
import sys

import pytest
from django.test import Client

from site_config.hosts import WithoutTraceback
from tests.support import LiveClient, manage, server_env, websocket_handshake_status

SECRET = "x" * 20 + "-a-long-random-production-secret-0123456789"


@pytest.mark.django_db
@pytest.mark.parametrize("ssl_redirect", [True, False])
def test_a_bad_host_gets_the_sites_400_page(settings, ssl_redirect):
    """Refused in SecurityMiddleware (with the HTTPS redirect) or CommonMiddleware
    (without), before the session or the user is known: still the site's page."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = ssl_redirect
    response = Client().get("/chat/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert "400 · Bad request" in html and "Parlour" in html


def test_without_traceback_keeps_the_message_only():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "django.security.DisallowedHost", logging.ERROR, __file__, 1,
            "Invalid HTTP_HOST header: %r.", ("evil.example",), sys.exc_info(),
        )  # fmt: skip
    assert WithoutTraceback().filter(record) is True
    line = logging.Formatter().format(record)
    assert line == "Invalid HTTP_HOST header: 'evil.example'."


def test_the_local_trial_serves_production_settings_on_plain_http(
    daphne_factory, tmp_path
):
    trial = {  # what `make serve` sets
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    manage("collectstatic", "--noinput", env=server_env(**trial))
    server = daphne_factory(**trial)
    ann = LiveClient(server.url)

    home = ann.get("/", follow=False)
    assert home.status == 200  # no redirect to an https:// where nothing listens
    assert "Strict-Transport-Security" not in home.headers
    ann.set_name("Trial Ann")  # a CSRF-checked form post over plain HTTP
    cookies = {cookie.name: cookie for cookie in ann.cookies}
    assert not cookies["sessionid"].secure and not cookies["csrftoken"].secure

    # Hashed, compressed static files from collectstatic, served by ServeStatic.
    stylesheet = re.search(
        r'href="(/static/css/parlour\.[0-9a-f]{12}\.css)"', home.text
    )
    assert stylesheet, home.text[:1000]
    css = ann.get(stylesheet.group(1))
    assert css.status == 200 and b"body" in css.body
    assert "immutable" in css.headers["Cache-Control"]

    with ann.websocket("/ws/echo/") as echo:
        echo.send("hello")
        assert echo.recv(timeout=10) == "hello"

    bad = ann.get("/", headers={"Host": "evil.example"})
    assert bad.status == 400 and "400 · Bad request" in bad.text
    assert " 403 " in websocket_handshake_status(
        server.port, "evil.example", server.url
    )
    good = websocket_handshake_status(
        server.port, f"127.0.0.1:{server.port}", server.url
    )
    assert " 101 " in good

    log = server.log()
    assert "Invalid HTTP_HOST header: 'evil.example'" in log
    assert "WebSocket refused: Invalid HTTP_HOST header: 'evil.example'" in log
    assert "Traceback" not in log


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("host", "accepted"),
    [(b"evil.example", False), (b"localhost:8000", True)],
)
async def test_a_socket_handshake_is_checked_against_allowed_hosts(host, accepted):
    """The Origin matches the Host, so only the Host check can refuse."""
    from channels.testing import WebsocketCommunicator

    from site_config.asgi import application

    headers = [(b"origin", b"http://" + host), (b"host", host)]
    ws = WebsocketCommunicator(application, "/ws/echo/", headers=headers)
    connected, _ = await ws.connect()
    assert connected is accepted
    await ws.disconnect()
