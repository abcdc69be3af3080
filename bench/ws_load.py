"""WebSocket load generator: chat fan-out, ping-pong, echo, idle memory, live chess.

Every mode is bounded in count and time, talks to 127.0.0.1 only and prints one line
of JSON on stdout (progress goes to stderr). Protocols (`--protocol`):

- `baseline` / `plain`: the yardsticks in bench/baseline/ (`{"message": ...}`);
- `parlour`: Parlour itself, with real sessions (guest names through the name form,
  rooms and games through the site's pages) and its chat/chess protocol.

`--url` takes several servers, comma-separated (Parlour's scaled topology: one
database, one session store, one channel layer): chat clients and ping-pong seats go
round-robin over them (the two players of a ping-pong pair on different servers), and
chess game i has white (its creator) on server i mod n and black (who joins) on
server i+1 mod n, so with two servers every move crosses the channel layer.

Examples:

    python bench/ws_load.py chat --url http://127.0.0.1:8101 --protocol baseline \
        --clients 100 --senders 10 --rate 200 --messages 100
    python bench/ws_load.py chat --url http://127.0.0.1:8100,http://127.0.0.1:8103 \
        --protocol parlour --clients 500 --senders 5 --rate 100 --messages 60
    python bench/ws_load.py pingpong --url http://127.0.0.1:8102 --protocol plain
    python bench/ws_load.py chess --url http://127.0.0.1:8100,http://127.0.0.1:8103
    python bench/ws_load.py idle --url http://127.0.0.1:8101 --protocol baseline \
        --clients 1000 --server-pid 1234

Every chat message body carries a token `~b<run>.<sender>.<seq>.<send time ns>~`, so
each delivery to each client is timed and lost or duplicated deliveries are counted
exactly. Chat receivers use bench/fastws.py (a few us of CPU per frame, so that 50,000
deliveries/s do not saturate the load generator; `client_busy_max` in the result says
how close it came); `--procs N` splits them over N processes (CLOCK_MONOTONIC is one
clock for all of them). A chat load starts sending once every Parlour client has its
`welcome` (it is in the room) and the join announcements have died down; after the
sends it waits until everything arrived or nothing has for `--drain` seconds, so a
slow server's late deliveries count as late, not lost. Sockets the server closed are
counted by close code (`closed_codes`; 4008: too slow to keep up, 4503: joining
failed); the load generator does not reconnect them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fastws  # noqa: E402
from benchlib import (  # noqa: E402
    Session,
    check_local,
    cpu_seconds,
    rss_kib,
    summary_ms,
)
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

HERE = os.path.abspath(__file__)
TOKEN = re.compile(r"~b([0-9a-f]{6})\.(\d+)\.(\d+)\.(\d+)~")
TOKEN_BYTES = re.compile(TOKEN.pattern.encode())
WELCOME = re.compile(rb'^\{"type":\s*"welcome"')
PRESENCE = (b'{"type":"join"', b'{"type":"leave"', b'{"type":"typing"')
now_ns = time.monotonic_ns


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def ws_url(base: str, path: str) -> str:
    return base.replace("http", "ws", 1).rstrip("/") + path


async def open_socket(
    base: str, path: str, cookie: str | None = None
) -> tuple[ClientConnection, int]:
    headers = {"Cookie": cookie} if cookie else None
    started = now_ns()
    ws = await connect(
        ws_url(base, path),
        origin=base.rstrip("/"),
        additional_headers=headers,
        compression=None,  # daphne does not negotiate it either
        open_timeout=60,
        ping_interval=None,
        max_queue=4096,
        max_size=2**22,
    )
    return ws, now_ns() - started


async def gather_limited(
    factories: list[Callable[[], Awaitable[Any]]], limit: int
) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await factory()

    return await asyncio.gather(*(one(f) for f in factories))


def encode_message(protocol: str, body: str) -> str:
    if protocol in ("parlour", "hub"):
        return json.dumps({"type": "message", "body": body})
    return json.dumps({"message": body})


async def sessions(
    bases: str | list[str], count: int, prefix: str, first: int = 0
) -> list[Session]:
    """`count` guest visitors, each with a display name chosen through the form.

    With several servers (one database, one session store) the visitors are made
    round-robin on them, visitor i on `bases[(first + i) % len(bases)]`."""
    loop = asyncio.get_running_loop()
    urls = [bases] if isinstance(bases, str) else bases

    def make(i: int) -> Session:
        session = Session(urls[(first + i) % len(urls)])
        session.set_name(f"{prefix}{i}")
        return session

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(
            await asyncio.gather(
                *(loop.run_in_executor(pool, make, i) for i in range(count))
            )
        )


def _read_cache(path: str) -> dict[str, list[str]]:
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _write_cache(path: str, cache: dict[str, list[str]]) -> None:
    with open(f"{path}.tmp", "w") as f:
        json.dump(cache, f)
    os.replace(f"{path}.tmp", path)


async def visitor_cookies(
    args: argparse.Namespace, bases: list[str], count: int, prefix: str
) -> list[str]:
    """The Cookie headers of `count` distinct visitors. With `--session-cache`, the
    visitors made for one set of servers are kept and reused by the next loads
    (each load still has `count` different people; they were only named once)."""
    key = ",".join(bases)
    cache = await asyncio.to_thread(_read_cache, args.session_cache)
    have = cache.get(key, [])
    if len(have) < count:
        made = await sessions(bases, count - len(have), prefix, first=len(have))
        have = have + [v.cookie_header() for v in made]
        if args.session_cache:
            cache[key] = have
            await asyncio.to_thread(_write_cache, args.session_cache, cache)
    return have[:count]


def parlour_room(base: str, room: str) -> str:
    """Create (or find) a chat room through the real room form; its socket path."""
    session = Session(base)
    session.set_name(f"host{uuid.uuid4().hex[:6]}")
    session.get("/chat/")
    page = session.post("/chat/", {"name": room}, follow=False)
    location = page.headers.get("Location", "")
    match = re.search(r"/chat/([\w-]+)/", location)
    if not match:  # already exists: the list links to it
        listing = session.get("/chat/").text
        match = re.search(
            r'href="/chat/([\w-]*' + re.escape(room) + r'[\w-]*)/"', listing
        )
    if not match:
        raise RuntimeError(f"could not create the room {room!r}: {page.status}")
    return f"/ws/chat/{match.group(1)}/"


def server_pids(args: argparse.Namespace) -> list[int]:
    return [int(p) for p in str(args.server_pid or "").split(",") if p.strip()]


def cpu_fields(cpu: float, units: int, pids: list[int]) -> dict[str, Any]:
    """Server CPU per unit of work: robust when other jobs share the machine."""
    if not pids:
        return {}
    return {
        "server_cpu_s": round(cpu, 2),
        "server_cpu_us_per_unit": round(1e6 * cpu / units, 1) if units else None,
    }


# --- chat ---------------------------------------------------------------------


@dataclass
class Receiver:
    """One chat client: every delivery timed, counted once, duplicates counted."""

    run: bytes
    ws: fastws.FastSocket | None = None
    seen: set[tuple[int, int]] = field(default_factory=set)
    latencies: list[int] = field(default_factory=list)
    duplicates: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    last_delivery: int = 0
    welcomed: bool = False  # Parlour: its `welcome` came (it is in the room)
    last_frame: int = 0
    join_errors: int = 0
    join_error_samples: list[str] = field(default_factory=list)

    def feed(self, frame: bytes, arrived: int) -> None:
        self.last_frame = arrived
        if frame.startswith(PRESENCE):  # Parlour's join/leave: the member list
            return
        if not self.welcomed and WELCOME.search(frame):
            self.welcomed = True
            return
        if b'"error"' in frame:
            self.errors += 1
            if len(self.error_samples) < 3:
                self.error_samples.append(frame[:200].decode("utf-8", "replace"))
            return
        for match in TOKEN_BYTES.finditer(frame):
            if match.group(1) != self.run:
                continue  # history from an earlier run
            key = (int(match.group(2)), int(match.group(3)))
            if key in self.seen:
                self.duplicates += 1
            else:
                self.seen.add(key)
                self.latencies.append(arrived - int(match.group(4)))
                self.last_delivery = arrived

    @property
    def closed(self) -> str | None:
        """The close code if the server closed (or the connection dropped) first."""
        ws = self.ws
        if ws is None:
            return None
        if ws.server_close_code is not None:
            return str(ws.server_close_code)
        if ws.lost.done() and not ws.close_sent:
            return "1006"
        return None


async def open_receivers(
    bases: list[str], path: str, members: list[tuple[int, str | None]], run: str
) -> tuple[list[Receiver], list[int]]:
    """Open the members' sockets (member i on server i mod n), reading as they come.

    The receivers use bench/fastws.py, not `websockets`: a few us of CPU per frame
    instead of about 20, so that at 50,000 deliveries/s the load generator neither
    caps the figure nor takes the servers' CPU."""

    async def one(i: int, cookie: str | None) -> tuple[Receiver, int]:
        base = bases[i % len(bases)]
        rcv = Receiver(run.encode())
        started = now_ns()
        rcv.ws = await fastws.connect(
            ws_url(base, path),
            origin=base.rstrip("/"),
            cookie=cookie,
            on_message=rcv.feed,
        )
        return rcv, now_ns() - started

    opened = await gather_limited([lambda i=i, c=c: one(i, c) for i, c in members], 50)
    return [r for r, _ in opened], [t for _, t in opened]


