"""HTTP load: requests/s of Parlour's real flows against a bare view on the same server.

Scenarios (each `--concurrency` keep-alive connections for `--duration` seconds,
127.0.0.1 only, one line of JSON on stdout):

- `healthz`: GET /healthz, the bare Django view (the yardstick);
- `lobby`: GET /chess/, the chess lobby page, as a visitor with a display name;
- `bet`: the roulette place-bet PRG round trip: POST /roulette/bets/ (a chip on red,
  with the CSRF token and the wallet version of the page) -> 302 -> GET /roulette/,
  whose form carries the next version; like a browser, the GET carries the flash
  message cookie the POST set. When the bankroll or the table limit refuses a bet,
  the worker spins (another PRG round trip) and goes on.

The scenarios take turns in `--slices` short slices (interleaved), so that a drift in
the machine's speed weighs on all of them alike.

    python bench/http_load.py healthz lobby bet --url http://127.0.0.1:8100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import Session, check_local, cpu_seconds, summary_ms  # noqa: E402

VERSION = re.compile(r'name="version" value="(\d+)"')
CHIP = re.compile(r'name="chip" value="(\d+)"')
FLASH = re.compile(r"^(messages=[^;]+)", re.MULTILINE)


class Conn:
    """One keep-alive HTTP/1.1 connection (Content-Length or chunked bodies)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port
            )
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        got: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                if key == "set-cookie" and key in got:  # keep them all
                    value = f"{got[key]}\n{value.strip()}"
                got[key] = value.strip()
        if "content-length" in got:
            data = await self.reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await self.reader.read()
            self.close()
        if got.get("connection", "").lower() == "close":
            self.close()
        return status, got, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Visitor:
    """A session made through the real name form; its cookies go on every request."""

    def __init__(self, base: str, name: str) -> None:
        self.session = Session(base)
        self.session.set_name(name)
        self.cookie = self.session.cookie_header()
        self.csrf = self.session.cookie("csrftoken") or ""
        self.base = base.rstrip("/")

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.cookie, "Origin": self.base, **extra}


class Scenario:
    """One scenario's connections, per-worker table state and running totals, kept
    across the time slices it is run in."""

    def __init__(self, name: str, args: argparse.Namespace, host: str, port: int):
        self.name = name
        self.conns = [Conn(host, port) for _ in range(args.concurrency)]
        self.version = [""] * args.concurrency
        self.chip = [""] * args.concurrency
        self.refused_last = [False] * args.concurrency
        self.latencies: list[int] = []
        self.statuses: Counter[str] = Counter()
        self.flows = self.requests = self.refused = 0
        self.elapsed = self.cpu = 0.0

    def close(self) -> None:
        for conn in self.conns:
            conn.close()


