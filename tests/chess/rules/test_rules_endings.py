"""Game endings: automatic outcomes and draw claims."""

from __future__ import annotations

import pytest

from chess.rules import (
    CHECKMATE,
    FIFTY_MOVES,
    FIVEFOLD_REPETITION,
    INSUFFICIENT_MATERIAL,
    SEVENTYFIVE_MOVES,
    STALEMATE,
    THREEFOLD_REPETITION,
    Board,
    Outcome,
)

KNIGHT_SHUFFLE = ["g1f3", "g8f6", "f3g1", "f6g8"]


def test_game_in_progress_has_no_outcome_and_no_claim() -> None:
    board = Board()
    assert board.outcome() is None
    assert board.can_claim_draw() is False
    assert board.claim_draw_reason() is None


def test_fools_mate_is_checkmate_for_black() -> None:
    board = Board.from_moves(["f2f3", "e7e5", "g2g4", "d8h4"])
    assert board.outcome() == Outcome(CHECKMATE, "0-1")
    assert board.is_checkmate()
    assert board.legal_moves() == []


def test_back_rank_mate_is_checkmate_for_white() -> None:
    board = Board.from_fen("6k1/5ppp/8/8/8/8/8/R3K3 w - - 0 1")
    board.push_san("Ra8#")
    outcome = board.outcome()
    assert outcome is not None
    assert (outcome.termination, outcome.result, outcome.winner) == (
        CHECKMATE,
        "1-0",
        "w",
    )


def test_stalemate_is_a_draw() -> None:
    board = Board.from_fen("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1")
    assert board.outcome() == Outcome(STALEMATE, "1/2-1/2")
    assert board.is_stalemate()
    outcome = board.outcome()
    assert outcome is not None
    assert outcome.winner is None


@pytest.mark.parametrize(
    "fen",
    [
        "4k3/8/8/8/8/8/8/4K3 w - - 0 1",  # K v K
        "4k3/8/8/8/8/8/8/4KN2 w - - 0 1",  # KN v K
        "4k3/8/8/8/8/8/8/4KB2 w - - 0 1",  # KB v K
        "4kb2/8/8/8/8/8/8/2B1K3 w - - 0 1",  # KB v KB, both bishops on dark squares
        "4k3/8/8/8/8/4B3/8/2B1K3 w - - 0 1",  # KBB v K, same-coloured bishops
        "4k3/8/8/8/8/8/8/4K1n1 w - - 0 1",  # K v KN
    ],
)
def test_insufficient_material_is_a_draw(fen: str) -> None:
    board = Board.from_fen(fen)
    assert board.is_insufficient_material()
    assert board.outcome() == Outcome(INSUFFICIENT_MATERIAL, "1/2-1/2")


@pytest.mark.parametrize(
    "fen",
    [
        "4k3/8/8/8/8/8/8/4KNq1 w - - 0 1",  # KN v KQ: the queen can still mate
        "4k3/8/8/8/8/8/8/3NKn2 w - - 0 1",  # KN v KN: a helpmate exists
        "4k3/8/8/8/8/8/8/4KNN1 w - - 0 1",  # KNN v K
        "4kb2/8/8/8/8/8/8/3BK3 w - - 0 1",  # KB v KB on opposite colours
        "4k3/8/8/8/8/8/8/3BKn2 w - - 0 1",  # KB v KN
        "4k3/8/8/8/8/8/4P3/4K3 w - - 0 1",  # a pawn
        "4k3/8/8/8/8/8/8/4K2R w - - 0 1",  # a rook
    ],
)
def test_sufficient_material_goes_on(fen: str) -> None:
    board = Board.from_fen(fen)
    assert not board.is_insufficient_material()
    assert board.outcome() is None


def test_knight_side_cannot_mate_against_king_and_queen() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/8/4KNq1 w - - 0 1")
    assert board._cannot_mate(0)
    assert not board._cannot_mate(1)


