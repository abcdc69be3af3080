"""Targets, medians and ratios from bench/run_all.sh's raw JSON lines (Markdown out).

python bench/summarize.py bench/results/<stamp>/raw.jsonl

The targets (issue 11) are checked for both topologies of Parlour: embedded (one
daphne, SQLite, in-memory layer) and scaled (two daphne processes, PostgreSQL, Redis
Pub/Sub layer; the one that counts). Lost and duplicated counts are the worst run's;
latencies, rates and ratios are medians over the runs (ratios: of the per-run
ratios, each between two loads of the same run). A load that failed in some run makes
its targets FAIL; one never measured makes them n/a. Older raw files (other labels,
e.g. the Redis core layer's Parlour rows or the echo loads) still print: their rows
appear in the medians tables, and targets without data say n/a.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]

# label prefixes per topology: (chat 100, chat 500, chess, HTTP, plain at 500)
EMBEDDED = {
    "name": "embedded (1 process, SQLite, in-memory layer)",
    "chat": "chat/parlour",
    "chat500": "chat500/parlour",
    "chess": "chess/parlour",
    "http": "http/parlour",
    "plain500": ["chat500/plain"],
}
SCALED = {
    "name": "scaled (2 processes, PostgreSQL, Redis Pub/Sub)",
    "chat": "redis-chat/parlour-pubsub-2proc",
    "chat500": "redis-chat500/parlour-pubsub-2proc",
    "chess": "redis-chess/parlour-pubsub-2proc",
    "http": "redis-http/parlour-pubsub-1of2",
    # the plain server's 500-client load run right before Parlour's in the scaled
    # phase; older or partial raw files only have the embedded phase's
    "plain500": ["chat500/plain-scaled-phase", "chat500/plain"],
}
CHAT_P99_MS = 50.0
CHAT500_RATIO = 0.95
HTTP_RATIO = 0.5
BUSY_WARN = 0.9


def load(path: str) -> tuple[dict[str, list[Row]], dict[str, int]]:
    """Results per label (each with its run number as `_run`) and failed runs."""
    runs: dict[str, list[Row]] = defaultdict(list)
    failed: dict[str, int] = defaultdict(int)
    with open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            result = dict(row["result"])
            result["_run"] = row.get("run")
            runs[row["label"]].append(result)
            if "error" in result:
                failed[row["label"]] += 1
    return runs, failed


def ok_rows(runs: dict[str, list[Row]], label: str) -> list[Row]:
    return [r for r in runs.get(label, []) if "error" not in r]


def dig(row: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        row = row.get(key) if isinstance(row, dict) else None
    return row


def values(rows: list[Row], *keys: str) -> list[float]:
    found = (dig(row, keys) for row in rows)
    return [v for v in found if isinstance(v, int | float) and not isinstance(v, bool)]


def med(rows: list[Row], *keys: str) -> float | None:
    found = values(rows, *keys)
    return statistics.median(found) if found else None


def worst(rows: list[Row], *keys: str) -> float | None:
    found = values(rows, *keys)
    return max(found) if found else None


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100 or digits == 0:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def spread(found: list[float], digits: int = 1, unit: str = "") -> str:
    """The median, and the range when there are several runs."""
    if not found:
        return "n/a"
    text = f"{fmt(statistics.median(found), digits)}{unit}"
    low, high = fmt(min(found), digits), fmt(max(found), digits)
    if low != high:
        text += f" (runs {low}-{high})"
    return text


def http_rows(rows: list[Row], scenario: str) -> list[Row]:
    found = []
    for row in rows:
        res = (row.get("results") or {}).get(scenario)
        if isinstance(res, dict) and not res.get("failed"):
            found.append({**res, "_run": row.get("_run")})
    return found


def closed_text(rows: list[Row]) -> str:
    """The worst run's sockets closed by the server, by close code (4008: too slow,
    4503: joining failed), and how many of them never got their `welcome`."""
    row = max(rows, key=lambda r: r.get("closed_early") or 0, default=None)
    if not row or not row.get("closed_early"):
        return ""
    codes = row.get("closed_codes") or {}
    by_code = ", ".join(f"{code} x{n}" for code, n in sorted(codes.items()))
    text = f"{row['closed_early']} sockets closed by the server"
    if by_code:
        text += f" ({by_code})"
    if row.get("not_welcomed"):
        text += f", {row['not_welcomed']} before their welcome"
    return text


# --- medians tables ---------------------------------------------------------------


def chat_table(runs: dict[str, list[Row]], title: str, labels: list[tuple[str, str]]):
    out = [
        f"## {title}",
        "",
        "| server | deliveries/s | p50 ms | p95 ms | p99 ms | max ms "
        "| lost (worst) | duplicated (worst) | errors | closed by server (worst) "
        "| server CPU us/delivery | client busy (max) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    shown = 0
    for label, name in labels:
        rows = ok_rows(runs, label)
        if not rows:
            continue
        shown += 1
        out.append(
            f"| {name} | {fmt(med(rows, 'deliveries_per_s'), 0)} "
            f"| {fmt(med(rows, 'p50_ms'))} | {fmt(med(rows, 'p95_ms'))} "
            f"| {fmt(med(rows, 'p99_ms'))} | {fmt(med(rows, 'max_ms'))} "
            f"| {fmt(worst(rows, 'lost'), 0)} | {fmt(worst(rows, 'duplicated'), 0)} "
            f"| {fmt(worst(rows, 'errors'), 0)} "
            f"| {fmt(worst(rows, 'closed_early'), 0)} "
            f"| {fmt(med(rows, 'server_cpu_us_per_unit'))} "
            f"| {fmt(worst(rows, 'client_busy_max'), 2)} |"
        )
    return [*out, ""] if shown else []


CHAT100 = [
    ("chat/plain", "plain websockets"),
    ("chat/baseline", "minimal Channels (in-memory)"),
    ("chat/hub", "tutorial room on Parlour's hub (no DB)"),
    ("chat/parlour", "Parlour, embedded (1 process, SQLite)"),
    ("redis-chat/parlour-pubsub-2proc", "Parlour, scaled (2 processes, Pub/Sub)"),
    ("redis-chat/parlour-core-2proc", "Parlour, 2 processes, Redis core"),
    ("redis-chat/baseline-core", "minimal Channels, Redis core"),
]
CHAT500 = [
    ("chat500/plain", "plain websockets (embedded phase)"),
    ("chat500/parlour", "Parlour, embedded (1 process, SQLite)"),
    ("chat500/plain-scaled-phase", "plain websockets (scaled phase)"),
    ("redis-chat500/parlour-pubsub-2proc", "Parlour, scaled (2 processes, Pub/Sub)"),
]
ROUND_TRIPS = [
    ("pingpong/plain", "ping-pong, 50 pairs", "plain websockets"),
    ("pingpong/baseline", "ping-pong, 50 pairs", "minimal Channels (in-memory)"),
    ("pingpong/parlour", "ping-pong, 50 pairs", "Parlour chat, embedded"),
    (
        "redis-pingpong/parlour-pubsub-2proc",
        "ping-pong, 50 pairs",
        "Parlour chat, scaled (Pub/Sub)",
    ),
    ("redis-pingpong/parlour-core-2proc", "ping-pong, 50 pairs", "Parlour 2p core"),
    ("redis-pingpong/baseline-core", "ping-pong, 50 pairs", "minimal Channels, core"),
    ("echo/plain", "echo, 10 clients", "plain websockets"),
    ("echo/baseline", "echo, 10 clients", "minimal Channels"),
    ("echo/parlour", "echo, 10 clients", "Parlour /ws/echo/"),
    ("chess/parlour", "chess moves, 50 games", "Parlour chess, embedded"),
    (
        "redis-chess/parlour-pubsub-2proc",
        "chess moves, 50 games",
        "Parlour chess, scaled (white and black on different processes)",
    ),
]
HTTP_SERVERS = [
    ("http/parlour", "embedded"),
    ("redis-http/parlour-pubsub-1of2", "scaled, process 1 of 2"),
]
HTTP_FLOWS = [
    ("healthz", "bare view /healthz"),
    ("lobby", "chess lobby page"),
    ("bet", "roulette place-bet PRG (POST + GET)"),
]


def round_trip_table(runs: dict[str, list[Row]]) -> list[str]:
    out = [
        "## Round trips",
        "",
        "| load | server | per s | p50 ms | p99 ms | lost | server CPU us/unit |",
        "|---|---|---|---|---|---|---|",
    ]
    shown = 0
    for label, load_name, name in ROUND_TRIPS:
        rows = ok_rows(runs, label)
        if not rows:
            continue
        shown += 1
        per_s = med(rows, "moves_per_s") or med(rows, "round_trips_per_s")
        lost = worst(rows, "lost")
        if "chess" in label:
            lost_text = f"{fmt(lost, 0)} lost, {fmt(worst(rows, 'doubled'), 0)} doubled"
        else:
            lost_text = fmt(lost, 0)
        out.append(
            f"| {load_name} | {name} | {fmt(per_s)} | {fmt(med(rows, 'p50_ms'))} "
            f"| {fmt(med(rows, 'p99_ms'))} | {lost_text} "
            f"| {fmt(med(rows, 'server_cpu_us_per_unit'))} |"
        )
    return [*out, ""] if shown else []


def http_table(runs: dict[str, list[Row]]) -> list[str]:
    out = [
        "## HTTP (8 keep-alive connections, all flows on the same Parlour process)",
        "",
        "| server | flow | requests/s | flows/s | p50 ms | p99 ms "
        "| ratio to /healthz (requests) | ratio (flows) | server CPU ms/request |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    shown = 0
    for label, server in HTTP_SERVERS:
        rows_all = ok_rows(runs, label)
        for scenario, name in HTTP_FLOWS:
            rows = http_rows(rows_all, scenario)
            if not rows:
                continue
            shown += 1
            out.append(
                f"| {server} | {name} | {fmt(med(rows, 'requests_per_s'))} "
                f"| {fmt(med(rows, 'flows_per_s'))} | {fmt(med(rows, 'p50_ms'))} "
                f"| {fmt(med(rows, 'p99_ms'))} "
                f"| {fmt(med(rows, 'ratio_to_healthz'), 2)} "
                f"| {fmt(med(rows, 'flow_ratio_to_healthz'), 2)} "
                f"| {fmt(med(rows, 'server_cpu_ms_per_request'), 2)} |"
            )
    return [*out, ""] if shown else []


def memory_table(runs: dict[str, list[Row]]) -> list[str]:
    out = [
        "## Memory per idle WebSocket (1000 connections, RSS delta)",
        "",
        "| server | KiB per connection | RSS before -> after (KiB) |",
        "|---|---|---|",
    ]
    shown = 0
    for label, name in [
        ("idle/plain", "plain websockets"),
        ("idle/baseline", "minimal Channels"),
        ("idle/parlour", "Parlour chat room (embedded)"),
    ]:
        rows = ok_rows(runs, label)
        if rows:
            shown += 1
            out.append(
                f"| {name} | {fmt(med(rows, 'kib_per_connection'))} "
                f"| {fmt(med(rows, 'rss_before_kib'), 0)} -> "
                f"{fmt(med(rows, 'rss_after_kib'), 0)} |"
            )
    return [*out, ""] if shown else []


# --- targets --------------------------------------------------------------------

Check = tuple[str, bool | None]  # (measured text, verdict: None = not measured)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


class Targets:
    def __init__(self, runs: dict[str, list[Row]], failed: dict[str, int]) -> None:
        self.runs, self.failed = runs, failed

    def gate(self, labels: list[str], check: Callable[[], Check]) -> Check:
        """A target over these loads: failed runs make it FAIL, no data n/a."""
        text, ok = check()
        broken = []
        for label in labels:
            if label not in self.failed:
                continue
            total = len(self.runs.get(label, []))
            first = next(r["error"] for r in self.runs[label] if "error" in r)
            broken.append(
                f"{self.failed[label]} of {total} run(s) failed ({first})"
                if ok is not None
                else f"no run completed ({first})"
            )
        if broken:
            if ok is None:
                return "; ".join(broken), False
            return f"{text}; {'; '.join(broken)}", False
        return text, ok

    def no_loss(self, label: str) -> Check:
        rows = ok_rows(self.runs, label)
        lost, dup = worst(rows, "lost"), worst(rows, "duplicated")
        if lost is None or dup is None:
            return "n/a", None
        text = f"lost {fmt(lost, 0)}, dup {fmt(dup, 0)}"
        closes = closed_text(rows)
        if closes:
            text += f"; {closes}"
        return text, lost == 0 and dup == 0

    def p99_under(self, label: str, limit: float) -> Check:
        found = values(ok_rows(self.runs, label), "p99_ms")
        if not found:
            return "n/a", None
        return spread(found, unit=" ms"), statistics.median(found) < limit

    def plain_ratio(self, label: str, plains: list[str]) -> Check:
        """Deliveries/s over the plain server's at 500 clients, run by run."""
        rows = ok_rows(self.runs, label)
        plain_label = next((p for p in plains if ok_rows(self.runs, p)), None)
        if not rows or plain_label is None:
            return "n/a", None
        plain_rows = ok_rows(self.runs, plain_label)
        by_run = {r["_run"]: r.get("deliveries_per_s") for r in plain_rows}
        pairs = [
            r["deliveries_per_s"] / by_run[r["_run"]]
            for r in rows
            if r.get("deliveries_per_s") is not None and by_run.get(r["_run"])
        ]
        ours, theirs = (
            med(rows, "deliveries_per_s"),
            med(plain_rows, "deliveries_per_s"),
        )
        if not pairs:  # no run in common: the ratio of the medians
            value = ratio(ours, theirs)
            pairs = [value] if value is not None else []
        if not pairs:
            return "n/a", None
        med_ratio = statistics.median(pairs)
        text = f"{fmt(ours, 0)} vs {fmt(theirs, 0)}/s: {spread(pairs, 2, 'x')}"
        return text, med_ratio >= CHAT500_RATIO

    def chess_no_loss(self, label: str) -> Check:
        rows = ok_rows(self.runs, label)
        lost, doubled = worst(rows, "lost"), worst(rows, "doubled")
        if lost is None or doubled is None:
            return "n/a", None
        moves = values(rows, "moves")
        text = f"lost {fmt(lost, 0)}, doubled {fmt(doubled, 0)}"
        if moves:
            low, high = fmt(min(moves), 0), fmt(max(moves), 0)
            text += f" (of {low if low == high else f'{low}-{high}'} moves a run)"
        return text, lost == 0 and doubled == 0

    def chess_rate(self, label: str) -> Check:
        rows = ok_rows(self.runs, label)
        rate, p99 = values(rows, "moves_per_s"), values(rows, "p99_ms")
        if not rate:
            return "n/a", None
        return f"{spread(rate)} moves/s, p99 {spread(p99, unit=' ms')}", None

    def http_ratio(self, label: str, scenario: str) -> Check:
        found = values(
            http_rows(ok_rows(self.runs, label), scenario), "ratio_to_healthz"
        )
        if not found:
            return "n/a", None
        return spread(found, 2, "x"), statistics.median(found) >= HTTP_RATIO