async def run_slice(
    state: Scenario, duration: float, visitors: list[Visitor], pids: list[int]
) -> None:
    """Run the scenario's workers for `duration` seconds, adding to its totals."""
    scenario = state.name
    deadline = time.monotonic() + duration

    async def worker(i: int) -> None:
        conn = state.conns[i]
        visitor = visitors[i] if visitors else None
        if scenario == "bet" and not state.version[i]:
            assert visitor is not None
            status, _, page = await conn.request(
                "GET", "/roulette/", visitor.headers(Accept="text/html")
            )
            text = page.decode()
            chips = sorted(int(c) for c in CHIP.findall(text))
            found = VERSION.search(text)
            if status != 200 or found is None or not chips:
                state.statuses[f"table page {status}, no bet form"] += 1
                return
            # The smallest chip an even-money bet accepts (outside minimum: 5).
            state.version[i] = found[1]
            state.chip[i] = str(next((c for c in chips if c >= 5), chips[-1]))
        while time.monotonic() < deadline:
            started = time.monotonic_ns()
            if scenario == "healthz":
                status, _, _ = await conn.request("GET", "/healthz", {})
                state.statuses[str(status)] += 1
                state.requests += 1
            elif scenario == "lobby":
                assert visitor is not None
                status, _, _ = await conn.request("GET", "/chess/", visitor.headers())
                state.statuses[str(status)] += 1
                state.requests += 1
            else:
                assert visitor is not None
                version, chip = state.version[i], state.chip[i]
                form = {"version": version, "spot": "red", "chip": chip}
                path = "/roulette/bets/"
                if state.refused_last[i]:
                    form, path = {"version": state.version[i]}, "/roulette/spin/"
                status, headers, _ = await conn.request(
                    "POST",
                    path,
                    visitor.headers(
                        **{
                            "Content-Type": "application/x-www-form-urlencoded",
                            "X-CSRFToken": visitor.csrf,
                        }
                    ),
                    urlencode(form).encode(),
                )
                state.statuses[f"POST {status}"] += 1
                state.refused_last[i] = status == 400
                if status == 400:
                    state.refused += 1
                # Like a browser, the GET carries the flash message the POST set
                # (the page shows it and clears the cookie).
                flash = FLASH.search(headers.get("set-cookie", ""))
                cookie = visitor.cookie + (f"; {flash[1]}" if flash else "")
                status, _, page = await conn.request(
                    "GET", "/roulette/", {**visitor.headers(), "Cookie": cookie}
                )
                state.statuses[f"GET {status}"] += 1
                match = VERSION.search(page.decode())
                if match:
                    state.version[i] = match[1]
                state.requests += 2
            state.latencies.append(time.monotonic_ns() - started)
            state.flows += 1

    cpu_before = cpu_seconds(pids) if pids else 0.0
    began = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(len(state.conns))))
    state.elapsed += time.monotonic() - began
    if pids:
        state.cpu += cpu_seconds(pids) - cpu_before


def summary(state: Scenario, args: argparse.Namespace, pids: list[int]) -> dict:
    elapsed = max(state.elapsed, 1e-9)
    result = {
        "scenario": state.name,
        "concurrency": args.concurrency,
        "flows": state.flows,
        "requests": state.requests,
        "flows_per_s": round(state.flows / elapsed, 1),
        "requests_per_s": round(state.requests / elapsed, 1),
        "refused_bets": state.refused,
        "failed": state.flows == 0,
        "statuses": dict(state.statuses),
        **summary_ms(state.latencies),
    }
    if pids:
        result["server_cpu_ms_per_request"] = round(
            1e3 * state.cpu / max(state.requests, 1), 2
        )
    return result


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    visitors: list[Visitor] = []
    if set(args.scenarios) & {"lobby", "bet"}:
        run_id = uuid.uuid4().hex[:6]
        visitors = await asyncio.gather(
            *(
                asyncio.to_thread(Visitor, args.url, f"h{run_id}-{i}")
                for i in range(args.concurrency)
            )
        )
    pids = [int(p) for p in str(args.server_pid or "").split(",") if p.strip()]
    states = {name: Scenario(name, args, host, port) for name in args.scenarios}
    # The scenarios take turns in short slices, so a machine whose speed drifts
    # (other jobs, a shared host) weighs on all of them alike: only their ratio
    # to the bare view matters.
    for _ in range(args.slices):
        for state in states.values():
            await run_slice(state, args.duration / args.slices, visitors, pids)
    results = {}
    for name, state in states.items():
        state.close()
        results[name] = summary(state, args, pids)
    base = results.get("healthz", {}).get("requests_per_s")
    if base:
        for res in results.values():
            res["ratio_to_healthz"] = round(res["requests_per_s"] / base, 3)
            res["flow_ratio_to_healthz"] = round(res["flows_per_s"] / base, 3)
    return {"mode": "http", "url": args.url, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios", nargs="+", choices=["healthz", "lobby", "bet"], metavar="scenario"
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=8.0, help="per scenario")
    parser.add_argument(
        "--slices", type=int, default=8, help="turns each scenario takes (interleaved)"
    )
    parser.add_argument("--server-pid", default="")
    args = parser.parse_args()
    check_local(args.url)
    if args.concurrency > 200 or args.duration > 120 or not 1 <= args.slices <= 100:
        raise SystemExit("bounded: at most 200 connections and 120 s per scenario")
    print(json.dumps(asyncio.run(main_async(args))), flush=True)


if __name__ == "__main__":
    main()
