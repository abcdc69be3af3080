"""`Board.has_mating_material(colour)`: the one-sided half of the insufficient-material
rule (used to score a flag: time out against a side that cannot mate is a draw)."""

from __future__ import annotations

import random

import pytest

from chess.rules import Board


@pytest.mark.parametrize(
    ("fen", "colour", "expected"),
    [
        # A bare king never mates (a flag against a bare king is a draw).
        ("4k3/8/8/8/8/8/8/4K3 w - - 0 1", "w", False),
        ("4k3/8/8/8/8/8/8/4K3 w - - 0 1", "b", False),
        ("3qk3/8/8/8/8/8/8/4K3 w - - 0 1", "w", False),
        ("3qk3/8/8/8/8/8/8/4K3 w - - 0 1", "b", True),
        # Pawns, rooks and queens always count.
        ("4k3/8/8/8/8/8/8/3QK3 w - - 0 1", "w", True),
        ("4k3/8/8/8/8/8/8/3RK3 w - - 0 1", "w", True),
        ("4k3/8/8/8/8/8/4P3/4K3 w - - 0 1", "w", True),
        ("4k3/4p3/8/8/8/8/8/4K3 w - - 0 1", "b", True),
        # One knight: only with an enemy pawn, knight, bishop or rook to block with.
        ("4k3/8/8/8/8/8/8/3NK3 w - - 0 1", "w", False),
        ("4k3/8/8/8/8/8/8/3NK2q w - - 0 1", "w", False),  # vs K+Q
        ("3qk1q1/8/8/8/8/8/8/3NK3 w - - 0 1", "w", False),  # vs K+QQ
        ("4k3/4p3/8/8/8/8/8/3NK3 w - - 0 1", "w", True),  # a pawn can block
        ("4k3/8/8/8/8/8/8/3NKn2 w - - 0 1", "w", True),  # vs K+N
        ("4kb2/8/8/8/8/8/8/3NK3 w - - 0 1", "w", True),  # vs K+B
        ("4kr2/8/8/8/8/8/8/3NK3 w - - 0 1", "w", True),  # vs K+R
        ("4k3/8/8/8/8/8/8/2NNK3 w - - 0 1", "w", True),  # two knights
        ("4k3/8/8/8/8/8/8/2BNK3 w - - 0 1", "w", True),  # bishop and knight
        # Bishops: only on both square colours, or with a pawn or knight anywhere,
        # or an enemy bishop of the other square colour.
        ("4k3/8/8/8/8/8/8/2B1K3 w - - 0 1", "w", False),  # one bishop
        ("4k3/8/8/8/8/8/3B4/2B1K3 w - - 0 1", "w", False),  # same-coloured pair
        ("4k3/8/8/8/8/8/8/2BBK3 w - - 0 1", "w", True),  # opposite colours
        ("4k3/8/8/8/8/8/8/2B1Kb2 w - - 0 1", "w", True),  # opposite enemy bishop
        ("4kb2/8/8/8/8/8/8/2B1K3 w - - 0 1", "w", False),  # same-coloured enemy one
        ("3rkq2/8/8/8/8/8/8/2B1K3 w - - 0 1", "w", False),  # vs rooks and queens
        ("4k3/4p3/8/8/8/8/8/2B1K3 w - - 0 1", "w", True),  # an enemy pawn
        ("4k1n1/8/8/8/8/8/8/2B1K3 w - - 0 1", "w", True),  # an enemy knight
        # The same rules for Black.
        ("2n1k3/8/8/8/8/8/8/3QK3 w - - 0 1", "b", False),
        ("2n1k3/8/8/8/8/8/8/3RK3 w - - 0 1", "b", True),
        ("2b1k3/8/8/8/8/8/8/4K3 w - - 0 1", "b", False),
        ("2bbk3/8/8/8/8/8/8/4K3 w - - 0 1", "b", True),
    ],
)
def test_has_mating_material_follows_spec(
    fen: str, colour: str, expected: bool
) -> None:
    assert Board.from_fen(fen).has_mating_material(colour) is expected


def test_the_starting_position_has_mating_material_on_both_sides() -> None:
    board = Board()
    assert board.has_mating_material("w") and board.has_mating_material("b")


@pytest.mark.parametrize("colour", ["white", "W", "", "wb"])
def test_unknown_colours_are_refused(colour: str) -> None:
    with pytest.raises(ValueError, match="colour"):
        Board().has_mating_material(colour)


def test_material_does_not_depend_on_the_side_to_move() -> None:
    white_to_move = Board.from_fen("4k3/8/8/8/8/8/7q/3NK3 w - - 0 1")
    black_to_move = Board.from_fen("4k3/8/8/8/8/8/7q/3NK3 b - - 0 1")
    for colour in ("w", "b"):
        assert white_to_move.has_mating_material(
            colour
        ) is black_to_move.has_mating_material(colour)


def _mirrored(fen: str) -> str:
    """The colour-swapped position (ranks flipped, cases swapped)."""
    placement = fen.split(" ", 1)[0]
    return "/".join(reversed(placement.swapcase().split("/"))) + " b - - 0 1"


def _random_fens(count: int) -> list[str]:
    """Legal-ish sparse positions: two kings far apart plus a few minor/major
    pieces and now and then a pawn (no pawns on the back ranks)."""
    rng = random.Random(20261121)
    fens = []
    for _ in range(count):
        grid: dict[int, str] = {0: "K", 63: "k"}  # a1 and h8
        for letter in rng.sample("NBRQPnbrqpNBnb", rng.randint(0, 4)):
            square = rng.choice([s for s in range(8, 56) if s not in grid])
            grid[square] = letter
        rows = []
        for rank in range(7, -1, -1):
            row, empty = "", 0
            for file in range(8):
                piece = grid.get(rank * 8 + file)
                if piece is None:
                    empty += 1
                    continue
                row += (str(empty) if empty else "") + piece
                empty = 0
            rows.append(row + (str(empty) if empty else ""))
        fen = "/".join(rows) + " w - - 0 1"
        try:
            Board.from_fen(fen)
        except ValueError:  # Black in check with White to move: not a position
            continue
        fens.append(fen)
    return fens


@pytest.mark.parametrize("fen", _random_fens(300))
def test_two_sided_rule_is_the_one_sided_rule_twice_and_symmetric(fen: str) -> None:
    board = Board.from_fen(fen)
    mirror = Board.from_fen(_mirrored(fen))
    white, black = board.has_mating_material("w"), board.has_mating_material("b")
    assert board.is_insufficient_material() is (not white and not black)
    assert (mirror.has_mating_material("b"), mirror.has_mating_material("w")) == (
        white,
        black,
    )
