"""Medians, ratios and targets from bench/run_all.sh's raw JSON lines (Markdown out).

python bench/summarize.py bench/results/<stamp>/raw.jsonl
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from typing import Any

PP = "ping-pong, 50 pairs"


def load(path: str) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(path) as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                runs[row["label"]].append(row["result"])
    return runs


def med(rows: list[dict[str, Any]], *keys: str) -> float | None:
    values = []
    for row in rows:
        value: Any = row
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            values.append(value)
    return statistics.median(values) if values else None


def worst(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [row[key] for row in rows if isinstance(row.get(key), int | float)]
    return max(values) if values else None


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100 or digits == 0:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def errors(runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [
        f"- {label}: {row['error']}"
        for label, rows in runs.items()
        for row in rows
        if "error" in row
    ]


def main(path: str) -> None:
    runs = load(path)
    n = max((len(v) for v in runs.values()), default=0)
    out: list[str] = [f"# Bench summary ({n} runs per load; medians)", ""]

    out += [
        "## Chat fan-out: 100 clients, 10 senders, 200 msg/s (20,000 deliveries/s)",
        "",
        "| server | deliveries/s | p50 ms | p95 ms | p99 ms | max ms "
        "| lost (worst) | duplicated (worst) | errors | server CPU us/delivery |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    chat_labels = [
        ("chat/plain", "plain websockets"),
        ("chat/baseline", "minimal Channels (in-memory)"),
        ("chat/hub", "tutorial room on Parlour's hub (no DB)"),
        ("chat/parlour", "Parlour chat (in-memory, SQLite)"),
        ("redis-chat/parlour-pubsub-2proc", "Parlour, 2 processes, Redis Pub/Sub"),
        ("redis-chat/parlour-core-2proc", "Parlour, 2 processes, Redis core"),
        ("redis-chat/baseline-core", "minimal Channels, Redis core"),
    ]
    for label, name in chat_labels:
        rows = [r for r in runs.get(label, []) if "error" not in r]
        if not rows:
            continue
        out.append(
            f"| {name} | {fmt(med(rows, 'deliveries_per_s'), 0)} "
            f"| {fmt(med(rows, 'p50_ms'))} | {fmt(med(rows, 'p95_ms'))} "
            f"| {fmt(med(rows, 'p99_ms'))} | {fmt(med(rows, 'max_ms'))} "
            f"| {fmt(worst(rows, 'lost'), 0)} | {fmt(worst(rows, 'duplicated'), 0)} "
            f"| {fmt(worst(rows, 'errors'), 0)} "
            f"| {fmt(med(rows, 'server_cpu_us_per_unit'))} |"
        )
    out.append("")

    out += [
        "## Round trips",
        "",
        "| load | server | per s | p50 ms | p99 ms | lost | server CPU us/unit |",
        "|---|---|---|---|---|---|---|",
    ]
    rt_labels = [
        ("pingpong/plain", "ping-pong, 50 pairs", "plain websockets"),
        ("pingpong/baseline", "ping-pong, 50 pairs", "minimal Channels (in-memory)"),
        ("pingpong/parlour", "ping-pong, 50 pairs", "Parlour chat (in-memory)"),
        (
            "redis-pingpong/parlour-pubsub-2proc",
            "ping-pong, 50 pairs",
            "Parlour 2p Pub/Sub",
        ),
        ("redis-pingpong/parlour-core-2proc", "ping-pong, 50 pairs", "Parlour 2p core"),
        (
            "redis-pingpong/baseline-core",
            "ping-pong, 50 pairs",
            "minimal Channels, core",
        ),
        ("echo/plain", "echo, 10 clients", "plain websockets"),
        ("echo/baseline", "echo, 10 clients", "minimal Channels"),
        ("echo/parlour", "echo, 10 clients", "Parlour /ws/echo/"),
        ("chess/parlour", "chess moves, 50 games", "Parlour chess"),
    ]
    for label, load_name, name in rt_labels:
        rows = [r for r in runs.get(label, []) if "error" not in r]
        if not rows:
            continue
        per_s = med(rows, "moves_per_s") or med(rows, "round_trips_per_s")
        lost = worst(rows, "lost")
        if label.startswith("chess"):
            lost_text = f"{fmt(lost, 0)} lost, {fmt(worst(rows, 'doubled'), 0)} doubled"
        else:
            lost_text = fmt(lost, 0)
        out.append(
            f"| {load_name} | {name} | {fmt(per_s)} | {fmt(med(rows, 'p50_ms'))} "
            f"| {fmt(med(rows, 'p99_ms'))} | {lost_text} "
            f"| {fmt(med(rows, 'server_cpu_us_per_unit'))} |"
        )
    out.append("")

    http_rows = [r for r in runs.get("http/parlour", []) if "error" not in r]
    if http_rows:
        out += [
            "## HTTP (8 keep-alive connections, same Parlour process)",
            "",
            "| flow | requests/s | flows/s | p50 ms | p99 ms | ratio to /healthz "
            "(requests) | ratio (flows) | server CPU ms/request |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for scenario, name in [
            ("healthz", "bare view /healthz"),
            ("lobby", "chess lobby page"),
            ("bet", "roulette place-bet PRG (POST + GET)"),
        ]:
            rows = [
                r["results"][scenario]
                for r in http_rows
                if scenario in r["results"] and not r["results"][scenario].get("failed")
            ]
            if rows:
                out.append(
                    f"| {name} | {fmt(med(rows, 'requests_per_s'))} "
                    f"| {fmt(med(rows, 'flows_per_s'))} | {fmt(med(rows, 'p50_ms'))} "
                    f"| {fmt(med(rows, 'p99_ms'))} "
                    f"| {fmt(med(rows, 'ratio_to_healthz'), 2)} "
                    f"| {fmt(med(rows, 'flow_ratio_to_healthz'), 2)} "
                    f"| {fmt(med(rows, 'server_cpu_ms_per_request'), 2)} |"
                )
        out.append("")

    out += ["## Memory per idle WebSocket (1000 connections, RSS delta)", ""]
    out += [
        "| server | KiB per connection | RSS before -> after (KiB) |",
        "|---|---|---|",
    ]
    for label, name in [
        ("idle/plain", "plain websockets"),
        ("idle/baseline", "minimal Channels"),
        ("idle/parlour", "Parlour chat room"),
    ]:
        rows = [r for r in runs.get(label, []) if "error" not in r]
        if rows:
            out.append(
                f"| {name} | {fmt(med(rows, 'kib_per_connection'))} "
                f"| {fmt(med(rows, 'rss_before_kib'), 0)} -> "
                f"{fmt(med(rows, 'rss_after_kib'), 0)} |"
            )
    out.append("")

    def m(label: str, key: str) -> float | None:
        rows = [r for r in runs.get(label, []) if "error" not in r]
        return med(rows, key) if rows else None

    def w(label: str, key: str) -> float | None:
        rows = [r for r in runs.get(label, []) if "error" not in r]
        return worst(rows, key) if rows else None

    par, base, plain = (
        m("chat/parlour", "deliveries_per_s"),
        m("chat/baseline", "deliveries_per_s"),
        m("chat/plain", "deliveries_per_s"),
    )
    chess_rate = m("chess/parlour", "moves_per_s")
    pp_base = m("pingpong/baseline", "round_trips_per_s")
    http = {}
    for scenario in ("lobby", "bet"):
        values = [
            r["results"][scenario]["ratio_to_healthz"]
            for r in http_rows
            if scenario in r["results"] and not r["results"][scenario].get("failed")
        ]
        http[scenario] = statistics.median(values) if values else None

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    def both(*values: Any) -> bool:
        return all(v is not None for v in values)

    rc = ratio(par, base)
    out += ["## Targets (issue 7)", ""]
    checks = [
        (
            "chat in-memory: zero lost, zero duplicated",
            f"lost {fmt(w('chat/parlour', 'lost'), 0)}, "
            f"dup {fmt(w('chat/parlour', 'duplicated'), 0)}",
            (w("chat/parlour", "lost") == 0 and w("chat/parlour", "duplicated") == 0)
            if both(w("chat/parlour", "lost"))
            else None,
        ),
        (
            "chat in-memory: p99 < 100 ms",
            f"{fmt(m('chat/parlour', 'p99_ms'))} ms",
            (m("chat/parlour", "p99_ms") < 100)
            if both(m("chat/parlour", "p99_ms"))
            else None,
        ),
        (
            "chat deliveries/s >= 3x minimal Channels",
            f"{fmt(rc, 2)}x (plain: {fmt(ratio(par, plain), 2)}x of plain)",
            (rc >= 3) if rc is not None else None,
        ),
        (
            "chat, 2 processes on Redis: zero lost",
            f"lost {fmt(w('redis-chat/parlour-pubsub-2proc', 'lost'), 0)} (Pub/Sub), "
            f"{fmt(w('redis-chat/parlour-core-2proc', 'lost'), 0)} (core)",
            (w("redis-chat/parlour-pubsub-2proc", "lost") == 0)
            if both(w("redis-chat/parlour-pubsub-2proc", "lost"))
            else None,
        ),
        (
            "chess 50 games: zero lost or doubled moves",
            f"lost {fmt(w('chess/parlour', 'lost'), 0)}, "
            f"doubled {fmt(w('chess/parlour', 'doubled'), 0)}",
            (w("chess/parlour", "lost") == 0 and w("chess/parlour", "doubled") == 0)
            if both(w("chess/parlour", "lost"))
            else None,
        ),
        (
            "chess moves/s >= minimal Channels ping-pong round trips/s",
            f"{fmt(chess_rate)} vs {fmt(pp_base)} "
            f"({fmt(ratio(chess_rate, pp_base), 2)}x)",
            (chess_rate >= pp_base) if both(chess_rate, pp_base) else None,
        ),
        (
            "HTTP lobby >= 0.5x bare view",
            f"{fmt(http['lobby'], 2)}x",
            (http["lobby"] >= 0.5) if http["lobby"] is not None else None,
        ),
        (
            "HTTP place-bet PRG >= 0.5x bare view (requests)",
            f"{fmt(http['bet'], 2)}x",
            (http["bet"] >= 0.5) if http["bet"] is not None else None,
        ),
    ]
    out += ["| target | measured | verdict |", "|---|---|---|"]
    out += [f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in checks]
    failures = errors(runs)
    if failures:
        out += ["", "## Failed load runs", "", *failures]
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
