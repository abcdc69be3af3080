"""Move generation edge cases: castling, en passant, promotion, pins, double check."""

from __future__ import annotations

import pytest

from chess.rules import Board, IllegalMoveError, Move


def _legal(fen: str) -> set[str]:
    return set(Board.from_fen(fen).legal_uci())


@pytest.mark.parametrize(
    ("fen", "castle", "allowed"),
    [
        ("4k3/8/8/8/8/8/8/4K2R w K - 0 1", "e1g1", True),
        ("r3k3/8/8/8/8/8/8/4K3 b q - 0 1", "e8c8", True),
        # Out of check, through check, into check.
        ("k3r3/8/8/8/8/8/8/4K2R w K - 0 1", "e1g1", False),
        ("k4r2/8/8/8/8/8/8/4K2R w K - 0 1", "e1g1", False),
        ("k5r1/8/8/8/8/8/8/4K2R w K - 0 1", "e1g1", False),
        ("3r3k/8/8/8/8/8/8/R3K3 w Q - 0 1", "e1c1", False),
        ("2r4k/8/8/8/8/8/8/R3K3 w Q - 0 1", "e1c1", False),
        # Only b1 is attacked: queenside castling is still legal.
        ("1r5k/8/8/8/8/8/8/R3K3 w Q - 0 1", "e1c1", True),
        # A piece between king and rook.
        ("7k/8/8/8/8/8/8/RN2K3 w Q - 0 1", "e1c1", False),
        ("k7/8/8/8/8/8/8/4KN1R w K - 0 1", "e1g1", False),
        # The rook itself may be attacked.
        ("k6r/8/8/8/8/8/8/4K2R w K - 0 1", "e1g1", True),
        # No right, no castling.
        ("4k3/8/8/8/8/8/8/4K2R w - - 0 1", "e1g1", False),
    ],
)
def test_castling_rules(fen: str, castle: str, allowed: bool) -> None:
    assert (castle in _legal(fen)) is allowed


def test_castling_moves_the_rook_and_drops_both_rights() -> None:
    board = Board.from_fen("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1")
    board.push_uci("e1g1")
    assert board.fen() == "r3k2r/8/8/8/8/8/8/R4RK1 b kq - 1 1"
    board.push_uci("e8c8")
    assert board.fen() == "2kr3r/8/8/8/8/8/8/R4RK1 w - - 2 2"


def test_castling_right_is_lost_when_the_rook_is_captured() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/6b1/4K2R b K - 0 1")
    board.push_uci("g2h1")
    assert board.fen().split()[2] == "-"


def test_castling_right_is_lost_when_the_rook_moves_and_comes_back() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/8/R3K2R w KQ - 0 1")
    for uci in ["h1h2", "e8d8", "h2h1", "d8e8"]:
        board.push_uci(uci)
    assert board.fen().split()[2] == "Q"
    assert "e1g1" not in board.legal_uci()
    assert "e1c1" in board.legal_uci()


def test_castling_rights_are_lost_when_the_king_moves() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/8/R3K2R w KQ - 0 1")
    for uci in ["e1f1", "e8d8", "f1e1", "d8e8"]:
        board.push_uci(uci)
    assert board.fen().split()[2] == "-"


def test_en_passant_capture_removes_the_passed_pawn() -> None:
    board = Board.from_fen("4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1")
    board.push_uci("e5d6")
    assert board.fen() == "4k3/8/3P4/8/8/8/8/4K3 b - - 0 1"
    board.pop()
    assert board.fen() == "4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1"


def test_en_passant_is_only_available_immediately() -> None:
    board = Board.from_fen("4k3/3p4/8/4P3/8/8/8/4K3 b - - 0 1")
    board.push_uci("d7d5")
    assert "e5d6" in board.legal_uci()
    board.push_uci("e1e2")
    board.push_uci("e8e7")
    assert "e5d6" not in board.legal_uci()


def test_en_passant_exposing_the_king_on_the_rank_is_illegal() -> None:
    fen = "8/8/8/8/k2Pp2Q/8/8/3K4 b - d3 0 1"
    assert "e4d3" not in _legal(fen)
    assert Board.from_fen(fen).fen().split()[3] == "-"


def test_en_passant_along_a_diagonal_pin_is_legal() -> None:
    assert "e4d3" in _legal("8/8/8/5k2/3Pp3/8/8/1B5K b - d3 0 1")


