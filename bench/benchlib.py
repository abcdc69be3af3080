"""Helpers shared by the bench scripts: a browser-like HTTP session (cookies and
CSRF, like a real visitor), percentiles and process memory. Stdlib only."""

from __future__ import annotations

import http.cookiejar
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def check_local(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"refusing to load {host!r}: the bench targets 127.0.0.1 only")


@dataclass
class Page:
    status: int
    url: str
    headers: dict[str, str]
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class LoopbackPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send `Secure` cookies over plain HTTP too: production settings (DEBUG off)
    mark them Secure, and the bench talks to 127.0.0.1 without TLS."""

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return True

    def set_ok_domain(self, cookie: Any, request: Any) -> bool:
        return True

    def return_ok_domain(self, cookie: Any, request: Any) -> bool:
        return True


class Session:
    """One visitor: a cookie jar, CSRF tokens taken from the forms it is served."""

    def __init__(self, base: str) -> None:
        check_local(base)
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar(LoopbackPolicy())
        handler = urllib.request.HTTPCookieProcessor(self.jar)
        self.follow = urllib.request.build_opener(handler)
        self.nofollow = urllib.request.build_opener(handler, _NoRedirect)
        self.last_csrf: str | None = None

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, Any] | None = None,
        *,
        follow: bool = True,
    ) -> Page:
        url = path if path.startswith("http") else f"{self.base}{path}"
        headers = {"Origin": self.base, "Referer": url}
        body = None
        if method == "POST":
            token = self.last_csrf or self.cookie("csrftoken") or ""
            headers["X-CSRFToken"] = token
            form = {"csrfmiddlewaretoken": token, **(form or {})}
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        opener = self.follow if follow else self.nofollow
        for attempt in range(5):  # a busy server's full accept queue: retry
            try:
                with opener.open(req, timeout=30) as resp:
                    page = Page(
                        resp.status,
                        resp.url,
                        dict(resp.headers),
                        resp.read().decode("utf-8", "replace"),
                    )
                break
            except urllib.error.HTTPError as err:
                page = Page(
                    err.code,
                    url,
                    dict(err.headers),
                    err.read().decode("utf-8", "replace"),
                )
                break
            except urllib.error.URLError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * 2**attempt)
        match = CSRF_INPUT.search(page.text)
        if match:
            self.last_csrf = match.group(1)
        return page

    def get(self, path: str, **kwargs: Any) -> Page:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict[str, Any] | None = None, **kw: Any) -> Page:
        return self.request("POST", path, form, **kw)

    def set_name(self, name: str) -> None:
        """Pick a guest display name through the real PRG form."""
        self.get("/name/")
        # The form answers a valid name with a redirect (PRG) and re-renders itself
        # (200) on an error. The page it redirects to is not fetched (one request
        # less per visitor); that page would show, and so clear, the welcome flash
        # message, so its cookie is dropped here as it would have been there.
        page = self.post("/name/", {"name": name, "next": "/"}, follow=False)
        if page.status not in (301, 302, 303):
            raise RuntimeError(f"choosing the name {name!r} failed: {page.status}")
        for cookie in list(self.jar):
            if cookie.name == "messages":
                self.jar.clear(cookie.domain, cookie.path, cookie.name)


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def summary_ms(values_ns: list[int]) -> dict[str, float | None]:
    values = sorted(v / 1e6 for v in values_ns)

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    return {
        "p50_ms": r(percentile(values, 0.50)),
        "p95_ms": r(percentile(values, 0.95)),
        "p99_ms": r(percentile(values, 0.99)),
        "max_ms": r(values[-1] if values else None),
    }


def rss_kib(pid: int) -> int:
    """Resident set size of a process (and nothing else) in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by these processes (not children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