def topology_checks(t: Targets, topo: dict[str, Any]) -> list[Check | None]:
    """One topology's column of the targets table, row by row (TARGET_NAMES)."""
    chat, chat500, chess, http = (
        topo["chat"],
        topo["chat500"],
        topo["chess"],
        topo["http"],
    )
    return [
        t.gate([chat], lambda: t.no_loss(chat)),
        t.gate([chat], lambda: t.p99_under(chat, CHAT_P99_MS)),
        t.gate([chat500], lambda: t.no_loss(chat500)),
        t.gate([chat500], lambda: t.plain_ratio(chat500, topo["plain500"])),
        t.gate([chess], lambda: t.chess_no_loss(chess)),
        None,  # reported, no threshold: see chess_rate
        t.gate([http], lambda: t.http_ratio(http, "lobby")),
        t.gate([http], lambda: t.http_ratio(http, "bet")),
    ]


TARGET_NAMES = [
    "chat, 100 clients (10 senders, 200 msg/s): zero lost, zero duplicated",
    f"chat, 100 clients: p99 < {CHAT_P99_MS:.0f} ms",
    "chat, 500 clients (5 senders, 100 msg/s): zero lost, zero duplicated",
    f"chat, 500 clients: deliveries/s >= {CHAT500_RATIO}x plain websockets "
    "(500 clients, same load, same run)",
    "chess, 50 games: zero lost or doubled moves",
    "chess, 50 games: moves/s and move round-trip p99 (reported, no threshold)",
    f"HTTP: chess lobby >= {HTTP_RATIO}x bare view (requests/s)",
    f"HTTP: roulette place-bet PRG >= {HTTP_RATIO}x bare view (requests/s)",
]


