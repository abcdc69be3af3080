"""Roulette place-bet PRG round trip against the bare view, on one daphne.

Starts a daphne (production-like settings, a fresh temporary SQLite file) on a free
127.0.0.1 port, or targets ``--url``; then, interleaved over ``--rounds`` rounds, runs
for ``--duration`` seconds each, sequentially (one client) and with ``--concurrency``
clients (one keep-alive connection and one session each):

- ``healthz``: GET /healthz, the bare view (the yardstick);
- ``table``: GET /roulette/ (the table page, with the client's session);
- ``prg``: one place-bet PRG round trip = POST /roulette/bets/ (5 chips on red, with
  the CSRF token and the wallet version of the page) -> 302 -> GET /roulette/ (the
  page that carries the next version). One round trip is two HTTP requests; both
  figures are reported. Every ``--spin-every`` bets the client spins (also a PRG
  round trip: POST /roulette/spin/ + GET), and resets its bankroll when bankrupt;
  those housekeeping round trips are counted apart and their time is not removed,
  so ``bet round trips/s`` is conservative.

Each figure is the median over the rounds; the server's CPU time per request (from
/proc) is printed too, as it is much less sensitive to other load on the machine
than requests/s. Django's ASGI handler runs each request's sync code (middleware and
view) in a one-thread executor of its own (a ``ThreadSensitiveContext`` per request),
so concurrent requests share one process and its GIL: each scenario is compared with
/healthz at the same concurrency on the same server process.

    .venv/bin/python bench/roulette_prg_profile.py              # starts its own daphne
    .venv/bin/python bench/roulette_prg_profile.py --url http://127.0.0.1:8100 --pid N
    .venv/bin/python bench/roulette_prg_profile.py --py-spy /tmp/prg.txt  # profile prg
    .venv/bin/python bench/roulette_prg_profile.py --hold-db  # SQLite experiment
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import DaphneServer, manage, server_env  # noqa: E402

VERSION = re.compile(rb'name="version" value="(\d+)"')
BANKRUPT = b'action="/roulette/reset/"'
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (and its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Client:
    """One keep-alive HTTP/1.1 connection with a cookie jar, like one browser tab."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.origin = f"http://{host}:{port}"
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port
            )
        assert self.reader is not None
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.cookies:
            lines.append(
                "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            )
        if method == "POST":
            lines += [
                f"Origin: {self.origin}",
                f"X-CSRFToken: {self.cookies.get('csrftoken', '')}",
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length, chunked, close = None, False, False
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and value.lower() == "chunked":
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                self._store_cookie(value)
        if length is not None:
            data = await self.reader.readexactly(length)
        elif chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                parts.append((await self.reader.readexactly(size + 2))[:-2])
                if size == 0:
                    break
            data = b"".join(parts)
        else:
            data, close = await self.reader.read(), True
        if close:
            self.close()
        return int(status_line.split()[1]), data

    def _store_cookie(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
            if expired or not morsel.value or morsel.value == '""':
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Player:
    """A client at the roulette table: knows the version its page was rendered with."""

    def __init__(self, client: Client, spin_every: int) -> None:
        self.client = client
        self.spin_every = spin_every
        self.version = ""
        self.bets_since_spin = 0
        self.last_page = b""
        self.counts: Counter[str] = Counter()

    def _read(self, page: bytes) -> bytes:
        match = VERSION.search(page)
        if match:
            self.version = match[1].decode()
        return page

    async def sit_down(self) -> None:
        status, page = await self.client.request("GET", "/roulette/")
        assert status == 200, status
        self.last_page = self._read(page)

    async def prg(self, path: str, form: dict[str, str]) -> tuple[int, bytes]:
        """POST, then GET the page the redirect names (the browser's PRG)."""
        status, page = await self.client.request(
            "POST", path, {"version": self.version, **form}
        )
        self.counts[f"POST {path} {status}"] += 1
        if status == 302:
            status, page = await self.client.request("GET", "/roulette/")
            self.counts[f"GET /roulette/ {status}"] += 1
        return status, self._read(page)

    async def bet_round_trip(self) -> None:
        """One counted place-bet round trip, with spins and resets as needed first."""
        while True:
            if BANKRUPT in self.last_page:
                _, self.last_page = await self.prg("/roulette/reset/", {})
                self.counts["reset round trips"] += 1
            elif self.bets_since_spin >= self.spin_every:
                _, self.last_page = await self.prg("/roulette/spin/", {})
                self.counts["spin round trips"] += 1
                self.bets_since_spin = 0
            else:
                status, self.last_page = await self.prg(
                    "/roulette/bets/", {"spot": "red", "chip": "5"}
                )
                if status == 200:
                    self.bets_since_spin += 1
                    return
                # Refused (not enough chips, limit): spin or reset, then try again.
                self.counts["refused bets"] += 1
                self.bets_since_spin = self.spin_every


async def run_scenario(
    scenario: str, host: str, port: int, clients: int, duration: float, pid: int | None
) -> dict[str, Any]:
    conns = [Client(host, port) for _ in range(clients)]
    players = [Player(conn, ARGS.spin_every) for conn in conns]
    if scenario != "healthz":
        await asyncio.gather(*(p.sit_down() for p in players))
    latencies: list[float] = []
    units = 0
    deadline = time.monotonic() + duration

    async def worker(player: Player) -> None:
        nonlocal units
        while time.monotonic() < deadline:
            started = time.perf_counter()
            if scenario == "healthz":
                status, _ = await player.client.request("GET", "/healthz")
                assert status == 200, status
            elif scenario == "table":
                status, _ = await player.client.request("GET", "/roulette/")
                assert status == 200, status
            else:
                await player.bet_round_trip()
            latencies.append(time.perf_counter() - started)
            units += 1

    cpu_before = server_cpu(pid) if pid else 0.0
    began = time.monotonic()
    await asyncio.gather(*(worker(p) for p in players))
    elapsed = time.monotonic() - began
    cpu = server_cpu(pid) - cpu_before if pid else 0.0
    for conn in conns:
        conn.close()
    counts: Counter[str] = Counter()
    for player in players:
        counts.update(player.counts)
    requests = (
        units
        if scenario != "prg"
        else sum(n for key, n in counts.items() if key.startswith(("POST", "GET")))
    )
    latencies.sort()
    return {
        "units_per_s": units / elapsed,
        "requests_per_s": requests / elapsed,
        "units": units,
        "requests": requests,
        "p50_ms": 1e3 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1e3 * latencies[int(len(latencies) * 0.99)] if latencies else None,
        "server_cpu_ms_per_request": 1e3 * cpu / max(requests, 1) if pid else None,
        "counts": dict(counts),
    }


async def main_async(url: str, pid: int | None) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    raw: dict[str, list[dict[str, Any]]] = {}
    for _ in range(ARGS.rounds):
        for clients in (1, ARGS.concurrency):
            for scenario in ("healthz", "table", "prg"):
                result = await run_scenario(
                    scenario, host, port, clients, ARGS.duration, pid
                )
                raw.setdefault(f"{scenario} c={clients}", []).append(result)
    summary: dict[str, Any] = {}
    for key, runs in raw.items():
        summary[key] = {
            field: round(statistics.median(r[field] for r in runs), 2)
            for field in (
                "units_per_s",
                "requests_per_s",
                "p50_ms",
                "p99_ms",
                "server_cpu_ms_per_request",
            )
            if runs[0][field] is not None
        }
        summary[key]["counts"] = sum((Counter(r["counts"]) for r in runs), Counter())
    for clients in (1, ARGS.concurrency):
        bare = summary[f"healthz c={clients}"]["requests_per_s"]
        for scenario in ("table", "prg"):
            entry = summary[f"{scenario} c={clients}"]
            entry["ratio_requests"] = round(entry["requests_per_s"] / bare, 3)
            entry["ratio_units"] = round(entry["units_per_s"] / bare, 3)
    return summary


def print_table(summary: dict[str, Any]) -> None:
    print(
        f"{'scenario':<14}{'units/s':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'cpu ms/req':>12}{'ratio req':>11}{'ratio unit':>11}"
    )
    for key, entry in summary.items():
        cpu = entry.get("server_cpu_ms_per_request")
        print(
            f"{key:<14}{entry['units_per_s']:>9.1f}{entry['requests_per_s']:>9.1f}"
            f"{entry['p50_ms']:>9.1f}{entry['p99_ms']:>9.1f}"
            f"{(f'{cpu:.2f}' if cpu is not None else '-'):>12}"
            f"{entry.get('ratio_requests', 1.0):>11.3f}"
            f"{entry.get('ratio_units', 1.0):>11.3f}"
        )
    print("(prg: a unit is one place-bet round trip = POST + GET = 2 requests)")


def start_server(workdir: Path) -> DaphneServer:
    db = workdir / "bench.sqlite3"
    env = server_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="roulette-bench-only-secret-key-0123456789abcdefghijkl",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        PARLOUR_SQLITE_PATH=str(db),
        **ARGS.env,
    )
    manage("migrate", "--no-input", env=env)
    return DaphneServer(env).start(workdir)


def parse_env(items: list[str]) -> dict[str, str]:
    pairs = dict(item.split("=", 1) for item in items)
    for key in pairs:
        if not key.startswith(("DJANGO_", "PARLOUR_")):
            raise SystemExit(f"--env takes DJANGO_* or PARLOUR_* variables, not {key}")
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="target a running server instead of starting one")
    parser.add_argument("--pid", type=int, help="server PID, for CPU per request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spin-every", type=int, default=20)
    parser.add_argument(
        "--env", action="append", default=[], help="KEY=VALUE for the started server"
    )
    parser.add_argument(
        "--py-spy", metavar="FILE", help="record the server with py-spy (raw stacks)"
    )
    parser.add_argument(
        "--hold-db",
        action="store_true",
        help="keep one extra SQLite connection open to the started server's database "
        "(an experiment: then no request's connection is the last one to close, so "
        "SQLite skips the checkpoint and WAL deletion it does on last close)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line only")
    global ARGS
    ARGS = parser.parse_args()
    ARGS.env = parse_env(ARGS.env)
    if not 1 <= ARGS.concurrency <= 32 or ARGS.duration > 60 or ARGS.rounds > 9:
        raise SystemExit("bounded: 1-32 clients, at most 60 s and 9 rounds")
    server = None
    spy = None
    held: sqlite3.Connection | None = None
    with tempfile.TemporaryDirectory(prefix="roulette-bench-") as tmp:
        try:
            if ARGS.url:
                url, pid = ARGS.url, ARGS.pid
                if urlsplit(url).hostname != "127.0.0.1":
                    raise SystemExit("the bench targets 127.0.0.1 only")
            else:
                server = start_server(Path(tmp))
                assert server.process is not None
                url, pid = server.url, server.process.pid
                if ARGS.hold_db:
                    held = sqlite3.connect(Path(tmp) / "bench.sqlite3")
                    held.execute("SELECT count(*) FROM django_migrations").fetchone()
            if ARGS.py_spy:
                py_spy = shutil.which("py-spy") or str(
                    Path(sys.executable).parent / "py-spy"
                )
                spy = subprocess.Popen(
                    [
                        py_spy,
                        "record",
                        "--format",
                        "raw",
                        "--rate",
                        "200",
                        "--pid",
                        str(pid),
                        "--output",
                        ARGS.py_spy,
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            summary = asyncio.run(main_async(url, pid))
        finally:
            if spy is not None:
                spy.send_signal(2)
                spy.wait(timeout=30)
            if server is not None:
                server.stop()
            if held is not None:
                held.close()
    if ARGS.json:
        print(json.dumps(summary))
    else:
        print_table(summary)
        print(json.dumps(summary))


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
