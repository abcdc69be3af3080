"""The chess position: push/pop, FEN, SAN/UCI entry points and endings.

``Board`` is mutable (``push_uci``/``push_san``/``pop``) for speed; callers that hold a
game should rebuild it from the stored start FEN and move list (``Board.from_moves``).
Legal moves come from ``chess.rules.movegen``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chess.rules.fen import (
    BISHOP,
    BLACK,
    KING,
    KNIGHT,
    PAWN,
    PIECE_LETTERS,
    QUEEN,
    ROOK,
    STARTING_FEN,
    WHITE,
    castling_rights,
    en_passant_square,
    parse_fen,
    place_pieces,
    placement_text,
)
from chess.rules.game import (
    BLACK_WINS,
    CHECKMATE,
    DRAW,
    FIFTY_MOVES,
    FIVEFOLD_REPETITION,
    INSUFFICIENT_MATERIAL,
    SEVENTYFIVE_MOVES,
    STALEMATE,
    THREEFOLD_REPETITION,
    WHITE_WINS,
    Outcome,
    cannot_mate,
)
from chess.rules.movegen import (
    attacked,
    count_legal,
    ep_possible,
    legal_moves,
    move_is_legal,
)
from chess.rules.moves import SQUARE_NAMES, IllegalMoveError, Move, parse_square
from chess.rules.san import move_to_san, parse_san
from chess.rules.tables import FULL, PAWN_ATTACKS

__all__ = ["Board"]

_PROMO_TYPE = {"q": QUEEN, "r": ROOK, "b": BISHOP, "n": KNIGHT}

_A1, _E1, _H1, _A8, _E8, _H8 = 0, 4, 7, 56, 60, 63
# Castling rights that survive a move from or to a square (king/rook moved or taken).
_CASTLE_KEEP = [FULL] * 64
_CASTLE_KEEP[_A1] = FULL ^ (1 << _A1)
_CASTLE_KEEP[_H1] = FULL ^ (1 << _H1)
_CASTLE_KEEP[_E1] = FULL ^ (1 << _A1 | 1 << _H1)
_CASTLE_KEEP[_A8] = FULL ^ (1 << _A8)
_CASTLE_KEEP[_H8] = FULL ^ (1 << _H8)
_CASTLE_KEEP[_E8] = FULL ^ (1 << _A8 | 1 << _H8)
# King destination -> (rook from, rook to) for castling.
_CASTLE_ROOK = {6: (7, 5), 2: (0, 3), 62: (63, 61), 58: (56, 59)}

# A snapshot taken before each move: (move, piece bitboards, colour bitboards,
# mailbox, castling, en-passant square, halfmove clock, fullmove number).
_Snapshot = tuple[Move, list[int], list[int], list[int], int, int, int, int]


class Board:
    """A chess position plus the moves that led to it.

    Public API (see also ``chess.rules`` for the module-level helpers)::

        Board(fen=STARTING_FEN)        Board.from_fen(fen)
        Board.from_moves(ucis, start_fen=None, *, validate=True)
        board.fen() / board.turn ("w" | "b") / board.start_fen
        board.move_stack / board.uci_moves() / board.san_moves() / board.peek()
        board.ply
        board.halfmove_clock / board.fullmove_number
        board.legal_moves() / board.legal_uci() / board.is_legal(move)
        board.push(move) / board.push_uci(uci) / board.push_san(san) / board.pop()
        board.san(move) / board.parse_san(san) / board.parse_uci(uci)
        board.is_check() / board.king_in_check_square()
        board.piece_at(square) / board.pieces()
        board.outcome() / board.is_checkmate() / board.is_stalemate()
        board.is_insufficient_material() / board.has_mating_material(colour)
        board.can_claim_draw() / board.claim_draw_reason()
        board.pgn(headers, result=None) / board.copy()

    Every method that takes a move or a notation raises ``IllegalMoveError`` (a
    ``ValueError``) with a readable reason and leaves the board unchanged on error.
    """

    __slots__ = (
        "_pt",
        "_occ",
        "_sq",
        "_turn",
        "_castling",
        "_ep",
        "_halfmove",
        "_fullmove",
        "_stack",
        "_start_fen",
    )

    def __init__(self, fen: str = STARTING_FEN) -> None:
        self._pt: list[int] = [0] * 7
        self._occ: list[int] = [0, 0]
        self._sq: list[int] = [0] * 64
        self._turn = WHITE
        self._castling = 0
        self._ep = -1
        self._halfmove = 0
        self._fullmove = 1
        self._stack: list[_Snapshot] = []
        if fen == STARTING_FEN and _START_STATE:
            pt, occ, sq = _START_STATE
            self._pt, self._occ, self._sq = pt[:], occ[:], sq[:]
            self._castling = _START_CASTLING
            self._start_fen = fen
            return
        self._set_fen(fen)
        self._start_fen = fen if fen == STARTING_FEN else self.fen()

    # ----------------------------------------------------------------- creation

    @classmethod
    def from_fen(cls, fen: str) -> Board:
        """A board from FEN; ValueError with the reason if malformed or impossible."""
        return cls(fen)

    @classmethod
    def from_moves(
        cls,
        moves: Iterable[str],
        start_fen: str | None = None,
        *,
        validate: bool = True,
    ) -> Board:
        """Replay UCI moves from ``start_fen`` (default: the start position).

        Raises IllegalMoveError (naming the ply) if a move is malformed or illegal.
        ``validate=False`` skips the legality check of each move, for a move list this
        engine has already validated (e.g. one loaded from the database); it is about
        five times faster, but an illegal move then corrupts the position.
        """
        board = cls(start_fen or STARTING_FEN)
        for ply, uci in enumerate(moves, start=1):
            try:
                if validate:
                    board.push_uci(uci)
                else:
                    board._push(Move.from_uci(uci))
            except IllegalMoveError as exc:
                raise IllegalMoveError(f"ply {ply}: {exc}") from None
        return board

    def copy(self) -> Board:
        """An independent copy, including the move history."""
        other = Board.__new__(Board)
        other._pt = self._pt[:]
        other._occ = self._occ[:]
        other._sq = self._sq[:]
        other._turn = self._turn
        other._castling = self._castling
        other._ep = self._ep
        other._halfmove = self._halfmove
        other._fullmove = self._fullmove
        other._stack = self._stack[:]
        other._start_fen = self._start_fen
        return other

    def _set_fen(self, fen: str) -> None:
        fields = parse_fen(fen)
        pt, occ, sq = place_pieces(fields)
        turn = fields.turn
        them = turn ^ 1
        their_king = (pt[KING] & occ[them]).bit_length() - 1
        if attacked(pt, their_king, turn, occ[0] | occ[1], occ[turn]):
            side = "white" if them == WHITE else "black"
            raise ValueError(f"invalid FEN: {side} is in check but it is not its move")
        castling = castling_rights(fields, pt, occ)
        ep = en_passant_square(fields, pt, occ)
        self._pt, self._occ, self._sq = pt, occ, sq
        self._turn = turn
        self._castling = castling
        # Kept only when the capture is legal, so that positions compare (repetition)
        # and print (FEN) the same whichever way they were reached.
        self._ep = ep if ep >= 0 and ep_possible(pt, occ, turn, ep) else -1
        self._halfmove = fields.halfmove_clock
        self._fullmove = fields.fullmove_number

    # ------------------------------------------------------- move generation

    def _legal(self) -> list[Move]:
        return legal_moves(self._pt, self._occ, self._turn, self._castling, self._ep)

    def _count_legal(self) -> int:
        """The number of legal moves, counted without building them (perft leaves)."""
        return count_legal(self._pt, self._occ, self._turn, self._castling, self._ep)

    # ------------------------------------------------------------ make/unmake

    def _push(self, move: Move) -> None:
        """Play a move known to be legal (no checks)."""
        frm, to, promotion = move
        c = self._turn
        # The snapshot keeps the current lists and the board goes on with copies, so a
        # list is never changed once stored (copies of a board can share its history).
        self._stack.append(
            (
                move,
                self._pt,
                self._occ,
                self._sq,
                self._castling,
                self._ep,
                self._halfmove,
                self._fullmove,
            )
        )
        pt = self._pt = self._pt[:]
        occ = self._occ = self._occ[:]
        sq = self._sq = self._sq[:]
        piece = sq[frm]
        captured = sq[to]
        fb = 1 << frm
        tb = 1 << to
        halfmove = self._halfmove + 1
        if captured:
            pt[captured] ^= tb
            occ[c ^ 1] ^= tb
            halfmove = 0
        pt[piece] ^= fb | tb
        occ[c] ^= fb | tb
        sq[to] = piece
        sq[frm] = 0
        ep = -1
        if piece == PAWN:
            halfmove = 0
            if to - frm == 16 or frm - to == 16:
                mid = (frm + to) >> 1
                if PAWN_ATTACKS[c][mid] & pt[PAWN] & occ[c ^ 1]:
                    ep = mid
            elif to == self._ep:
                cap_sq = to - 8 if c == WHITE else to + 8
                cb = 1 << cap_sq
                pt[PAWN] ^= cb
                occ[c ^ 1] ^= cb
                sq[cap_sq] = 0
            elif promotion:
                new = _PROMO_TYPE[promotion]
                pt[PAWN] ^= tb
                pt[new] |= tb
                sq[to] = new
        elif piece == KING and (to - frm == 2 or frm - to == 2):
            rf, rt = _CASTLE_ROOK[to]
            rb = 1 << rf | 1 << rt
            pt[ROOK] ^= rb
            occ[c] ^= rb
            sq[rt] = ROOK
            sq[rf] = 0
        self._castling &= _CASTLE_KEEP[frm] & _CASTLE_KEEP[to]
        self._halfmove = halfmove
        if c == BLACK:
            self._fullmove += 1
        self._turn = c ^ 1
        self._ep = ep
        if ep >= 0 and not ep_possible(pt, occ, c ^ 1, ep):
            self._ep = -1

    def _pop(self) -> Move:
        (
            move,
            self._pt,
            self._occ,
            self._sq,
            self._castling,
            self._ep,
            self._halfmove,
            self._fullmove,
        ) = self._stack.pop()
        self._turn ^= 1
        return move

    # ------------------------------------------------------------- public API

    @property
    def turn(self) -> str:
        """The side to move: "w" or "b"."""
        return "w" if self._turn == WHITE else "b"

    @property
    def halfmove_clock(self) -> int:
        return self._halfmove

    @property
    def fullmove_number(self) -> int:
        return self._fullmove

    @property
    def ply(self) -> int:
        """Half-moves played on this board since its start position."""
        return len(self._stack)

    @property
    def start_fen(self) -> str:
        """The FEN the move history starts from."""
        return self._start_fen

    @property
    def move_stack(self) -> list[Move]:
        """The moves played since the start position, oldest first (a copy)."""
        return [snapshot[0] for snapshot in self._stack]

    def san_moves(self) -> list[str]:
        """The moves played since the start position, as SAN (replays them: O(n))."""
        replay = Board(self._start_fen)
        sans = []
        for snapshot in self._stack:
            move = snapshot[0]
            sans.append(move_to_san(replay, move))
            replay._push(move)
        return sans

    def uci_moves(self) -> list[str]:
        """The moves played since the start position, as UCI strings."""
        return [snapshot[0].uci() for snapshot in self._stack]

    def fen(self) -> str:
        """The position as FEN; the en-passant square only when the capture is legal."""
        castling = "".join(
            letter
            for letter, bit in (("K", _H1), ("Q", _A1), ("k", _H8), ("q", _A8))
            if self._castling >> bit & 1
        )
        ep = SQUARE_NAMES[self._ep] if self._ep >= 0 else "-"
        return (
            f"{placement_text(self._sq, self._occ[WHITE])} {self.turn} "
            f"{castling or '-'} {ep} {self._halfmove} {self._fullmove}"
        )

    def legal_moves(self) -> list[Move]:
        """Every legal move in the position."""
        return self._legal()

    def legal_uci(self) -> list[str]:
        """Every legal move as UCI text, sorted."""
        return sorted(move.uci() for move in self._legal())

    def is_legal(self, move: Move) -> bool:
        """Is ``move`` legal here? Checks the one move instead of listing them all."""
        try:
            frm, to, promotion = move
        except (TypeError, ValueError):
            return False
        if not (
            type(frm) is int
            and type(to) is int
            and 0 <= frm < 64
            and 0 <= to < 64
            and promotion in (None, "q", "r", "b", "n")
        ):
            return False
        us = self._occ[self._turn]
        if not us >> frm & 1 or us >> to & 1:
            return False
        return move_is_legal(
            self._pt,
            self._occ,
            self._turn,
            self._castling,
            self._ep,
            self._sq[frm],
            frm,
            to,
            promotion,
        )

    def parse_uci(self, uci: str) -> Move:
        """The legal move for UCI text; IllegalMoveError if malformed or illegal."""
        move = Move.from_uci(uci)
        if not self.is_legal(move):
            raise IllegalMoveError(f"illegal move in this position: {uci}")
        return move

    def push(self, move: Move) -> Move:
        """Play a legal move; IllegalMoveError otherwise."""
        if not self.is_legal(move):
            raise IllegalMoveError(f"illegal move in this position: {move.uci()}")
        self._push(move)
        return move

    def push_uci(self, uci: str) -> Move:
        """Play a move given as UCI text; IllegalMoveError if malformed or illegal."""
        move = self.parse_uci(uci)
        self._push(move)
        return move

    def parse_san(self, san: str) -> Move:
        """The legal move for SAN text; IllegalMoveError if malformed, ambiguous or
        illegal."""
        return parse_san(self, san)

    def push_san(self, san: str) -> Move:
        """Play a SAN move; IllegalMoveError if malformed, ambiguous or illegal."""
        move = self.parse_san(san)
        self._push(move)
        return move

    def san(self, move: Move) -> str:
        """SAN for a legal move (``Nbd7``, ``exd6``, ``O-O``, ``e8=Q#``)."""
        return move_to_san(self, move)

    def pop(self) -> Move:
        """Take back the last move and return it; IndexError if none was played."""
        if not self._stack:
            raise IndexError("pop from a board with no moves played")
        return self._pop()

    def peek(self) -> Move | None:
        """The last move played, or None."""
        return self._stack[-1][0] if self._stack else None

    def is_check(self) -> bool:
        """Is the side to move in check?"""
        return self.king_in_check_square() is not None

    def king_in_check_square(self) -> str | None:
        """Square name of the side to move's king if it is in check, else None."""
        c = self._turn
        us = self._occ[c]
        k = (self._pt[KING] & us).bit_length() - 1
        them = self._occ[c ^ 1]
        if attacked(self._pt, k, c ^ 1, us | them, them):
            return SQUARE_NAMES[k]
        return None

    def piece_at(self, square: str | int) -> str | None:
        """The piece on a square as a FEN letter ("K", "p", ...), or None."""
        index = parse_square(square) if isinstance(square, str) else square
        piece = self._sq[index]
        if not piece:
            return None
        letter = PIECE_LETTERS[piece]
        return letter.upper() if self._occ[WHITE] >> index & 1 else letter

    def pieces(self) -> dict[str, str]:
        """Every occupied square name mapped to its piece letter ("e1": "K")."""
        white = self._occ[WHITE]
        result = {}
        for index, piece in enumerate(self._sq):
            if piece:
                letter = PIECE_LETTERS[piece]
                result[SQUARE_NAMES[index]] = (
                    letter.upper() if white >> index & 1 else letter
                )
        return result

    # ---------------------------------------------------------------- endings

    def is_checkmate(self) -> bool:
        return self.is_check() and not self._count_legal()

    def is_stalemate(self) -> bool:
        return not self.is_check() and not self._count_legal()

    def has_mating_material(self, colour: str) -> bool:
        """Whether ``colour`` ("w" or "b") still has material that could mate.

        Decides a flag: a side that runs out of time loses, unless the opponent cannot
        mate, which is a draw (a flag against a bare king, say). The rule is the usual
        approximation, which never calls a side unable to mate while some series of
        legal moves could mate; ``chess.rules.game.cannot_mate`` spells it out.
        ``is_insufficient_material()`` is true when neither side can mate. Raises
        ``ValueError`` for any colour other than "w" or "b".
        """
        if colour == "w":
            return not self._cannot_mate(WHITE)
        if colour == "b":
            return not self._cannot_mate(BLACK)
        raise ValueError(f'colour must be "w" or "b", not {colour!r}')

    def _cannot_mate(self, colour: int) -> bool:
        return cannot_mate(self._pt, self._occ, colour)

    def is_insufficient_material(self) -> bool:
        """Neither side can mate (the approximation of ``has_mating_material``)."""
        return self._cannot_mate(WHITE) and self._cannot_mate(BLACK)

    def _repetitions(self) -> int:
        """How many times the current position has occurred (repetition rules)."""
        key = (self._pt, self._occ[WHITE], self._castling, self._ep)
        count = 1
        stack = self._stack
        # Only positions since the last capture or pawn move can repeat, and only
        # every second one has the same side to move.
        limit = min(self._halfmove, len(stack))
        for back in range(2, limit + 1, 2):
            snap = stack[-back]
            if (snap[1], snap[2][WHITE], snap[4], snap[5]) == key:
                count += 1
        return count

    def outcome(self) -> Outcome | None:
        """The automatic ending of the game, or None while it goes on.

        Checked in this order: checkmate, stalemate, insufficient material, the
        seventy-five-move rule, fivefold repetition (so a mate on the 75th move stands).
        """
        if not self._count_legal():
            if self.is_check():
                return Outcome(
                    CHECKMATE, BLACK_WINS if self._turn == WHITE else WHITE_WINS
                )
            return Outcome(STALEMATE, DRAW)
        if self.is_insufficient_material():
            return Outcome(INSUFFICIENT_MATERIAL, DRAW)
        if self._halfmove >= 150:
            return Outcome(SEVENTYFIVE_MOVES, DRAW)
        if self._halfmove >= 8 and self._repetitions() >= 5:
            return Outcome(FIVEFOLD_REPETITION, DRAW)
        return None

    def claim_draw_reason(self) -> str | None:
        """Why the side to move may claim a draw now, or None.

        "threefold_repetition" when the current position (placement, side to move,
        castling rights, en-passant possibility) has occurred three times;
        "fifty_moves" when fifty moves by each side passed without a capture or pawn
        move. A claim needs a legal move to be left (a checkmate stands). Claims
        announced with a move that would repeat are not covered: play it, then claim.
        """
        if not self._count_legal():
            return None
        if self._halfmove >= 4 and self._repetitions() >= 3:
            return THREEFOLD_REPETITION
        if self._halfmove >= 100:
            return FIFTY_MOVES
        return None

    def can_claim_draw(self) -> bool:
        """Can the side to move claim a draw (threefold repetition or fifty moves)?"""
        return self.claim_draw_reason() is not None

    # -------------------------------------------------------------------- PGN

    def pgn(
        self,
        headers: Mapping[str, str] | None = None,
        result: str | None = None,
    ) -> str:
        """The game as PGN (Seven Tag Roster, SAN movetext); see ``chess.rules.pgn``."""
        from chess.rules.pgn import to_pgn

        return to_pgn(self, headers, result=result)

    # ---------------------------------------------------------------- dunders

    def __str__(self) -> str:
        rows = []
        for rank in range(7, -1, -1):
            row = []
            for file in range(8):
                row.append(self.piece_at(rank * 8 + file) or ".")
            rows.append(" ".join(row))
        return "\n".join(rows)

    def __repr__(self) -> str:
        return f"Board({self.fen()!r})"


_START_CASTLING = 1 << _A1 | 1 << _H1 | 1 << _A8 | 1 << _H8
# The parsed start position, copied by Board() instead of parsing its FEN again.
_START_STATE: tuple[list[int], list[int], list[int]] | None = None
_start = Board()
_START_STATE = (_start._pt, _start._occ, _start._sq)
del _start