def test_en_passant_leaving_a_diagonal_pin_is_illegal() -> None:
    assert "e4d3" not in _legal("8/8/2k5/8/3Pp3/8/8/4K2B b - d3 0 1")


def test_en_passant_leaving_a_file_pin_is_illegal() -> None:
    assert "e4d3" not in _legal("4k3/8/8/8/3Pp3/8/8/3KR3 b - d3 0 1")


def test_en_passant_can_capture_the_checking_pawn() -> None:
    legal = _legal("8/8/8/4k3/3Pp3/8/8/4K3 b - d3 0 1")
    assert "e4d3" in legal


def test_en_passant_does_not_answer_a_discovered_check() -> None:
    board = Board.from_fen("8/8/8/7k/5p2/8/4P3/3BK3 w - - 0 1")
    board.push_uci("e2e4")
    assert board.is_check()
    assert "f4e3" not in board.legal_uci()
    assert board.fen().split()[3] == "-"


def test_promotion_offers_four_pieces_and_places_them() -> None:
    fen = "1r2k3/P7/8/8/8/8/8/4K3 w - - 0 1"
    legal = _legal(fen)
    assert {"a7a8q", "a7a8r", "a7a8b", "a7a8n"} <= legal
    assert {"a7b8q", "a7b8r", "a7b8b", "a7b8n"} <= legal
    board = Board.from_fen(fen)
    board.push_uci("a7b8n")
    assert board.piece_at("b8") == "N"
    assert board.fen() == "1N2k3/8/8/8/8/8/8/4K3 b - - 0 1"
    board.pop()
    assert board.fen() == fen


def test_black_promotes_on_the_first_rank() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/p7/4K3 b - - 0 1")
    board.push_uci("a2a1q")
    assert board.piece_at("a1") == "q"
    assert board.is_check()


def test_double_check_allows_only_king_moves() -> None:
    legal = _legal("3rk3/8/3N4/8/8/8/8/4RK2 b - - 0 1")
    assert legal == {"e8d7", "e8f8"}


def test_pinned_piece_moves_only_along_the_pin() -> None:
    legal = _legal("4k3/4r3/8/8/8/8/4R3/4K3 b - - 0 1")
    rook_moves = {uci for uci in legal if uci.startswith("e7")}
    assert rook_moves == {"e7e6", "e7e5", "e7e4", "e7e3", "e7e2"}


def test_king_cannot_step_back_along_the_checking_line() -> None:
    legal = _legal("4k3/8/8/8/8/8/8/r3K3 w - - 0 1")
    assert "e1f1" not in legal
    assert {"e1e2", "e1d2", "e1f2"} <= legal


def test_moving_out_of_turn_is_rejected() -> None:
    with pytest.raises(IllegalMoveError):
        Board().push_uci("e7e5")


def test_moving_from_an_empty_square_is_rejected() -> None:
    with pytest.raises(IllegalMoveError):
        Board().push_uci("e3e4")


PERFT_FENS = [
    "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
    "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
    "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
    "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
    "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
    "8/8/8/8/k2Pp2Q/8/8/3K4 b - d3 0 1",
    "8/8/8/4k3/3Pp3/8/8/4K3 b - d3 0 1",
    "3rk3/8/3N4/8/8/8/8/4RK2 b - - 0 1",
]


def _assert_is_legal_matches_the_move_list(board: Board) -> None:
    legal = set(board.legal_moves())
    own = [index for index in range(64) if board.piece_at(index) is not None]
    for frm in own:
        for to in range(64):
            for promotion in (None, "q", "r", "b", "n"):
                move = Move(frm, to, promotion)
                assert board.is_legal(move) is (move in legal), (board.fen(), move)


@pytest.mark.parametrize("fen", PERFT_FENS)
def test_is_legal_agrees_with_the_move_list(fen: str) -> None:
    board = Board.from_fen(fen)
    _assert_is_legal_matches_the_move_list(board)
    for move in board.legal_moves()[:12]:
        board.push(move)
        _assert_is_legal_matches_the_move_list(board)
        board.pop()


def test_is_legal_rejects_junk() -> None:
    board = Board()
    assert not board.is_legal(Move(64, 0))
    assert not board.is_legal(Move(-1, 0))
    assert not board.is_legal(Move(12, 28, "k"))
    assert not board.is_legal(("e2", "e4"))  # type: ignore[arg-type]
