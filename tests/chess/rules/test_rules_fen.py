"""FEN input validation and output, and UCI parsing."""

from __future__ import annotations

import pytest

from chess.rules import STARTING_FEN, Board, IllegalMoveError, Move

ROUND_TRIP_FENS = [
    STARTING_FEN,
    "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
    "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
    "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
    "rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3",
    "4k3/8/8/8/8/8/8/4K3 b - - 99 150",
    "r3k3/8/8/8/8/8/8/4K2R w Kq - 0 1",
]


@pytest.mark.parametrize("fen", ROUND_TRIP_FENS)
def test_fen_round_trips(fen: str) -> None:
    assert Board.from_fen(fen).fen() == fen


def test_default_board_is_the_start_position() -> None:
    board = Board()
    assert board.fen() == STARTING_FEN
    assert board.turn == "w"
    assert len(board.legal_moves()) == 20


def test_turn_is_w_or_b() -> None:
    board = Board()
    board.push_uci("e2e4")
    assert board.turn == "b"


def test_en_passant_square_is_written_only_when_a_capture_is_legal() -> None:
    board = Board()
    board.push_uci("e2e4")
    # No black pawn can take on e3.
    assert board.fen() == "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1"
    board = Board.from_fen("4k3/8/8/8/3p4/8/4P3/4K3 w - - 0 1")
    board.push_uci("e2e4")
    assert board.fen() == "4k3/8/8/8/3pP3/8/8/4K3 b - e3 0 1"


def test_en_passant_square_is_dropped_when_the_capture_is_pinned() -> None:
    # Taking e3 would expose the black king on a4 to the rook on h4.
    board = Board.from_fen("8/8/8/8/k2p3R/8/4P3/4K3 w - - 0 1")
    board.push_uci("e2e4")
    assert board.fen().split()[3] == "-"
    assert "d4e3" not in board.legal_uci()


def test_unusable_en_passant_square_in_input_fen_is_dropped() -> None:
    board = Board.from_fen(
        "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq e3 0 1"
    )
    assert board.fen().split()[3] == "-"


def test_counters_are_kept() -> None:
    board = Board.from_fen("4k3/8/8/8/8/8/8/4K2R w - - 12 40")
    assert (board.halfmove_clock, board.fullmove_number) == (12, 40)
    board.push_uci("h1h2")
    board.push_uci("e8d8")
    assert board.fen().endswith(" 14 41")


