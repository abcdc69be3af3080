"""SAN output (disambiguation, checks, castling, promotion) and SAN input."""

from __future__ import annotations

import pytest

from chess.rules import STARTING_FEN, Board, IllegalMoveError, Move


def _san(fen: str, uci: str) -> str:
    board = Board.from_fen(fen)
    return board.san(Move.from_uci(uci))


@pytest.mark.parametrize(
    ("fen", "uci", "san"),
    [
        (STARTING_FEN, "e2e4", "e4"),
        (STARTING_FEN, "g1f3", "Nf3"),
        # Knights on b1 and f3 can both reach d2: the file decides.
        ("4k3/8/8/8/8/5N2/8/1N2K3 w - - 0 1", "b1d2", "Nbd2"),
        # Rooks on a1 and a5 share a file: the rank decides.
        ("4k3/8/8/R7/8/8/8/R3K3 w - - 0 1", "a1a3", "R1a3"),
        # Three queens: one shares the file, one the rank: both are needed.
        ("8/2k5/8/8/Q6Q/8/8/K6Q w - - 0 1", "h4e4", "Qh4e4"),
        # A pinned rival does not force disambiguation.
        ("7k/4r3/8/8/8/8/4N3/1N2K3 w - - 0 1", "b1c3", "Nc3"),
        ("4k3/8/8/3p4/4P3/8/8/4K3 w - - 0 1", "e4d5", "exd5"),
        ("4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1", "e5d6", "exd6"),
        ("4k3/8/8/8/8/8/8/4K2R w K - 0 1", "e1g1", "O-O"),
        ("r3k3/8/8/8/8/8/8/3K4 b q - 0 1", "e8c8", "O-O-O+"),
        ("8/P6k/8/8/8/8/8/4K3 w - - 0 1", "a7a8q", "a8=Q"),
        ("7k/P7/8/8/8/8/8/4K3 w - - 0 1", "a7a8q", "a8=Q+"),
        ("7k/P7/8/8/8/8/8/4K3 w - - 0 1", "a7a8n", "a8=N"),
        ("1r5k/P7/8/8/8/8/8/4K3 w - - 0 1", "a7b8r", "axb8=R+"),
        ("6k1/5ppp/8/8/8/8/8/R3K3 w - - 0 1", "a1a8", "Ra8#"),
        ("4k3/8/8/8/8/8/3q4/4K3 w - - 0 1", "e1d2", "Kxd2"),
    ],
)
def test_san_output(fen: str, uci: str, san: str) -> None:
    assert _san(fen, uci) == san


def test_san_of_an_illegal_move_is_refused() -> None:
    with pytest.raises(IllegalMoveError):
        Board().san(Move.from_uci("e2e5"))


def test_san_does_not_change_the_board() -> None:
    board = Board()
    board.san(Move.from_uci("e2e4"))
    assert board.fen() == STARTING_FEN


@pytest.mark.parametrize(
    ("fen", "san", "uci"),
    [
        (STARTING_FEN, "e4", "e2e4"),
        (STARTING_FEN, "Nf3", "g1f3"),
        (STARTING_FEN, "Nf3+", "g1f3"),
        (STARTING_FEN, "Nf3!?", "g1f3"),
        (STARTING_FEN, "Ng1f3", "g1f3"),
        (STARTING_FEN, "Ngf3", "g1f3"),
        ("4k3/8/8/8/8/8/8/4K2R w K - 0 1", "O-O", "e1g1"),
        ("4k3/8/8/8/8/8/8/4K2R w K - 0 1", "0-0", "e1g1"),
        ("r3k3/8/8/8/8/8/8/3K4 b q - 0 1", "O-O-O+", "e8c8"),
        ("r3k3/8/8/8/8/8/8/4K3 b q - 0 1", "0-0-0", "e8c8"),
        ("8/P6k/8/8/8/8/8/4K3 w - - 0 1", "a8=Q", "a7a8q"),
        ("8/P6k/8/8/8/8/8/4K3 w - - 0 1", "a8Q", "a7a8q"),
        ("8/P6k/8/8/8/8/8/4K3 w - - 0 1", "a8=n", "a7a8n"),
        ("1r5k/P7/8/8/8/8/8/4K3 w - - 0 1", "axb8=R+", "a7b8r"),
        ("4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1", "exd6", "e5d6"),
        ("4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1", "exd6+", "e5d6"),
        ("4k3/8/8/3p4/4P3/8/8/4K3 w - - 0 1", "exd5", "e4d5"),
        ("4k3/8/8/3p4/4P3/8/8/4K3 w - - 0 1", "e5", "e4e5"),
    ],
)
def test_san_input_accepts_common_variants(fen: str, san: str, uci: str) -> None:
    board = Board.from_fen(fen)
    assert board.push_san(san).uci() == uci


@pytest.mark.parametrize(
    ("fen", "san", "reason"),
    [
        (STARTING_FEN, "", "malformed SAN move"),
        (STARTING_FEN, "Zf3", "malformed SAN move"),
        (STARTING_FEN, "e9", "malformed SAN move"),
        (STARTING_FEN, "Nf3=Q", "only pawns promote"),
        (STARTING_FEN, "e5", "illegal SAN move"),
        (STARTING_FEN, "Nd4", "illegal SAN move"),
        (STARTING_FEN, "O-O", "illegal SAN move"),
        (STARTING_FEN, "Ke2", "illegal SAN move"),
        ("4k3/8/8/8/8/5N2/8/1N2K3 w - - 0 1", "Nd2", "ambiguous SAN move"),
        ("4k3/8/8/R7/8/8/8/R3K3 w - - 0 1", "Ra3", "ambiguous SAN move"),
        ("8/P6k/8/8/8/8/8/4K3 w - - 0 1", "a8", "promotion piece missing"),
        ("8/P6k/8/8/8/8/8/4K3 w - - 0 1", "a8=K", "malformed SAN move"),
        # A pawn push cannot be written as a capture onto the square ahead.
        ("4k3/8/8/3p4/4P3/8/8/4K3 w - - 0 1", "d5", "illegal SAN move"),
        # Castling must be written as castling, not as a king move.
        ("4k3/8/8/8/8/8/8/4K2R w K - 0 1", "Kg1", "illegal SAN move"),
    ],
)
def test_bad_san_is_rejected_with_a_reason(fen: str, san: str, reason: str) -> None:
    board = Board.from_fen(fen)
    with pytest.raises(IllegalMoveError) as excinfo:
        board.push_san(san)
    assert reason in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)
    assert board.fen() == fen


def test_san_round_trips_for_every_legal_move_of_kiwipete() -> None:
    board = Board.from_fen(
        "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1"
    )
    sans = {board.san(move) for move in board.legal_moves()}
    assert len(sans) == 48
    assert {"O-O", "O-O-O", "Qxf6", "Bxa6", "Nxf7", "dxe6", "Qxh3"} <= sans
    for move in board.legal_moves():
        assert board.parse_san(board.san(move)) == move