async def close_receivers(receivers: list[Receiver]) -> None:
    await gather_limited(
        [lambda r=r: r.ws.close() for r in receivers if r.ws is not None], 100
    )


async def join(receivers: list[Receiver], welcome: bool, settle: float) -> float:
    """Wait until every client is in the room, then `settle` seconds; errors that
    came so far (refusals on join) are kept apart: they are not load. Returns the
    seconds spent waiting for the clients to be in the room.

    Parlour accepts the handshake before it joins the socket to the room (database
    work that lags under load), and sends `welcome` once it has joined (events that
    arrive meanwhile follow the welcome). So with `welcome` (the parlour protocol)
    the load starts only when every client has its welcome or was closed (at most
    60 s; a late join would otherwise count as lost messages) and the join
    announcements have stopped arriving (0.5 s without a frame). The yardsticks join
    before the handshake completes (Channels' group_add in connect) or right after
    it (the plain server), and send no welcome."""
    began = time.monotonic()
    if welcome:
        until = began + 60
        while time.monotonic() < until:
            if all(r.welcomed or r.closed for r in receivers):
                break
            await asyncio.sleep(0.05)
        # Every join is announced to the room with the full member list: let that
        # stream (about n^2/2 frames) run out before the load, at most 30 s more.
        until = time.monotonic() + 30
        while time.monotonic() < until:
            last = max((r.last_frame for r in receivers), default=0)
            if now_ns() - last > 500_000_000:
                break
            await asyncio.sleep(0.1)
    waited = time.monotonic() - began
    await asyncio.sleep(settle)
    for r in receivers:
        r.join_errors, r.join_error_samples = r.errors, r.error_samples
        r.errors, r.error_samples = 0, []
    return waited


