"""docs/deploy.md, executed: nginx (its configuration taken from the guide) with TLS
in front of two daphne processes (`--proxy-headers`) on PostgreSQL and a Redis of the
test's own.

Pages, static files, a chat between sockets on both processes and a bad Host all go
through nginx, as a visitor's browser would.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import (
    ROOT,
    DaphneServer,
    LiveClient,
    free_port,
    manage,
    recv_until,
    server_env,
    websocket_handshake_status,
)

pytestmark = pytest.mark.services

GUIDE = ROOT / "docs" / "deploy.md"
SECRET = "x" * 20 + "-a-long-random-production-secret-0123456789"


def unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVICES", "").strip() not in {"", "0", "false", "no"}:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


def tool(name: str, *fallbacks: str) -> str:
    found = shutil.which(name) or next(
        (path for path in fallbacks if Path(path).exists()), None
    )
    if found is None:
        unavailable(f"{name} is not installed")
    return str(found)


def wait_until(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's own on a spare port, so nothing is shared."""
    binary = tool("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: accepts_connections(port), "Redis did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Certificate:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1, standing in for Let's Encrypt's."""
    openssl = tool("openssl")
    found = Certificate(tmp_path / "fullchain.pem", tmp_path / "privkey.pem")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(found.key), "-out", str(found.cert)]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return found


def guide_nginx_config() -> str:
    """The site configuration between the guide's marker comments."""
    text = GUIDE.read_text()
    block = text.split("<!-- nginx-config:start -->", 1)[1]
    block = block.split("<!-- nginx-config:end -->", 1)[0].strip()
    assert block.startswith("```nginx") and block.endswith("```"), block[:80]
    return block.removeprefix("```nginx").removesuffix("```")


def guide_daphne_options() -> tuple[str, ...]:
    """The daphne options of the guide's systemd unit (`--proxy-headers`)."""
    found = re.search(
        r"^ExecStart=\S+/daphne -b 127\.0\.0\.1 -p %i (.*) "
        r"site_config\.asgi:application$",
        GUIDE.read_text(),
        re.MULTILINE,
    )
    assert found, "docs/deploy.md's systemd unit no longer starts daphne as expected"
    return tuple(found.group(1).split())


def substitute(config: str, replacements: dict[str, str]) -> str:
    """Swap the guide's ports and paths for this test's; each must be in the guide,
    so that a change there cannot silently leave the test on another setup."""
    for old, new in replacements.items():
        assert old in config, f"docs/deploy.md's nginx config no longer has {old!r}"
        config = config.replace(old, new)
    return config


@dataclass
class Nginx:
    https_port: int
    http_port: int
    process: subprocess.Popen[bytes]
    error_log: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


def start_nginx(
    tmp_path: Path,
    upstreams: list[DaphneServer],
    static_root: Path,
    certificate: Certificate,
) -> Nginx:
    binary = tool("nginx", "/usr/sbin/nginx")
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    https_port, http_port = free_port(), free_port()
    site = substitute(
        guide_nginx_config(),
        {
            "server 127.0.0.1:8001;": f"server 127.0.0.1:{upstreams[0].port};",
            "server 127.0.0.1:8002;": f"server 127.0.0.1:{upstreams[1].port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "/srv/parlour/static/": f"{static_root}/",
            "/etc/letsencrypt/live/parlour.example/fullchain.pem": str(
                certificate.cert
            ),
            "/etc/letsencrypt/live/parlour.example/privkey.pem": str(certificate.key),
        },
    )
    # The guide's file is a site: it sits in the http block of Debian's nginx.conf.
    # One process in the foreground (no master, no workers changing user), with
    # every file it writes under the test's directory.
    error_log = prefix / "error.log"
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {error_log} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""
    )
    process = subprocess.Popen(
        [binary, "-e", str(error_log), "-p", f"{prefix}/", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    nginx = Nginx(https_port, http_port, process, error_log)

    def listening() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{error_log.read_text()}")
        return accepts_connections(https_port)

    try:
        wait_until(listening, "nginx did not start")
    except BaseException:
        process.terminate()
        process.wait(timeout=10)
        raise
    return nginx


def socket_count(server: DaphneServer) -> int:
    """Chat sockets this daphne process has accepted (its access log)."""
    assert server.log_path is not None
    return server.log_path.read_text(errors="replace").count('"WSCONNECT /ws/chat/')


def open_chat_socket(
    stack: ExitStack, client: LiveClient, slug: str, servers: list[DaphneServer]
):
    """Open a chat socket through nginx (closed with `stack`); return it and the
    process it landed on."""
    before = [socket_count(server) for server in servers]
    ws = stack.enter_context(client.websocket(f"/ws/chat/{slug}/"))
    recv_until(ws, "welcome")

    def landed() -> bool:
        return [socket_count(s) for s in servers] != before

    wait_until(landed, "no daphne logged the socket")
    after = [socket_count(server) for server in servers]
    grown = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if b > a]
    assert len(grown) == 1, (before, after)
    return ws, servers[grown[0]]


def test_the_guide_runs_the_site_behind_nginx(
    tmp_path, fresh_postgres_url, own_redis, certificate
):
    static_root = tmp_path / "static"
    env = server_env(  # /etc/parlour.env in the guide
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=fresh_postgres_url,
        REDIS_URL=own_redis,
        DJANGO_STATIC_ROOT=str(static_root),
    )
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    daphne_options = guide_daphne_options()
    assert "--proxy-headers" in daphne_options
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    with ExitStack() as stack:
        servers: list[DaphneServer] = []
        for _ in range(2):
            server = DaphneServer(env=env, options=daphne_options)
            stack.callback(server.stop)
            servers.append(server.start(log_dir))
        nginx = start_nginx(tmp_path, servers, static_root, certificate)
        stack.callback(nginx.process.wait, 10)
        stack.callback(nginx.process.terminate)
        tls = certificate.client_context()
        ann = LiveClient(nginx.url, ssl_context=tls)

        # Pages: Django sees HTTPS through X-Forwarded-Proto, so no redirect loop.
        home = ann.get("/", follow=False)
        assert home.status == 200, home.text[:500]
        assert "max-age=31536000" in home.headers["Strict-Transport-Security"]
        assert ann.get("/healthz").json() == {"ok": True}
        ann.set_name("Proxy Ann")  # CSRF checks the https:// origin
        cookies = {cookie.name: cookie for cookie in ann.cookies}
        assert cookies["sessionid"].secure and cookies["csrftoken"].secure
        plain = LiveClient(f"http://127.0.0.1:{nginx.http_port}").get(
            "/chat/", follow=False
        )
        assert plain.status == 301
        assert plain.headers["Location"] == "https://127.0.0.1/chat/"

        # Static files from nginx: hashed name, pre-compressed, cached for good.
        stylesheet = re.search(
            r'href="(/static/css/parlour\.[0-9a-f]{12}\.css)"', home.text
        )
        assert stylesheet, home.text[:1000]
        css = ann.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
        assert css.status == 200
        assert css.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in css.headers["Cache-Control"]
        on_disk = static_root / stylesheet.group(1).removeprefix("/static/")
        assert gzip.decompress(css.body) == on_disk.read_bytes()

        # A chat through nginx between sockets on the two daphne processes.
        bob = LiveClient(nginx.url, ssl_context=tls)
        bob.get("/name/")
        bob.set_name("Proxy Bob")
        created = ann.post("/chat/", {"name": f"Proxy {uuid.uuid4().hex[:6]}"})
        slug = created.url.strip("/").split("/")[-1]
        ann_ws, ann_server = open_chat_socket(stack, ann, slug, servers)
        for _ in range(len(servers)):  # round robin: the next one is the other
            bob_ws, bob_server = open_chat_socket(stack, bob, slug, servers)
            if bob_server is not ann_server:
                break
        assert bob_server is not ann_server, "both sockets landed on one process"
        ann_ws.send('{"type": "message", "body": "through nginx, process one"}')
        heard = recv_until(bob_ws, lambda m: m.get("type") == "message")
        assert heard["body"] == "through nginx, process one"
        bob_ws.send('{"type": "message", "body": "and back"}')
        heard = recv_until(ann_ws, lambda m: m.get("body") == "and back")
        assert heard["author"] == "Proxy Bob"

        # A bad Host reaches Django through nginx: the 400 page, a refused socket.
        bad = ann.get("/", headers={"Host": "evil.example"})
        assert bad.status == 400 and "400 · Bad request" in bad.text
        refused = websocket_handshake_status(
            nginx.https_port, "evil.example", nginx.url, ssl_context=tls
        )
        assert " 403 " in refused

        logs = "".join(server.log() for server in servers)
        # nginx served the static files; daphne never saw them.
        assert "/static/" not in logs
        # --proxy-headers: daphne logs the X-Forwarded-For address, with no port.
        assert "127.0.0.1:0 - - [" in logs
        assert "Invalid HTTP_HOST header: 'evil.example'" in logs
        assert "Traceback" not in logs
