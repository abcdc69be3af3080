"""Profile the chess lobby view and the live move path in process, on a file SQLite DB.

Bounded and local: a fresh temporary database, no server, no network. Prints one
JSON line (per-request / per-move times and query counts); `--profile lobby|move`
prints the top cProfile lines of that path instead.

    .venv/bin/python bench/chess_profile.py
    .venv/bin/python bench/chess_profile.py --games 50 --plies 60 --profile move
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(db_path: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["PARLOUR_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")
    # As deployed (and as bench/run_all.sh runs it): no per-query debug logging.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "chess-profile-only-" + "x" * 40)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def scripted_games(count: int, plies: int, seed: int) -> list[list[str]]:
    """Reproducible random legal games of `plies` moves that do not end early."""
    from chess.rules import Board

    rng = random.Random(seed)
    games: list[list[str]] = []
    while len(games) < count:
        board = Board()
        for _ in range(plies):
            if board.outcome() is not None:
                break
            board.push(rng.choice(board.legal_moves()))
        if board.ply == plies and board.outcome() is None:
            games.append(board.uci_moves())
    return games


def seed_lobby(waiting: int, active: int, finished: int) -> None:
    from chess import services

    for i in range(waiting):
        services.game_create(session_key=f"w{i}", name=f"W{i}", publish=False)
    for i in range(active + finished):
        game = services.game_create(
            session_key=f"a{i}",
            name=f"A{i}",
            colour="white",
            base_seconds=300 if i % 2 else None,
            publish=False,
        )
        services.game_join(
            game_id=game.public_id, session_key=f"b{i}", name=f"B{i}", publish=False
        )
        if i >= active:
            services.game_resign(
                game_id=game.public_id, session_key=f"a{i}", publish=False
            )


def bench_lobby(requests: int, profile: bool) -> dict[str, object]:
    from django.test import Client

    client = Client()
    response = client.get("/chess/")  # warm up templates and the session
    assert response.status_code == 200, response.status_code
    prof = cProfile.Profile() if profile else None
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        if prof:
            prof.enable()
        client.get("/chess/")
        if prof:
            prof.disable()
        times.append(time.perf_counter() - start)
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    return {
        "lobby_ms_median": round(statistics.median(times) * 1000, 3),
    }


async def _play(games: list[list[str]], profile: bool) -> dict[str, object]:
    """Play every game's moves, one command at a time per game, games concurrently,
    through the same call the consumer makes."""
    from channels.db import database_sync_to_async

    from chess import services

    try:  # the chess thread with its long-lived connection, if this tree has it
        from chess import executor
    except ImportError:
        executor = None

    runner = getattr(executor, "run", None) if executor else None

    prof = cProfile.Profile() if profile else None

    def move_make(**kw: object) -> services.GameChange:
        # Profiled on the thread that runs it (cProfile follows one thread).
        if prof is None:
            return services.move_make(**kw)
        prof.enable()
        try:
            return services.move_make(**kw)
        finally:
            prof.disable()

    async def call(**kw: object) -> services.GameChange:
        if runner is not None:
            return await runner(move_make, **kw)
        return await database_sync_to_async(move_make)(**kw)

    ids = []
    for n in range(len(games)):
        game = await database_sync_to_async(services.game_create)(
            session_key=f"pw{n}", name="W", colour="white", publish=False
        )
        await database_sync_to_async(services.game_join)(
            game_id=game.public_id, session_key=f"pb{n}", name="B", publish=False
        )
        ids.append(game.public_id)
    latencies: list[float] = []

    async def one(game_id: str, moves: list[str], n: int) -> None:
        for ply, uci in enumerate(moves):
            key = f"pw{n}" if ply % 2 == 0 else f"pb{n}"
            start = time.perf_counter()
            change = await call(
                game_id=game_id, session_key=key, uci=uci, ply=ply, publish=False
            )
            latencies.append(time.perf_counter() - start)
            assert change.state["ply"] == ply + 1

    start = time.perf_counter()
    pairs = enumerate(zip(ids, games, strict=True))
    await asyncio.gather(*(one(i, g, n) for n, (i, g) in pairs))
    wall = time.perf_counter() - start
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
    moves = sum(len(g) for g in games)
    return {
        "path": "chess.executor.run" if runner else "database_sync_to_async",
        "moves": moves,
        "moves_per_s": round(moves / wall, 1),
        "move_ms_p50": round(statistics.median(latencies) * 1000, 3),
        "cpu_ms_per_move": round(time.process_time() / max(moves, 1) * 1000, 3),
    }


def count_move_queries() -> int:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from chess import services

    reset_queries()
    game = services.game_create(session_key="qw", name="W", colour="white")
    services.game_join(game_id=game.public_id, session_key="qb", name="B")
    services.move_make(game_id=game.public_id, session_key="qw", uci="e2e4", ply=0)
    with CaptureQueriesContext(connection) as queries:
        services.move_make(
            game_id=game.public_id, session_key="qb", uci="e7e5", ply=1, publish=False
        )
    return len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=20, help="concurrent games")
    parser.add_argument("--plies", type=int, default=60, help="moves per game")
    parser.add_argument("--lobby-requests", type=int, default=200)
    parser.add_argument("--profile", choices=["lobby", "move"], default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.games = min(args.games, 200)
    args.plies = min(args.plies, 200)
    args.lobby_requests = min(args.lobby_requests, 5000)
    with tempfile.TemporaryDirectory(prefix="chess-profile-") as tmp:
        setup(Path(tmp) / "profile.sqlite3")
        result: dict[str, object] = {}
        if args.profile in (None, "lobby"):
            seed_lobby(waiting=15, active=20, finished=15)
            result.update(bench_lobby(args.lobby_requests, args.profile == "lobby"))
        if args.profile in (None, "move"):
            result["move_queries"] = count_move_queries()
            games = scripted_games(args.games, args.plies, args.seed)
            cpu0 = time.process_time()
            played = asyncio.run(_play(games, args.profile == "move"))
            played["cpu_ms_per_move"] = round(
                (time.process_time() - cpu0) / played["moves"] * 1000, 3
            )
            result.update(played)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
