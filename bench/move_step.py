"""Time one server-side chess move step with ``chess.rules``.

A step is what the live game does per incoming move: rebuild the board from the stored
start FEN and UCI move list, parse and validate the new UCI move, compute its SAN, play
it, check the automatic endings and draw claims, and list the legal replies and FEN.

Usage::

    .venv/bin/python bench/move_step.py                # games of 20, 80 and 160 plies
    .venv/bin/python bench/move_step.py --plies 80 --steps 500 --repeat 20
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chess.rules import STARTING_FEN, Board  # noqa: E402


def random_game(plies: int, seed: int) -> list[str]:
    """A reproducible game of ``plies`` random legal moves that has not ended."""
    rng = random.Random(seed)
    while True:
        board = Board()
        for _ in range(plies):
            if board.outcome() is not None:
                break
            board.push(rng.choice(board.legal_moves()))
        if board.ply == plies and board.outcome() is None:
            return board.uci_moves()


def step(
    start_fen: str, moves: list[str], uci: str, validate: bool
) -> dict[str, object]:
    board = Board.from_moves(moves, start_fen, validate=validate)
    move = board.parse_uci(uci)
    san = board.san(move)
    board.push(move)
    outcome = board.outcome()
    return {
        "san": san,
        "fen": board.fen(),
        "outcome": outcome,
        "claim": board.claim_draw_reason(),
        "check": board.king_in_check_square(),
        "legal": board.legal_uci(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plies", default="20,80,160", help="stored game lengths")
    parser.add_argument("--steps", type=int, default=200, help="steps per timing")
    parser.add_argument("--repeat", type=int, default=10, help="best of N timings")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    print(f"{'plies':>6}{'replay':>12}{'us/step':>10}")
    for plies in (int(p) for p in args.plies.split(",")):
        game = random_game(plies + 1, args.seed)
        stored, uci = game[:-1], game[-1]
        for validate in (True, False):
            step(STARTING_FEN, stored, uci, validate)
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                for _ in range(args.steps):
                    step(STARTING_FEN, stored, uci, validate)
                best = min(best, (time.perf_counter() - start) / args.steps)
            mode = "validated" if validate else "trusted"
            print(f"{plies:>6}{mode:>12}{best * 1e6:>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