async def drain(receivers: list[Receiver], sent: int, stall: float, cap: float) -> None:
    """Wait until every receiver has every message sent, or until nothing more has
    arrived for `stall` seconds (a slow server is late, not lossy: what it still
    delivers counts), and `cap` seconds at most."""
    want = sent * len(receivers)
    now = time.monotonic()
    until, last_progress, got = now + cap, now, -1
    while now < until and now - last_progress < stall:
        delivered = sum(len(r.seen) for r in receivers)
        if delivered >= want:
            return
        if delivered > got:
            got, last_progress = delivered, now
        await asyncio.sleep(0.05)
        now = time.monotonic()


def tally(receivers: list[Receiver]) -> dict[str, Any]:
    """What a group of receivers got (the raw latencies, to merge exactly)."""
    closed = Counter(r.closed for r in receivers if r.closed and r.closed != "1000")
    return {
        "clients": len(receivers),
        "delivered": sum(len(r.seen) for r in receivers),
        "duplicated": sum(r.duplicates for r in receivers),
        "errors": sum(r.errors for r in receivers),
        "error_samples": [s for r in receivers for s in r.error_samples][:3],
        # before we close anything: any close now came from the server
        "closed_early": sum(closed.values()),
        "closed_codes": dict(closed),
        "join_errors": sum(r.join_errors for r in receivers),
        "join_error_samples": [s for r in receivers for s in r.join_error_samples][:3],
        "not_welcomed": sum(1 for r in receivers if not r.welcomed),
        "last_delivery": max((r.last_delivery for r in receivers), default=0),
        "latencies": [x for r in receivers for x in r.latencies],
    }


