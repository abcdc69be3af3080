"""Property tests: random legal games checked against an independent move finder."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chess.rules import Board, parse_pgn_moves

START_FENS = [
    "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
    "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
    "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
    "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
    "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
    "r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P1b1/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10",
    "4k3/1P6/8/3pP3/8/8/6p1/4K3 w - d6 0 1",
]

FILES = "abcdefgh"
Square = tuple[int, int]
KNIGHT_STEPS = [(1, 2), (2, 1), (2, -1), (1, -2), (-1, -2), (-2, -1), (-2, 1), (-1, 2)]
KING_STEPS = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)]
ROOK_DIRS = [(1, 0), (-1, 0), (0, 1), (0, -1)]
BISHOP_DIRS = [(1, 1), (1, -1), (-1, 1), (-1, -1)]


def _name(sq: Square) -> str:
    return FILES[sq[0]] + str(sq[1] + 1)


def _on(f: int, r: int) -> bool:
    return 0 <= f < 8 and 0 <= r < 8


def _white(piece: str) -> bool:
    return piece.isupper()


def _attacked(pos: dict[Square, str], sq: Square, by_white: bool) -> bool:
    """Is ``sq`` attacked by the side ``by_white``? Walks every enemy piece's rays."""
    for (f, r), piece in pos.items():
        if _white(piece) != by_white:
            continue
        kind = piece.lower()
        df, dr = sq[0] - f, sq[1] - r
        if kind == "p":
            if abs(df) == 1 and dr == (1 if by_white else -1):
                return True
        elif kind == "n":
            if (df, dr) in KNIGHT_STEPS:
                return True
        elif kind == "k":
            if (df, dr) in KING_STEPS:
                return True
        else:
            dirs = {"r": ROOK_DIRS, "b": BISHOP_DIRS, "q": ROOK_DIRS + BISHOP_DIRS}[
                kind
            ]
            for sf, sr in dirs:
                x, y = f + sf, r + sr
                while _on(x, y):
                    if (x, y) == sq:
                        return True
                    if (x, y) in pos:
                        break
                    x, y = x + sf, y + sr
    return False


def _king(pos: dict[Square, str], white: bool) -> Square:
    return next(sq for sq, p in pos.items() if p == ("K" if white else "k"))


def naive_legal_moves(board: Board) -> set[str]:
    """Every legal move, found the slow way: try each pseudo-legal move on a dict."""
    pos: dict[Square, str] = {
        (FILES.index(name[0]), int(name[1]) - 1): piece
        for name, piece in board.pieces().items()
    }
    fields = board.fen().split()
    white = fields[1] == "w"
    castling = fields[2]
    ep: Square | None = None
    last = board.peek()
    if last is not None:
        to = (last.to_square % 8, last.to_square // 8)
        frm_rank = last.from_square // 8
        if pos.get(to, "").lower() == "p" and abs(to[1] - frm_rank) == 2:
            ep = (to[0], (to[1] + frm_rank) // 2)
    elif fields[3] != "-":
        ep = (FILES.index(fields[3][0]), int(fields[3][1]) - 1)

    pseudo: list[tuple[Square, Square, str]] = []
    for (f, r), piece in pos.items():
        if _white(piece) != white:
            continue
        kind = piece.lower()

        def add(
            x: int,
            y: int,
            capture_only: bool = False,
            quiet_only: bool = False,
            origin: Square = (f, r),
        ) -> bool:
            if not _on(x, y):
                return False
            target = pos.get((x, y))
            if target is not None and _white(target) == white:
                return False
            if capture_only and target is None:
                return False
            if quiet_only and target is not None:
                return False
            pseudo.append((origin, (x, y), ""))
            return target is None

        if kind == "p":
            step = 1 if white else -1
            if add(f, r + step, quiet_only=True) and r == (1 if white else 6):
                add(f, r + 2 * step, quiet_only=True)
            for side in (-1, 1):
                add(f + side, r + step, capture_only=True)
                if ep == (f + side, r + step):
                    pseudo.append(((f, r), ep, "ep"))
        elif kind == "n":
            for sf, sr in KNIGHT_STEPS:
                add(f + sf, r + sr)
        elif kind == "k":
            for sf, sr in KING_STEPS:
                add(f + sf, r + sr)
        else:
            dirs = {"r": ROOK_DIRS, "b": BISHOP_DIRS, "q": ROOK_DIRS + BISHOP_DIRS}[
                kind
            ]
            for sf, sr in dirs:
                x, y = f + sf, r + sr
                while add(x, y):
                    x, y = x + sf, y + sr

    legal: set[str] = set()
    for frm, to, special in pseudo:
        after = dict(pos)
        piece = after.pop(frm)
        after[to] = piece
        if special == "ep":
            del after[(to[0], frm[1])]
        if not _attacked(after, _king(after, white), not white):
            uci = _name(frm) + _name(to)
            if piece.lower() == "p" and to[1] in (0, 7):
                legal.update(uci + p for p in "qrbn")
            else:
                legal.add(uci)

    rank = 0 if white else 7
    king_square = (4, rank)
    if pos.get(king_square) == ("K" if white else "k") and not _attacked(
        pos, king_square, not white
    ):
        for right, rook_file, empty, safe in (
            ("K", 7, (5, 6), (5, 6)),
            ("Q", 0, (1, 2, 3), (3, 2)),
        ):
            if (right if white else right.lower()) not in castling:
                continue
            if pos.get((rook_file, rank)) != ("R" if white else "r"):
                continue
            if any((x, rank) in pos for x in empty):
                continue
            if any(_attacked(pos, (x, rank), not white) for x in safe):
                continue
            legal.add(_name(king_square) + _name((safe[-1], rank)))
    return legal


GAME = st.tuples(
    st.sampled_from(START_FENS),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=60),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GAME)
def test_random_games_keep_the_invariants(game: tuple[str, list[int]]) -> None:
    start_fen, choices = game
    board = Board.from_fen(start_fen)
    fens = [board.fen()]
    for choice in choices:
        moves = board.legal_moves()
        ucis = {move.uci() for move in moves}
        # Legal moves never leave the own king in check, and none are missing.
        assert ucis == naive_legal_moves(board), board.fen()
        assert board._count_legal() == len(moves)
        assert Board.from_fen(board.fen()).fen() == board.fen()
        # The SAN of every legal move reads back as the same move.
        for move in moves:
            assert board.parse_san(board.san(move)) == move
        if not moves:
            assert board.outcome() is not None
            break
        move = moves[choice % len(moves)]
        before = board.fen()
        board.push(move)
        after = board.fen()
        board.pop()
        assert board.fen() == before
        board.push(move)
        assert board.fen() == after
        fens.append(after)
    # The game survives a PGN round trip and a replay from its UCI list.
    assert parse_pgn_moves(board.pgn()) == board.uci_moves()
    replayed = Board.from_moves(board.uci_moves(), start_fen=start_fen)
    assert replayed.fen() == board.fen()
    assert replayed.outcome() == board.outcome()
    assert replayed.claim_draw_reason() == board.claim_draw_reason()
    # Popping every move walks back through the same positions.
    while board.ply:
        fens.pop()
        board.pop()
        assert board.fen() == fens[-1]