def test_capture_to_bare_kings_ends_the_game() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/4r3/4K3 w - - 0 1")
    board.push_uci("e1e2")
    assert board.outcome() == Outcome(INSUFFICIENT_MATERIAL, "1/2-1/2")


def test_threefold_repetition_can_be_claimed_but_does_not_end_the_game() -> None:
    board = Board()
    for uci in KNIGHT_SHUFFLE:
        board.push_uci(uci)
    assert board.claim_draw_reason() is None
    for uci in KNIGHT_SHUFFLE:
        board.push_uci(uci)
    assert board.claim_draw_reason() == THREEFOLD_REPETITION
    assert board.can_claim_draw()
    assert board.outcome() is None


def test_fivefold_repetition_ends_the_game() -> None:
    board = Board()
    for _ in range(3):
        for uci in KNIGHT_SHUFFLE:
            board.push_uci(uci)
    assert board.outcome() is None
    for uci in KNIGHT_SHUFFLE[:3]:
        board.push_uci(uci)
    assert board.outcome() is None
    board.push_uci(KNIGHT_SHUFFLE[3])
    assert board.outcome() == Outcome(FIVEFOLD_REPETITION, "1/2-1/2")


def test_repetition_needs_the_same_castling_rights() -> None:
    board = Board.from_fen("r3k3/8/8/8/8/8/8/4K2R w Kq - 0 1")
    # The rook's first trip loses the right: the start position never recurs.
    for _ in range(3):
        for uci in ["h1h2", "a8a7", "h2h1", "a7a8"]:
            board.push_uci(uci)
    # Two more cycles since rights were lost: the position occurred 3 times.
    assert board.fen().split()[2] == "-"
    assert board.claim_draw_reason() == THREEFOLD_REPETITION
    board = Board.from_fen("r3k3/8/8/8/8/8/8/4K2R w Kq - 0 1")
    for _ in range(2):
        for uci in ["h1h2", "a8a7", "h2h1", "a7a8"]:
            board.push_uci(uci)
    assert board.claim_draw_reason() is None


def test_repetition_counts_a_legal_en_passant_as_a_different_position() -> None:
    board = Board.from_fen("8/8/8/8/k2p4/8/4P3/4K3 w - - 0 1")
    board.push_uci("e2e4")  # d4xe3 is possible here, and only here
    for _ in range(2):
        for uci in ["a4a5", "e1d1", "a5a4", "d1e1"]:
            board.push_uci(uci)
    assert board.claim_draw_reason() is None


def test_repetition_ignores_an_en_passant_square_that_cannot_be_used() -> None:
    board = Board.from_fen("8/8/8/8/k2p3R/8/4P3/4K3 w - - 0 1")
    board.push_uci("e2e4")  # d4xe3 would expose the king on a4
    for _ in range(2):
        for uci in ["a4a5", "e1d1", "a5a4", "d1e1"]:
            board.push_uci(uci)
    assert board.claim_draw_reason() == THREEFOLD_REPETITION


def test_fifty_move_rule_can_be_claimed() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/8/R3K3 w - - 99 80")
    assert board.claim_draw_reason() is None
    board.push_uci("a1a2")
    assert board.claim_draw_reason() == FIFTY_MOVES
    assert board.outcome() is None


def test_seventyfive_move_rule_ends_the_game() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/8/R3K3 w - - 149 100")
    assert board.outcome() is None
    board.push_uci("a1a2")
    assert board.outcome() == Outcome(SEVENTYFIVE_MOVES, "1/2-1/2")


def test_checkmate_on_the_seventyfifth_move_stands() -> None:
    board = Board.from_fen("7k/8/6K1/8/8/8/8/R7 w - - 149 100")
    board.push_uci("a1a8")
    assert board.outcome() == Outcome(CHECKMATE, "1-0")
    assert board.claim_draw_reason() is None


def test_pawn_move_resets_the_fifty_move_count() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/4P3/R3K3 w - - 99 80")
    board.push_uci("e2e3")
    assert board.halfmove_clock == 0
    assert board.claim_draw_reason() is None