class ChatWorker:
    """A child process (this script, mode `_chat_worker`) holding a share of a chat
    load's receivers, so that one client process's CPU does not cap the deliveries
    per second measured. One JSON line each way per step:

    parent -> {"bases", "path", "members": [[i, cookie], ...], "run", "settle"}
    worker -> {"ready": n, "connect_ns": [...]}   (connected, settled)
    parent -> {"sent": messages sent, "drain": s}
    worker -> tally()                              (all delivered, or drain over)
    parent -> {"close": true}; the worker closes its sockets and exits.

    Latencies stay exact across processes: the send time in each body and the
    arrival time are both `time.monotonic_ns()`, i.e. CLOCK_MONOTONIC, which is one
    clock for every process of the machine (Linux).
    """

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls) -> ChatWorker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            HERE,
            "_chat_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**28,  # the tally line carries every latency
        )
        return cls(proc)

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def recv(self, within: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), within)
        if not line:
            raise RuntimeError(f"chat worker {self.proc.pid} exited; see load.log")
        return json.loads(line)

    async def finish(self) -> None:
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


async def chat_worker() -> None:
    """The child side of ChatWorker (stdin/stdout JSON lines, logs on stderr)."""
    loop = asyncio.get_running_loop()

    async def read() -> dict[str, Any]:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            raise SystemExit("chat worker: the parent process went away")
        return json.loads(line)

    def write(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    spec = await read()
    for url in spec["bases"]:
        check_local(url)
    members = [(int(i), c) for i, c in spec["members"]]
    receivers, connect_ns = await open_receivers(
        spec["bases"], spec["path"], members, spec["run"]
    )
    waited = await join(receivers, spec["welcome"], spec["settle"])
    write({"ready": len(receivers), "connect_ns": connect_ns, "join_wait_s": waited})
    cpu, wall = time.process_time(), time.monotonic()
    command = await read()
    await drain(receivers, command["sent"], command["drain"], command["drain_max"])
    write(
        {
            **tally(receivers),
            "client_cpu_s": time.process_time() - cpu,
            "client_wall_s": time.monotonic() - wall,
        }
    )
    await read()  # close
    await close_receivers(receivers)


async def chat(args: argparse.Namespace) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    bases = args.url.split(",")  # several servers: clients spread round-robin
    base = bases[0]
    cookies: list[str | None] = [None] * args.clients
    path = f"/ws/{'hub' if args.protocol == 'hub' else 'chat'}/{args.room}/"
    if args.protocol == "parlour":
        path = await asyncio.to_thread(parlour_room, base, args.room)
        cookies = list(await visitor_cookies(args, bases, args.clients, f"b{run}-"))
    # The receivers are split into `--procs` processes: this one holds the senders
    # (the first clients) and its share; the other shares go to child processes.
    members = list(enumerate(cookies))
    welcome = args.protocol == "parlour"
    procs = max(1, min(args.procs, len(members)))
    share = -(-len(members) // procs)
    if args.senders > share:
        raise SystemExit("--senders must not exceed clients / --procs")
    groups = [members[k : k + share] for k in range(0, len(members), share)]
    workers: list[ChatWorker] = []
    try:
        for group in groups[1:]:
            worker = await ChatWorker.start()
            workers.append(worker)
            await worker.send(
                {
                    "bases": bases,
                    "path": path,
                    "members": group,
                    "run": run,
                    "settle": args.settle,
                    "welcome": welcome,
                }
            )
        receivers, connect_ns = await open_receivers(bases, path, groups[0], run)
        join_wait = await join(receivers, welcome, args.settle)
        clients = len(receivers)
        for worker in workers:
            ready = await worker.recv(300)
            clients += ready["ready"]
            connect_ns += ready["connect_ns"]
            join_wait = max(join_wait, ready["join_wait_s"])

        senders = receivers[: args.senders]
        log(f"chat: {clients} connected in {procs} process(es); sending")  # profilers
        pids = server_pids(args)
        cpu_before = cpu_seconds(pids)
        client_cpu, client_wall = time.process_time(), time.monotonic()
        interval = args.senders / args.rate  # seconds between two sends of one sender
        padding = "x" * max(0, args.body_size - 40)
        start = now_ns() + 50_000_000

        async def send_all(index: int, rcv: Receiver) -> int:
            assert rcv.ws is not None
            sent = 0
            offset = index * interval / len(senders)
            for seq in range(args.messages):
                due = start + int((offset + seq * interval) * 1e9)
                delay = (due - now_ns()) / 1e9
                if delay > 0:
                    await asyncio.sleep(delay)
                body = f"~b{run}.{index}.{seq}.{now_ns()}~{padding}"
                try:
                    await rcv.ws.send(encode_message(args.protocol, body))
                except ConnectionError:
                    break
                sent += 1
            return sent

        sent_counts = await asyncio.gather(
            *(send_all(i, r) for i, r in enumerate(senders))
        )
        last_send = now_ns()
        sent = sum(sent_counts)
        expected = sent * clients
        # A sender that stopped early (its socket closed) still counts all it sent:
        # every receiver is owed every message that went out.
        for worker in workers:
            await worker.send(
                {"sent": sent, "drain": args.drain, "drain_max": args.drain_max}
            )
        await drain(receivers, sent, args.drain, args.drain_max)
        parts = [
            {
                **tally(receivers),
                "client_cpu_s": time.process_time() - client_cpu,
                "client_wall_s": time.monotonic() - client_wall,
            }
        ]
        for worker in workers:
            parts.append(await worker.recv(args.drain_max + 120))
        server_cpu = cpu_seconds(pids) - cpu_before
        for worker in workers:
            await worker.send({"close": True})
        await close_receivers(receivers)
        for worker in workers:
            await worker.finish()
    finally:
        for worker in workers:
            worker.kill()

    delivered = sum(p["delivered"] for p in parts)
    latencies = [x for p in parts for x in p["latencies"]]
    last = max((p["last_delivery"] for p in parts), default=0)
    elapsed = max(last, last_send) - start
    # The load generator's own CPU over the same window, and its busiest process's
    # busy fraction: near 1.0, the client (not the server) set the pace.
    client_cpu_s = sum(p["client_cpu_s"] for p in parts)
    client_busy = max(p["client_cpu_s"] / max(p["client_wall_s"], 1e-9) for p in parts)
    return {
        "mode": "chat",
        "protocol": args.protocol,
        "clients": clients,
        "senders": len(senders),
        "rate": args.rate,
        "procs": procs,
        "sent": sent,
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicated": sum(p["duplicated"] for p in parts),
        "errors": sum(p["errors"] for p in parts),
        "error_samples": [s for p in parts for s in p["error_samples"]][:3],
        "closed_early": sum(p["closed_early"] for p in parts),
        "closed_codes": dict(
            sum((Counter(p["closed_codes"]) for p in parts), Counter())
        ),
        "join_errors": sum(p["join_errors"] for p in parts),
        "join_error_samples": [s for p in parts for s in p["join_error_samples"]][:3],
        "not_welcomed": (sum(p["not_welcomed"] for p in parts) if welcome else None),
        "join_wait_s": round(join_wait, 2),
        "deliveries_per_s": round(delivered / (elapsed / 1e9), 1) if elapsed else 0,
        "offered_per_s": args.rate * clients,
        **summary_ms(latencies),
        **cpu_fields(server_cpu, delivered, pids),
        "client_cpu_us_per_delivery": (
            round(1e6 * client_cpu_s / delivered, 1) if delivered else None
        ),
        "client_busy_max": round(client_busy, 2),
        "connect": summary_ms(connect_ns),
    }


# --- ping-pong and echo ---------------------------------------------------------


async def pingpong(args: argparse.Namespace) -> dict[str, Any]:
    """P pairs, each in its own room: A pings, B answers on seeing it, A times it."""
    run = uuid.uuid4().hex[:6]
    bases = args.url.split(",")  # several servers: A and B of a pair on different ones
    base = bases[0]
    kind = "hub" if args.protocol == "hub" else "chat"
    paths = [f"/ws/{kind}/{args.room}{run}{i}/" for i in range(args.pairs)]
    cookies: list[str | None] = [None] * (2 * args.pairs)
    if args.protocol == "parlour":
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=8) as pool:
            paths = list(
                await asyncio.gather(
                    *(
                        loop.run_in_executor(pool, parlour_room, base, f"pp{run}{i}")
                        for i in range(args.pairs)
                    )
                )
            )
        cookies = list(await visitor_cookies(args, bases, 2 * args.pairs, f"p{run}-"))
    sockets = await gather_limited(
        [
            lambda i=i: open_socket(bases[i % len(bases)], paths[i // 2], cookies[i])
            for i in range(2 * args.pairs)
        ],
        50,
    )
    await asyncio.sleep(args.settle)
    round_trips: list[int] = []
    deadline = time.monotonic() + args.duration
    lost = 0

    async def next_token(ws: ClientConnection, want: str, until: float) -> bool:
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return False
            try:
                frame = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                return False
            if isinstance(frame, str) and want in frame:
                return True

    async def pair(i: int) -> None:
        nonlocal lost
        a, b = sockets[2 * i][0], sockets[2 * i + 1][0]
        for seq in range(args.round_trips):
            if time.monotonic() > deadline:
                return
            started = now_ns()
            ping, pong = (
                f"~b{run}.{i}.{2 * seq}.{started}~",
                f"~b{run}.{i}.{2 * seq + 1}.",
            )
            await a.send(encode_message(args.protocol, ping))
            if not await next_token(b, ping, time.monotonic() + args.timeout):
                lost += 1
                return
            await b.send(encode_message(args.protocol, f"{pong}{now_ns()}~"))
            if not await next_token(a, pong, time.monotonic() + args.timeout):
                lost += 1
                return
            round_trips.append(now_ns() - started)

    pids = server_pids(args)
    cpu_before = cpu_seconds(pids)
    began = now_ns()
    await asyncio.gather(*(pair(i) for i in range(args.pairs)))
    elapsed = (now_ns() - began) / 1e9
    server_cpu = cpu_seconds(pids) - cpu_before
    for ws, _ in sockets:
        await ws.close()
    return {
        "mode": "pingpong",
        "protocol": args.protocol,
        "pairs": args.pairs,
        "round_trips": len(round_trips),
        "lost": lost,
        "round_trips_per_s": round(len(round_trips) / elapsed, 1),
        **summary_ms(round_trips),
        **cpu_fields(server_cpu, len(round_trips), pids),
    }


async def echo(args: argparse.Namespace) -> dict[str, Any]:
    """P clients, each sending and awaiting its echo, one at a time, on /ws/echo/."""
    sockets = await gather_limited(
        [lambda: open_socket(args.url, "/ws/echo/") for _ in range(args.pairs)], 50
    )
    times: list[int] = []
    deadline = time.monotonic() + args.duration

    async def one(ws: ClientConnection) -> None:
        for seq in range(args.round_trips):
            if time.monotonic() > deadline:
                return
            text = f"ping {seq}"
            started = now_ns()
            await ws.send(text)
            if await asyncio.wait_for(ws.recv(), args.timeout) != text:
                raise RuntimeError("echo mismatch")
            times.append(now_ns() - started)

    pids = server_pids(args)
    cpu_before = cpu_seconds(pids)
    began = now_ns()
    await asyncio.gather(*(one(ws) for ws, _ in sockets))
    elapsed = (now_ns() - began) / 1e9
    server_cpu = cpu_seconds(pids) - cpu_before
    for ws, _ in sockets:
        await ws.close()
    return {
        "mode": "echo",
        "protocol": args.protocol,
        "clients": args.pairs,
        "round_trips": len(times),
        "round_trips_per_s": round(len(times) / elapsed, 1),
        **summary_ms(times),
        **cpu_fields(server_cpu, len(times), pids),
    }


# --- idle memory ----------------------------------------------------------------


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    """RSS growth of the server per open, idle WebSocket (all in one room)."""
    base = args.url
    path = f"/ws/{'hub' if args.protocol == 'hub' else 'chat'}/{args.room}/"
    cookies: list[str | None] = [None] * args.clients
    if args.protocol == "parlour":
        path = await asyncio.to_thread(parlour_room, base, args.room)
        visitor = (await sessions(base, 1, f"i{uuid.uuid4().hex[:6]}-"))[0]
        # One session for all: memory per connection, not per session row.
        cookies = [visitor.cookie_header()] * args.clients
    # Warm the server up (imports, first-connection caches) before the baseline.
    warm = await gather_limited([lambda: open_socket(base, path, cookies[0])] * 5, 5)
    await asyncio.sleep(1)
    pid = server_pids(args)[0]
    before = rss_kib(pid)
    opened = await gather_limited(
        [lambda c=c: open_socket(base, path, c) for c in cookies], 50
    )
    await asyncio.sleep(args.settle + 2)
    after = rss_kib(pid)
    for ws, _ in [*opened, *warm]:
        await ws.close()
    return {
        "mode": "idle",
        "protocol": args.protocol,
        "clients": len(opened),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": round((after - before) / len(opened), 1),
        "connect": summary_ms([t for _, t in opened]),
    }


# --- chess ----------------------------------------------------------------------

# Short legal games in UCI, replayed in turn by the two seats (scripted, no engine).
GAMES = [
    "e2e4 e7e5 g1f3 b8c6 f1b5 a7a6 b5a4 g8f6 e1g1 f8e7 f1e1 b7b5 a4b3 d7d6 c2c3 e8g8"
    " h2h3 c6b8 d2d4 b8d7 c3c4 c7c6 c4b5 a6b5 b1c3 c8b7 c1g5 b5b4",
    "d2d4 g8f6 c2c4 e7e6 b1c3 f8b4 e2e3 e8g8 f1d3 d7d5 g1f3 c7c5 e1g1 b8c6 a2a3 b4c3"
    " b2c3 d8c7 c4d5 e6d5",
    "e2e4 c7c5 g1f3 d7d6 d2d4 c5d4 f3d4 g8f6 b1c3 a7a6 c1e3 e7e5 d4b3 c8e6 f2f3 f8e7"
    " d1d2 e8g8 e1c1 b8d7 g2g4 b7b5 g4g5 b5b4",
    "f2f3 e7e5 g2g4 d8h4",
]


@dataclass
class Seat:
    session: Session
    ws: ClientConnection | None = None
    colour: str = ""


async def chess(args: argparse.Namespace) -> dict[str, Any]:
    """P games; each seat plays its side of a scripted game as soon as it is its turn.

    A move's round trip runs from sending it to receiving the state that confirms it
    (version bumped, the move in the list). A move confirmed twice (two states with
    the same ply after it) or never confirmed is counted.
    """
    # With several servers (`--url a,b`), game i's white (its creator) is on server
    # i mod n and black (who joins it) on server i+1 mod n: with two, the two seats
    # of every game are on different processes, and each move crosses the layer.
    bases = args.url.split(",")
    run = uuid.uuid4().hex[:6]
    creators = await sessions(bases, args.games, f"w{run}-")
    joiners = await sessions(bases, args.games, f"k{run}-", first=1)

    def make_game(i: int) -> str:
        page = creators[i].get("/chess/")
        page = creators[i].post(
            "/chess/", {"colour": "white", "time_control": "none"}, follow=False
        )
        location = page.headers.get("Location", "")
        match = re.search(r"/chess/([\w-]+)/", location)
        if not match:
            raise RuntimeError(f"game creation failed: {page.status} {location}")
        game_path = f"/chess/{match.group(1)}/"
        joiners[i].get(game_path)
        join = joiners[i].post(f"{game_path}join/", {}, follow=False)
        if join.status not in (200, 302, 303):
            raise RuntimeError(f"joining failed: {join.status}")
        return match.group(1)

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=8) as pool:
        game_ids = await asyncio.gather(
            *(loop.run_in_executor(pool, make_game, i) for i in range(args.games))
        )
    round_trips: list[int] = []
    lost = doubled = errors = 0
    moves_done = 0

    async def play(i: int, game_id: str) -> None:
        nonlocal lost, doubled, errors, moves_done
        script = GAMES[i % len(GAMES)].split()
        seats = []
        for session in (creators[i], joiners[i]):
            ws, _ = await open_socket(
                session.base, f"/ws/chess/{game_id}/", session.cookie_header()
            )
            seats.append(ws)
        white, black = seats
        states: dict[int, list[int]] = {0: [], 1: []}
        ply_seen = [-1, -1]

        async def wait_state(seat: int, ply: int, until: float) -> bool:
            ws = seats[seat]
            while True:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                try:
                    frame = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    return False
                msg = json.loads(frame)
                if msg.get("type") == "error":
                    nonlocal errors
                    errors += 1
                    continue
                if msg.get("type") != "state":
                    continue
                n = len(msg.get("moves", []))
                states[seat].append(n)
                if n >= ply:
                    ply_seen[seat] = n
                    return True

        # both seats see the initial state; the clock starts once every game has
        # (connecting is timed apart: a burst of 100 handshakes is not move load)
        for seat in (0, 1):
            await wait_state(seat, 0, time.monotonic() + args.timeout)
        ready.append(i)
        if len(ready) == len(game_ids):
            clock["began"], clock["cpu"] = now_ns(), cpu_seconds(pids)
            log(f"chess: {len(ready)} games connected; sending")  # profilers start
            go.set()
        await asyncio.wait_for(go.wait(), 120)
        for ply, uci in enumerate(script):
            mover = ply % 2
            ws = (white, black)[mover]
            started = now_ns()
            await ws.send(json.dumps({"type": "move", "uci": uci, "ply": ply}))
            ok = await wait_state(mover, ply + 1, time.monotonic() + args.timeout)
            if not ok:
                lost += 1
                break
            round_trips.append(now_ns() - started)
            moves_done += 1
            # the opponent must see it too before it answers
            if not await wait_state(
                1 - mover, ply + 1, time.monotonic() + args.timeout
            ):
                lost += 1
                break
        for seat in (0, 1):
            counts = states[seat]
            doubled += sum(
                1 for a, b in zip(counts, counts[1:], strict=False) if a == b and a > 0
            )
        # The clock stops when the last game has played its last move; closing the
        # sockets (game over, 100 disconnects) is timed apart, as connecting is.
        played.append(i)
        if len(played) == len(game_ids):
            clock["ended"], clock["cpu_ended"] = now_ns(), cpu_seconds(pids)
            all_played.set()
        await asyncio.wait_for(all_played.wait(), 120)
        for ws in seats:
            await ws.close()

    pids = server_pids(args)
    ready: list[int] = []
    played: list[int] = []
    go, all_played = asyncio.Event(), asyncio.Event()
    clock: dict[str, Any] = {}
    connect_began = now_ns()
    await asyncio.gather(*(play(i, g) for i, g in enumerate(game_ids)))
    elapsed = (clock["ended"] - clock["began"]) / 1e9
    server_cpu = clock["cpu_ended"] - clock["cpu"]
    close_all_s = (now_ns() - clock["ended"]) / 1e9
    return {
        "mode": "chess",
        "protocol": "parlour",
        "servers": len(bases),
        "games": args.games,
        "moves": moves_done,
        "lost": lost,
        "doubled": doubled,
        "errors": errors,
        "moves_per_s": round(moves_done / elapsed, 1),
        "connect_all_s": round((clock["began"] - connect_began) / 1e9, 2),
        "close_all_s": round(close_all_s, 2),
        **summary_ms(round_trips),
        **cpu_fields(server_cpu, moves_done, pids),
    }


MODES = {"chat": chat, "pingpong": pingpong, "echo": echo, "idle": idle, "chess": chess}


def main() -> None:
    if sys.argv[1:2] == ["_chat_worker"]:  # a child of `chat --procs N`
        asyncio.run(asyncio.wait_for(chat_worker(), 900))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument(
        "--url", default="http://127.0.0.1:8000", help="comma-separated for several"
    )
    parser.add_argument(
        "--protocol", choices=["baseline", "plain", "hub", "parlour"], default="parlour"
    )
    parser.add_argument("--room", default="bench")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200.0, help="total msgs/s")
    parser.add_argument("--messages", type=int, default=100, help="per sender")
    parser.add_argument("--body-size", type=int, default=60)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--round-trips", type=int, default=200, help="per pair")
    parser.add_argument("--games", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="time cap, s")
    parser.add_argument("--timeout", type=float, default=10.0, help="per reply, s")
    parser.add_argument(
        "--drain",
        type=float,
        default=15.0,
        help="chat: after the sends, stop waiting once nothing arrived for this long",
    )
    parser.add_argument(
        "--drain-max", type=float, default=60.0, help="chat: wait after sends at most"
    )
    parser.add_argument(
        "--session-cache",
        default="",
        help="chat, ping-pong: a JSON file of visitors' cookies, made once per server"
        " set and reused by later loads (saves the name form round trips)",
    )
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument(
        "--server-pid", default="", help="server PID(s), comma-separated: CPU, RSS"
    )
    parser.add_argument(
        "--procs",
        type=int,
        default=1,
        help="chat: client processes the receivers are split into (at most 8)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for url in args.url.split(","):
        check_local(url)
    random.seed(args.seed)
    if args.clients > 5000 or args.pairs > 1000 or args.games > 500:
        raise SystemExit("bounded: at most 5000 clients, 1000 pairs, 500 games")
    if not 1 <= args.procs <= 8:
        raise SystemExit("bounded: --procs from 1 to 8")
    if args.mode == "idle" and not args.server_pid:
        raise SystemExit("idle mode needs --server-pid")
    result = asyncio.run(asyncio.wait_for(MODES[args.mode](args), 600))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
