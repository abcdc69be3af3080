"""Races on one betting session, against PostgreSQL and several daphne processes.

Django runs sync views one at a time per process (asgiref's thread-sensitive
executor), so real concurrency needs several processes sharing the database, as in
the scaled deployment. Requests are spread over three daphnes and released together.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.support import DaphneServer, LiveClient

pytestmark = pytest.mark.services

PROCESSES = 3


@pytest.fixture(scope="module")
def pg_servers(
    postgres_url: str, daphne_factory: Callable[..., DaphneServer]
) -> Iterator[list[DaphneServer]]:
    """Three daphne processes on one fresh PostgreSQL database."""
    import psycopg

    name = f"parlour_roulette_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlparse(postgres_url)._replace(path=f"/{name}").geturl()
    servers = [
        daphne_factory(migrate=i == 0, DATABASE_URL=url) for i in range(PROCESSES)
    ]
    yield servers
    for server in servers:
        server.stop()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job at once (a barrier releases them together)."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], Any]) -> Any:
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def on(server: DaphneServer, session: dict[str, Any], path: str) -> str:
    """The same betting session's URL on another process."""
    return f"{server.url}/roulette/api/sessions/{session['id']}/{path}"


def test_parallel_bets_never_overdraw_and_parallel_spins_settle_once(pg_servers):
    first = pg_servers[0]
    status, session = call("POST", f"{first.url}/roulette/api/sessions/", {})
    assert status == 201 and session["bankroll"] == 1000

    # 36 bets of 100 chips race for a 1000-chip bankroll: exactly 10 fit.
    bets = [
        (lambda i=i: call(
            "POST",
            on(pg_servers[i % PROCESSES], session, "bets/"),
            {"spot": f"straight:{i + 1}", "amount": 100},  # a spot each: only
        ))                                                  # the chips limit
        for i in range(36)
    ]  # fmt: skip
    results = together(bets)
    codes = Counter(code for code, _ in results)
    assert codes == {201: 10, 400: 26}, codes
    assert all(
        "Not enough chips" in body["error"] for code, body in results if code == 400
    )
    _, state = call("GET", on(first, session, ""))
    assert state["bankroll"] == 0 and state["on_table"] == 1000

    # Ten spins race: one settles the ten bets, the others find nothing to spin for.
    spins = [
        (lambda i=i: call("POST", on(pg_servers[i % PROCESSES], session, "spins/")))
        for i in range(10)
    ]
    results = together(spins)
    codes = Counter(code for code, _ in results)
    assert codes == {201: 1, 400: 9}, codes
    (spin,) = [body for code, body in results if code == 201]
    assert len(spin["bets"]) == 10 and spin["staked"] == 1000

    _, state = call("GET", on(first, session, ""))
    _, listed = call("GET", on(first, session, "bets/"))
    nets = [bet["net"] for bet in listed["bets"]]
    assert len(nets) == 10 and None not in nets
    assert state["bankroll"] == spin["returned"] == 1000 + sum(nets)
    assert state["bankroll"] >= 0 and state["on_table"] == 0


def test_interleaved_bets_and_spins_keep_an_exact_ledger(pg_servers):
    first = pg_servers[0]
    status, session = call(
        "POST", f"{first.url}/roulette/api/sessions/", {"bankroll": 300}
    )
    assert status == 201

    def player(i: int) -> Counter:
        outcomes: Counter = Counter()
        server = pg_servers[i % PROCESSES]
        for _ in range(8):
            code, _ = call(
                "POST", on(server, session, "bets/"), {"spot": "red", "amount": 25}
            )
            outcomes[f"bet {code}"] += 1
            code, _ = call("POST", on(server, session, "spins/"))
            outcomes[f"spin {code}"] += 1
        return outcomes

    totals = sum(together([lambda i=i: player(i) for i in range(6)]), Counter())
    assert set(totals) <= {"bet 201", "bet 400", "spin 201", "spin 400"}

    _, state = call("GET", on(first, session, ""))
    _, listed = call("GET", on(first, session, "bets/"))
    placed = listed["bets"]
    assert len(placed) == totals["bet 201"]  # every accepted bet exists, once
    settled = [bet for bet in placed if bet["status"] != "open"]
    still_open = [bet for bet in placed if bet["status"] == "open"]
    # Exact ledger: the bankroll is the start plus every settled net minus the
    # stakes still on the table; nothing lost, nothing paid twice.
    assert state["bankroll"] == 300 + sum(b["net"] for b in settled) - sum(
        b["amount"] for b in still_open
    )
    assert state["bankroll"] >= 0
    assert state["on_table"] == sum(b["amount"] for b in still_open)
    assert state["round"] - 1 == totals["spin 201"]


def test_replayed_table_form_places_and_spins_once_across_processes(pg_servers):
    """Twelve copies of one form (same version), sent at once to three processes."""
    owner = LiveClient(pg_servers[0].url)
    owner.get("/roulette/")  # a look: the csrftoken cookie, but no visitor yet
    # The first action makes the visitor (the session cookie the tabs copy).
    owner.post("/roulette/wheel-type/", {"wheel": "american", "version": "0"})
    assert owner.session_key

    def tab(server: DaphneServer) -> LiveClient:
        client = LiveClient(server.url)  # same cookies: the same visitor
        for cookie in owner.cookies:
            client.cookies.set_cookie(cookie)
        return client

    def version() -> str:
        html = owner.get("/roulette/").text
        return html.split('name="version" value="', 1)[1].split('"', 1)[0]

    form = {"spot": "straight:17", "chip": "5", "version": version()}
    tabs = [tab(pg_servers[i % PROCESSES]) for i in range(12)]
    results = together(
        [lambda t=t: t.post("/roulette/bets/", dict(form), follow=False) for t in tabs]
    )
    assert {r.status for r in results} == {302}
    html = owner.get("/roulette/").text
    assert 'data-testid="bankroll">995<' in html
    assert 'data-testid="on-table">5<' in html

    spin_form = {"version": version()}
    results = together(
        [
            lambda t=t: t.post("/roulette/spin/", dict(spin_form), follow=False)
            for t in tabs
        ]
    )
    assert {r.status for r in results} == {302}
    html = owner.get("/roulette/").text
    assert 'data-testid="on-table">0<' in html
    result_panel = html.split('class="rl-panel rl-result"', 1)[1].split(
        "</section>", 1
    )[0]
    settled_rows = result_panel.count('<tr class="is-win">') + result_panel.count(
        '<tr class="is-loss">'
    )
    assert settled_rows == 1  # the one bet, settled by exactly one spin
    assert "Staked 5<" in result_panel
    bankroll = int(html.split('data-testid="bankroll">', 1)[1].split("<", 1)[0])
    assert bankroll in (995, 995 + 180)  # lost, or won 35 to 1 once: never twice
    assert "(round 1)" in html and "Round</dt><dd>2<" in html
