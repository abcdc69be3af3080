"""Exact perft on every position of data/perft.epd, plus rule edge cases.

The default run covers the EPD depths that fit DEFAULT_NODE_BUDGET (about 2.0 million
nodes) and the edge cases one ply short of their published depth (about 1.3 million):
about 3.3 million nodes in all. Deeper depths, up to SLOW_NODE_LIMIT, are ``slow``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chess.rules import Board, perft

EPD = Path(__file__).resolve().parent / "data" / "perft.epd"
DEFAULT_NODE_BUDGET = 3_000_000
SLOW_NODE_LIMIT = 20_000_000


def _load() -> list[tuple[str, int, int]]:
    text = EPD.read_text()
    cases = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fen, *depths = (part.strip() for part in line.split(";"))
        for item in depths:
            label, nodes = item.split()
            cases.append((fen, int(label[1:]), int(nodes)))
    return cases


def _split() -> tuple[list[object], list[object]]:
    cases = sorted(_load(), key=lambda case: case[2])
    default: list[object] = []
    slow: list[object] = []
    spent = 0
    for fen, depth, nodes in cases:
        case_id = f"{fen.split()[0][:17]}-d{depth}"
        if spent + nodes <= DEFAULT_NODE_BUDGET:
            spent += nodes
            default.append(pytest.param(fen, depth, nodes, id=case_id))
        elif nodes <= SLOW_NODE_LIMIT:
            slow.append(pytest.param(fen, depth, nodes, id=case_id))
    return default, slow


DEFAULT_CASES, SLOW_CASES = _split()


def test_every_position_has_a_default_case() -> None:
    fens = {case[0] for case in _load()}
    covered = {param.values[0] for param in DEFAULT_CASES}  # type: ignore[attr-defined]
    assert covered == fens


@pytest.mark.parametrize(("fen", "depth", "nodes"), DEFAULT_CASES)
def test_perft(fen: str, depth: int, nodes: int) -> None:
    board = Board.from_fen(fen)
    assert perft(board, depth) == nodes
    assert board.fen() == fen


@pytest.mark.slow
@pytest.mark.parametrize(("fen", "depth", "nodes"), SLOW_CASES)
def test_perft_deep(fen: str, depth: int, nodes: int) -> None:
    assert perft(Board.from_fen(fen), depth) == nodes


# Edge cases from Martin Sedlak's perft suite (illegal en passant, castling into or
# giving check, promotions out of or into check, self-stalemate); the shallower counts
# were cross-checked against python-chess outside the project's virtualenv.
EDGE_CASES = [
    ("3k4/3p4/8/K1P4r/8/8/8/8 b - - 0 1", 5, 185429, 6, 1134888),
    ("8/8/4k3/8/2p5/8/B2P2K1/8 w - - 0 1", 5, 135655, 6, 1015133),
    ("8/8/1k6/2b5/2pP4/8/5K2/8 b - d3 0 1", 5, 206379, 6, 1440467),
    ("5k2/8/8/8/8/8/8/4K2R w K - 0 1", 5, 120330, 6, 661072),
    ("3k4/8/8/8/8/8/8/R3K3 w Q - 0 1", 5, 141077, 6, 803711),
    ("r3k2r/1b4bq/8/8/8/8/7B/R3K2R w KQkq - 0 1", 3, 27826, 4, 1274206),
    ("r3k2r/8/3Q4/8/8/5q2/8/R3K2R b KQkq - 0 1", 3, 50509, 4, 1720476),
    ("2K2r2/4P3/8/8/8/8/8/3k4 w - - 0 1", 5, 266199, 6, 3821001),
    ("8/8/1P2K3/8/2n5/1q6/8/5k2 b - - 0 1", 4, 31961, 5, 1004658),
    ("4k3/1P6/8/8/8/8/K7/8 w - - 0 1", 5, 38983, 6, 217342),
    ("8/P1k5/K7/8/8/8/8/8 w - - 0 1", 5, 18135, 6, 92683),
    ("K1k5/8/P7/8/8/8/8/8 w - - 0 1", 5, 382, 6, 2217),
    ("8/k1P5/8/1K6/8/8/8/8 w - - 0 1", 6, 43261, 7, 567584),
    ("8/8/2k5/5q2/5n2/8/5K2/8 b - - 0 1", 3, 6559, 4, 23527),
]


@pytest.mark.parametrize(("fen", "depth", "nodes", "_d", "_n"), EDGE_CASES)
def test_perft_edge_cases(fen: str, depth: int, nodes: int, _d: int, _n: int) -> None:
    assert perft(Board.from_fen(fen), depth) == nodes


@pytest.mark.slow
@pytest.mark.parametrize(("fen", "_d", "_n", "depth", "nodes"), EDGE_CASES)
def test_perft_edge_cases_deep(
    fen: str, _d: int, _n: int, depth: int, nodes: int
) -> None:
    assert perft(Board.from_fen(fen), depth) == nodes


def test_perft_depth_zero_is_one() -> None:
    assert perft(Board(), 0) == 1


@pytest.mark.parametrize("fen", sorted({case[0] for case in _load()}))
def test_bulk_count_matches_generated_moves_two_plies_deep(fen: str) -> None:
    board = Board.from_fen(fen)
    for move in board.legal_moves():
        board.push(move)
        assert board._count_legal() == len(board.legal_moves())
        for reply in board.legal_moves():
            board.push(reply)
            assert board._count_legal() == len(board.legal_moves())
            board.pop()
        board.pop()
    assert board.fen() == fen
