"""PGN export and PGN/SAN movetext import."""

from __future__ import annotations

import pytest

from chess.rules import (
    Board,
    IllegalMoveError,
    board_from_pgn,
    parse_pgn_headers,
    parse_pgn_moves,
    to_pgn,
)

OPERA_GAME = """\
[Event "Paris"]
[Site "Paris FRA"]
[Date "1858.??.??"]
[Round "?"]
[White "Paul Morphy"]
[Black "Duke Karl / Count Isouard"]
[Result "1-0"]

1. e4 e5 2. Nf3 d6 3. d4 Bg4 {This is a weak move already.} 4. dxe5 Bxf3 5. Qxf3
dxe5 6. Bc4 Nf6 7. Qb3 Qe7 8. Nc3 (8. Qxb7 Qb4+ 9. Qxb4 Bxb4+) 8... c6 9. Bg5 b5
10. Nxb5 cxb5 11. Bxb5+ Nbd7 12. O-O-O Rd8 13. Rxd7 Rxd7 14. Rd1 Qe6 15. Bxd7+
Nxd7 16. Qb8+ $1 Nxb8 17. Rd8# 1-0
"""


def test_pgn_import_reads_a_full_game() -> None:
    board = board_from_pgn(OPERA_GAME)
    assert board.ply == 33
    assert board.is_checkmate()
    assert board.uci_moves()[:3] == ["e2e4", "e7e5", "g1f3"]
    assert board.uci_moves()[-1] == "d1d8"


def test_pgn_headers_are_read() -> None:
    headers = parse_pgn_headers(OPERA_GAME)
    assert headers["White"] == "Paul Morphy"
    assert headers["Result"] == "1-0"


def test_pgn_round_trip_keeps_moves_and_tags() -> None:
    board = board_from_pgn(OPERA_GAME)
    headers = parse_pgn_headers(OPERA_GAME)
    text = to_pgn(board, headers)
    assert text.startswith('[Event "Paris"]\n[Site "Paris FRA"]\n[Date "1858.??.??"]')
    assert parse_pgn_headers(text) == headers
    assert "12. O-O-O Rd8 13. Rxd7" in text
    assert text.rstrip().endswith("17. Rd8# 1-0")
    assert all(len(line) <= 80 for line in text.splitlines())
    assert parse_pgn_moves(text) == board.uci_moves()


def test_pgn_export_writes_the_seven_tag_roster_with_defaults() -> None:
    board = Board.from_moves(["e2e4", "e7e5"])
    text = board.pgn({"White": "ann", "Black": "bob"})
    assert text == (
        '[Event "?"]\n[Site "?"]\n[Date "????.??.??"]\n[Round "?"]\n'
        '[White "ann"]\n[Black "bob"]\n[Result "*"]\n\n1. e4 e5 *\n'
    )


def test_pgn_export_uses_the_outcome_or_the_given_result() -> None:
    mate = Board.from_moves(["f2f3", "e7e5", "g2g4", "d8h4"])
    assert '[Result "0-1"]' in mate.pgn()
    assert mate.pgn().rstrip().endswith("2. g4 Qh4# 0-1")
    resigned = Board.from_moves(["e2e4"])
    text = resigned.pgn({"Termination": "normal"}, result="1-0")
    assert '[Result "1-0"]' in text
    assert '[Termination "normal"]' in text
    assert text.rstrip().endswith("1. e4 1-0")
    with pytest.raises(ValueError, match="invalid PGN result"):
        resigned.pgn(result="2-0")


def test_pgn_export_from_a_custom_position_adds_setup_and_fen() -> None:
    fen = "4k3/8/8/8/8/8/4P3/4K3 b - - 0 30"
    board = Board.from_moves(["e8d8", "e2e4"], start_fen=fen)
    text = to_pgn(board)
    assert '[SetUp "1"]' in text
    assert f'[FEN "{fen}"]' in text
    assert "30... Kd8 31. e4 *" in text
    assert parse_pgn_moves(text) == ["e8d8", "e2e4"]


def test_pgn_tag_values_are_escaped() -> None:
    text = Board().pgn({"Event": 'The "Big" \\ Game'})
    assert '[Event "The \\"Big\\" \\\\ Game"]' in text
    assert parse_pgn_headers(text)["Event"] == 'The "Big" \\ Game'


def test_bare_san_move_list_is_imported() -> None:
    assert parse_pgn_moves("e4 e5 Nf3 Nc6 Bb5") == [
        "e2e4",
        "e7e5",
        "g1f3",
        "b8c6",
        "f1b5",
    ]
    assert parse_pgn_moves("1.e4 e5 2.Nf3!? Nc6?! 3.Bb5 ; Ruy Lopez\n*") == [
        "e2e4",
        "e7e5",
        "g1f3",
        "b8c6",
        "f1b5",
    ]


def test_nested_variations_and_nags_are_skipped() -> None:
    text = "1. e4 (1. d4 d5 (1... Nf6 2. c4) 2. c4) 1... c5 $14 2. Nf3 {note} *"
    assert parse_pgn_moves(text) == ["e2e4", "c7c5", "g1f3"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1. e4 e5 2. Ke3", "move 2. Ke3: illegal SAN move"),
        ("1. e4 e4", "move 1... e4: illegal SAN move"),
        ("1. e4 e5 2. Zz9", "malformed SAN move"),
        ("1. e4 (1. d4", "unbalanced '('"),
        ("1. e4 ) e5", "unbalanced ')'"),
        ("1. e4 {comment", "unbalanced { } comment"),
    ],
)
def test_bad_movetext_is_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_pgn_moves(text)
    assert reason in str(excinfo.value)


def test_illegal_pgn_move_is_an_illegal_move_error() -> None:
    with pytest.raises(IllegalMoveError):
        parse_pgn_moves("1. e5")


def test_san_moves_lists_the_history_in_san() -> None:
    board = Board.from_moves(["e2e4", "e7e5", "g1f3", "b8c6", "f1b5", "g8f6", "e1g1"])
    assert board.san_moves() == ["e4", "e5", "Nf3", "Nc6", "Bb5", "Nf6", "O-O"]