def targets_table(runs: dict[str, list[Row]], failed: dict[str, int]) -> list[str]:
    t = Targets(runs, failed)
    columns = {
        "embedded": topology_checks(t, EMBEDDED),
        "scaled": topology_checks(t, SCALED),
    }
    out = [
        "## Targets (issue 11)",
        "",
        f"| target | {EMBEDDED['name']} | verdict "
        f"| {SCALED['name']}: counts | verdict |",
        "|---|---|---|---|---|",
    ]
    tally = {"embedded": [0, 0, 0], "scaled": [0, 0, 0]}  # pass, fail, n/a
    for row, name in enumerate(TARGET_NAMES):
        cells = []
        for key, topo in (("embedded", EMBEDDED), ("scaled", SCALED)):
            check = columns[key][row]
            if check is None:  # a figure to report, not a target
                cells += [t.chess_rate(topo["chess"])[0], "-"]
                continue
            text, ok = check
            tally[key][0 if ok else (2 if ok is None else 1)] += 1
            cells += [text, verdict(ok)]
        out.append(f"| {name} | {' | '.join(cells)} |")
    out.append("")
    for key in ("scaled", "embedded"):
        passed, failed_n, missing = tally[key]
        line = f"- {key}: {passed} PASS, {failed_n} FAIL"
        if missing:
            line += f", {missing} not measured"
        out.append(line + f" (of {passed + failed_n + missing} targets)")
    notes = busy_notes(runs)
    if notes:
        out += ["", *notes]
    return [*out, ""]