@pytest.mark.parametrize(
    ("fen", "reason"),
    [
        ("", "expected 6 space-separated fields, got 0"),
        ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0", "got 5"),
        (STARTING_FEN + " extra", "got 7"),
        ("rnbqkbnr/pppppppp/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "expected 8 ranks"),
        ("rnbqkbnr/ppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "describes 7"),
        ("rnbqkbnr/ppppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "describes 9"),
        ("rnbqkbnr/pppppppp/44/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "consecutive"),
        ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNX w KQkq - 0 1", "bad piece"),
        ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQ1BNR w kq - 0 1", "white must"),
        ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBKKBNR w kq - 0 1", "found 2"),
        ("rnbq1bnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQ - 0 1", "black must"),
        ("4k3/8/8/8/8/8/8/P3K3 w - - 0 1", "pawns on the first or eighth"),
        ("P3k3/8/8/8/8/8/8/4K3 w - - 0 1", "pawns on the first or eighth"),
        ("4k3/8/8/8/8/8/8/r3K3 b - - 0 1", "white is in check but it is not its move"),
        ("4k3/4R3/8/8/8/8/8/4K3 w - - 0 1", "black is in check"),
        ("3kK3/8/8/8/8/8/8/8 w - - 0 1", "in check"),
        (STARTING_FEN.replace(" w ", " x "), "side to move must be 'w' or 'b'"),
        (STARTING_FEN.replace("KQkq", "KQkqK"), "castling field"),
        (STARTING_FEN.replace("KQkq", "kqKQ"), "castling field"),
        (STARTING_FEN.replace("KQkq", "KX"), "castling field"),
        ("4k3/8/8/8/8/8/8/4K3 w K - 0 1", "castling right 'K' needs the king on e1"),
        ("r3k3/8/8/8/8/8/8/4K3 w k - 0 1", "castling right 'k' needs"),
        ("4k3/8/8/8/8/8/8/R2K4 w Q - 0 1", "castling right 'Q' needs"),
        (STARTING_FEN.replace(" - ", " e9 "), "en-passant square must be"),
        (STARTING_FEN.replace(" - ", " e4 "), "en-passant square must be"),
        (STARTING_FEN.replace(" - ", " e3 "), "must be on rank 6 when white"),
        ("4k3/8/8/8/8/8/8/4K3 w - e6 0 1", "does not follow a double pawn push"),
        (STARTING_FEN.replace(" 0 1", " -1 1"), "halfmove clock"),
        (STARTING_FEN.replace(" 0 1", " x 1"), "halfmove clock"),
        (STARTING_FEN.replace(" 0 1", " 0 0"), "fullmove number"),
        (STARTING_FEN.replace(" 0 1", " 0 z"), "fullmove number"),
        ("4k3/pppppppp/p7/8/8/8/8/4K3 w - - 0 1", "more than 8 pawns"),
    ],
)
def test_malformed_or_impossible_fen_is_rejected_with_a_reason(
    fen: str, reason: str
) -> None:
    with pytest.raises(ValueError, match="invalid FEN") as excinfo:
        Board.from_fen(fen)
    assert reason in str(excinfo.value)


def test_move_is_its_uci_text() -> None:
    move = Move.from_uci("e7e8q")
    assert move.uci() == "e7e8q"
    assert str(move) == "e7e8q"
    assert move == Move(52, 60, "q")
    assert str(Move.from_uci("g1f3")) == "g1f3"


@pytest.mark.parametrize(
    ("uci", "reason"),
    [
        ("", "malformed UCI move"),
        ("e2", "malformed UCI move"),
        ("e2e4e", "promotion must be one of q, r, b, n"),
        ("e7e8k", "promotion must be one of q, r, b, n"),
        ("i2i4", "bad square"),
        ("e0e1", "bad square"),
        ("E2E4", "bad square"),
        ("e2e2", "null move"),
        ("e2e4qq", "malformed UCI move"),
    ],
)
def test_malformed_uci_is_rejected_with_a_reason(uci: str, reason: str) -> None:
    board = Board()
    with pytest.raises(IllegalMoveError) as excinfo:
        board.push_uci(uci)
    assert reason in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)
    assert board.fen() == STARTING_FEN


@pytest.mark.parametrize("uci", ["e2e5", "e1g1", "g1g3", "e7e5", "a2a3q", "e2e4q"])
def test_illegal_uci_is_rejected(uci: str) -> None:
    board = Board()
    with pytest.raises(IllegalMoveError, match="illegal move in this position"):
        board.push_uci(uci)
    assert board.fen() == STARTING_FEN


def test_promotion_needs_a_piece_in_uci() -> None:
    board = Board.from_fen("4k3/P7/8/8/8/8/8/4K3 w - - 0 1")
    with pytest.raises(IllegalMoveError):
        board.push_uci("a7a8")
    assert sorted(board.legal_uci())[:4] == ["a7a8b", "a7a8n", "a7a8q", "a7a8r"]


def test_pieces_and_piece_at_describe_the_board() -> None:
    board = Board()
    assert board.piece_at("e1") == "K"
    assert board.piece_at("d8") == "q"
    assert board.piece_at("e4") is None
    pieces = board.pieces()
    assert len(pieces) == 32
    assert pieces["g8"] == "n"
    assert pieces["a2"] == "P"


def test_king_in_check_square() -> None:
    board = Board()
    assert board.king_in_check_square() is None
    for uci in ["e2e4", "f7f6", "d1h5"]:
        board.push_uci(uci)
    assert board.king_in_check_square() == "e8"
    assert board.is_check()


def test_from_moves_replays_and_names_the_bad_ply() -> None:
    board = Board.from_moves(["e2e4", "e7e5", "g1f3"])
    assert board.uci_moves() == ["e2e4", "e7e5", "g1f3"]
    assert [m.uci() for m in board.move_stack] == ["e2e4", "e7e5", "g1f3"]
    assert board.ply == 3
    with pytest.raises(IllegalMoveError, match="ply 2: illegal move"):
        Board.from_moves(["e2e4", "e2e4"])
    trusted = Board.from_moves(["e2e4", "e7e5", "g1f3"], validate=False)
    assert trusted.fen() == board.fen()


def test_from_moves_from_a_start_fen() -> None:
    fen = "4k3/8/8/8/8/8/8/4K2R w K - 0 1"
    board = Board.from_moves(["e1g1"], start_fen=fen)
    assert board.fen() == "4k3/8/8/8/8/8/8/5RK1 b - - 1 1"
    assert board.start_fen == fen


def test_pop_restores_and_returns_the_move() -> None:
    board = Board()
    move = board.push_uci("g1f3")
    assert board.pop() == move
    assert board.fen() == STARTING_FEN
    with pytest.raises(IndexError):
        board.pop()


def test_copy_is_independent() -> None:
    board = Board()
    board.push_uci("e2e4")
    other = board.copy()
    other.push_uci("e7e5")
    assert board.ply == 1
    assert other.ply == 2
    other.pop()
    assert other.fen() == board.fen()


def test_copies_sharing_a_history_do_not_disturb_each_other() -> None:
    board = Board.from_moves(["e2e4", "e7e5"])
    other = board.copy()
    other.pop()
    other.push_uci("c7c5")
    other.pop()
    other.pop()
    other.push_uci("d2d4")
    assert board.pop().uci() == "e7e5"
    assert board.fen() == "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1"
    assert board.pop().uci() == "e2e4"
    assert board.fen() == STARTING_FEN
    assert other.uci_moves() == ["d2d4"]
