"""Helpers for tests that talk to a real server: daphne processes and a browser-like
HTTP client (cookies + CSRF) that can also open WebSockets with its session.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**overrides: str | None) -> dict[str, str]:
    """Environment for a server process: the embedded default unless overridden."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_DEBUG="1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        # A test session's live servers see every visitor come from 127.0.0.1;
        # the rate-limit tests turn the limits back on for their own server.
        PARLOUR_RATE_LIMITS_ENABLED="0",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@dataclass
class DaphneServer:
    """A real `daphne site_config.asgi:application` process on a free port."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    # Extra daphne options, e.g. ("--proxy-headers",) behind a proxy.
    options: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, log_dir: Path) -> DaphneServer:
        self.log_path = log_dir / f"daphne-{self.port}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                *self.options,
                "site_config.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"daphne did not come up:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""


@dataclass
class Response:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class LiveClient:
    """A browser-like HTTP client for a live server: keeps cookies, sends CSRF."""

    def __init__(
        self, base_url: str, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """`ssl_context` verifies an https:// server (e.g. a test's own certificate)."""
        self.base_url = base_url.rstrip("/")
        self.ssl_context = ssl_context
        self.cookies = http.cookiejar.CookieJar()
        handlers = [
            urllib.request.HTTPCookieProcessor(self.cookies),
            urllib.request.HTTPSHandler(context=ssl_context),
        ]
        self.opener = urllib.request.build_opener(*handlers)
        self.no_redirect = urllib.request.build_opener(*handlers, _NoRedirect)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    @property
    def session_key(self) -> str | None:
        return self.cookie("sessionid")

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        json_body: Any = None,
        follow: bool = True,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        all_headers = {"Origin": self.base_url, "Referer": url, **(headers or {})}
        body: bytes | None = None
        if method != "GET" and csrf:
            if self.cookie("csrftoken") is None:
                self.request("GET", "/name/")  # a page with a form sets the cookie
            token = self.cookie("csrftoken") or ""
            all_headers["X-CSRFToken"] = token
            if data is not None:
                data = {"csrfmiddlewaretoken": token, **data}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=body, method=method, headers=all_headers)
        opener = self.opener if follow else self.no_redirect
        try:
            with opener.open(req, timeout=30) as resp:
                return Response(resp.status, resp.url, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, url, dict(err.headers), err.read())

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any):
        return self.request("POST", path, data if data is not None else {}, **kwargs)

    def set_name(self, name: str) -> Response:
        response = self.post("/name/", {"name": name})
        assert response.status == 200 and name in response.text, response.text[:500]
        return response

    def websocket(self, path: str, *, origin: str | None = None) -> ClientConnection:
        ws_base = self.base_url.replace("http", "ws", 1)
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        headers = {"Origin": origin or self.base_url}
        if cookie:
            headers["Cookie"] = cookie
        return connect(
            f"{ws_base}{path}",
            additional_headers=headers,
            open_timeout=10,
            max_size=2**22,
            ssl=self.ssl_context if ws_base.startswith("wss:") else None,
        )


def recv_json(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


def recv_until(
    ws: ClientConnection, predicate: Any, timeout: float = 10
) -> dict[str, Any]:
    """Read frames until one satisfies `predicate` (a type name or a callable)."""
    test = (
        (lambda m: m.get("type") == predicate)
        if isinstance(predicate, str)
        else predicate
    )
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no frame matching {predicate!r}")
        message = recv_json(ws, timeout=remaining)
        if test(message):
            return message


def websocket_handshake_status(
    port: int,
    host_header: str,
    origin: str,
    *,
    path: str = "/ws/echo/",
    ssl_context: ssl.SSLContext | None = None,
) -> str:
    """The status line a WebSocket handshake with exactly this Host header gets,
    e.g. "HTTP/1.1 403 Access denied" (a client library would send its own Host)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        sock = (
            ssl_context.wrap_socket(raw, server_hostname="127.0.0.1")
            if ssl_context
            else raw
        )
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n".encode()
        )
        return sock.recv(4096).split(b"\r\n", 1)[0].decode()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
