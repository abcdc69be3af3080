"""Perft throughput of ``chess.rules`` on the standard positions (bulk-counted leaves).

Usage::

    .venv/bin/python bench/perft.py                      # depths up to --max-nodes
    .venv/bin/python bench/perft.py --compare            # also time python-chess
    .venv/bin/python bench/perft.py --compare --python-chess-python PYTHON

python-chess must never be installed in the project's virtualenv (its import name,
``chess``, is our app), so ``--compare`` runs it in a separate interpreter from a
temporary working directory and reads the timings back as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chess.rules import Board, perft  # noqa: E402

# The standard perft positions (chessprogramming.org), with their node counts.
POSITIONS: list[tuple[str, str, list[int]]] = [
    (
        "start",
        "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
        [20, 400, 8902, 197281, 4865609, 119060324],
    ),
    (
        "kiwipete",
        "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
        [48, 2039, 97862, 4085603, 193690690],
    ),
    (
        "position3",
        "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
        [14, 191, 2812, 43238, 674624, 11030083],
    ),
    (
        "position4",
        "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
        [6, 264, 9467, 422333, 15833292],
    ),
    (
        "position4-mirrored",
        "r2q1rk1/pP1p2pp/Q4n2/bbp1p3/Np6/1B3NBn/pPPP1PPP/R3K2R b KQ - 0 1",
        [6, 264, 9467, 422333, 15833292],
    ),
    (
        "position5",
        "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
        [44, 1486, 62379, 2103487, 89941194],
    ),
    (
        "position6",
        "r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P1b1/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10",
        [46, 2079, 89890, 3894594, 164075551],
    ),
]

PYTHON_CHESS_SCRIPT = r"""
import json, sys, time
import chess

def perft(board, depth):
    if depth == 1:
        return board.legal_moves.count()
    nodes = 0
    for move in board.legal_moves:
        board.push(move)
        nodes += perft(board, depth - 1)
        board.pop()
    return nodes

jobs = json.load(sys.stdin)
out = []
for fen, depth, repeat in jobs:
    board = chess.Board(fen)
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        nodes = perft(board, depth)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    out.append([nodes, best])
print(json.dumps({"version": chess.__version__, "results": out}))
"""


def pick_depth(counts: list[int], max_nodes: int, depth: int | None) -> int:
    if depth is not None:
        return min(depth, len(counts))
    chosen = 1
    for d, nodes in enumerate(counts, start=1):
        if nodes <= max_nodes:
            chosen = d
    return chosen


def time_ours(fen: str, depth: int, repeat: int) -> tuple[int, float]:
    board = Board.from_fen(fen)
    best = float("inf")
    nodes = 0
    for _ in range(repeat):
        start = time.perf_counter()
        nodes = perft(board, depth)
        best = min(best, time.perf_counter() - start)
    return nodes, best


def time_python_chess(
    python: str, jobs: list[tuple[str, int, int]]
) -> tuple[str, list[tuple[int, float]]]:
    with tempfile.TemporaryDirectory() as cwd:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        proc = subprocess.run(
            [python, "-c", PYTHON_CHESS_SCRIPT],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            check=True,
        )
    data = json.loads(proc.stdout)
    return data["version"], [(n, t) for n, t in data["results"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=5_000_000,
        help="deepest depth per position whose node count is at most this",
    )
    parser.add_argument("--depth", type=int, help="fixed depth for every position")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs")
    parser.add_argument("--compare", action="store_true", help="also time python-chess")
    parser.add_argument(
        "--python-chess-python",
        default="/tmp/pychess-venv/bin/python",
        help="interpreter of a separate virtualenv with python-chess installed",
    )
    args = parser.parse_args(argv)

    jobs = []
    for name, fen, counts in POSITIONS:
        depth = pick_depth(counts, args.max_nodes, args.depth)
        jobs.append((name, fen, depth, counts[depth - 1]))

    if args.compare and not Path(args.python_chess_python).exists():
        print(f"python-chess interpreter not found: {args.python_chess_python}")
        return 2
    version = ""

    header = f"{'position':<20}{'depth':>6}{'nodes':>12}{'seconds':>10}{'nodes/s':>12}"
    if args.compare:
        header += f"{'py-chess s':>12}{'py-chess n/s':>14}{'ratio':>8}"
    print(header)
    total_nodes = 0
    total_ours = 0.0
    total_theirs = 0.0
    ok = True
    for name, fen, depth, expected in jobs:
        nodes, seconds = time_ours(fen, depth, args.repeat)
        if nodes != expected:
            ok = False
            print(f"MISMATCH {name} depth {depth}: {nodes} != {expected}")
        total_nodes += nodes
        total_ours += seconds
        line = (
            f"{name:<20}{depth:>6}{nodes:>12,}{seconds:>10.3f}{nodes / seconds:>12,.0f}"
        )
        if args.compare:
            # One position at a time, right after ours, so both see similar load.
            version, theirs = time_python_chess(
                args.python_chess_python, [(fen, depth, args.repeat)]
            )
            their_nodes, their_seconds = theirs[0]
            total_theirs += their_seconds
            line += (
                f"{their_seconds:>12.3f}{their_nodes / their_seconds:>14,.0f}"
                f"{their_seconds / seconds:>8.2f}"
            )
        print(line)
    summary = (
        f"{'total':<20}{'':>6}{total_nodes:>12,}{total_ours:>10.3f}"
        f"{total_nodes / total_ours:>12,.0f}"
    )
    if args.compare:
        summary += (
            f"{total_theirs:>12.3f}{total_nodes / total_theirs:>14,.0f}"
            f"{total_theirs / total_ours:>8.2f}"
        )
    print(summary)
    if args.compare:
        print(f"python-chess {version}; ratio = python-chess time / chess.rules time")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