def busy_notes(runs: dict[str, list[Row]]) -> list[str]:
    """Warn when the load generator, not the server, may have set the pace."""
    notes = []
    for label in (
        "chat500/plain",
        "chat500/plain-scaled-phase",
        "chat500/parlour",
        "redis-chat500/parlour-pubsub-2proc",
    ):
        busy = worst(ok_rows(runs, label), "client_busy_max")
        if busy is not None and busy >= BUSY_WARN:
            notes.append(
                f"- note: in {label} a load generator process was busy {busy:.2f} of "
                "a core: its deliveries/s may be the client's limit, not the server's"
            )
    return notes


def main(path: str) -> None:
    runs, failed = load(path)
    n = max((len(v) for v in runs.values()), default=0)
    out: list[str] = [f"# Bench summary ({n} runs per load; medians)", ""]
    out += chat_table(
        runs,
        "Chat fan-out: 100 clients, 10 senders, 200 msg/s "
        "(20,000 deliveries/s offered)",
        CHAT100,
    )
    out += chat_table(
        runs,
        "Chat fan-out: 500 clients, 5 senders, 100 msg/s (50,000 deliveries/s offered)",
        CHAT500,
    )
    out += round_trip_table(runs)
    out += http_table(runs)
    out += memory_table(runs)
    out += targets_table(runs, failed)
    failures = [
        f"- {label} (run {row.get('_run')}): {row['error']}"
        for label, rows in runs.items()
        for row in rows
        if "error" in row
    ]
    if failures:
        out += ["## Failed load runs", "", *failures, ""]
    print("\n".join(out).rstrip("\n"))


if __name__ == "__main__":
    main(sys.argv[1])
