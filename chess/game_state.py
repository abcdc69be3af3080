"""The game as clients see it: the `state` payload, built from a game row and its board.

Everything here is plain data derived from one `Game` row (no further queries), so a
state can be built once per change and encoded once for every recipient.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from chess import clock
from chess.conf import gone_claim_seconds
from chess.models import Game, Status, Termination
from chess.rules import Board

# Solid glyphs for both sides (coloured by CSS) plus VS15, so that no platform
# renders the pawn as an emoji.
_SOLID = {"k": "\u265a", "q": "\u265b", "r": "\u265c", "b": "\u265d", "n": "\u265e"}
_SOLID["p"] = "\u265f"
PIECE_GLYPHS = {
    letter: glyph + "\ufe0e"
    for kind, glyph in _SOLID.items()
    for letter in (kind, kind.upper())
}
PIECE_NAMES = {
    "k": "king",
    "q": "queen",
    "r": "rook",
    "b": "bishop",
    "n": "knight",
    "p": "pawn",
}
FILES = "abcdefgh"


def board_of(game: Game) -> Board:
    """Rebuild the board (with its history, for repetition rules) from the stored moves.

    The stored moves were validated when they were played, so the replay skips the
    legality check (about five times faster).
    """
    return Board.from_moves(game.uci_list, start_fen=game.start_fen, validate=False)


def status_text(game: Game, *, in_check: bool = False) -> str:
    """One line for humans: whose turn it is, or how the game ended."""
    if game.status == Status.WAITING:
        return "Waiting for an opponent to join."
    if game.status == Status.ABORTED:
        return "Game aborted."
    if game.status == Status.FINISHED:
        how = game.get_termination_display() if game.termination else "Game over"
        if game.termination == "resignation":
            loser = "White" if game.result == "0-1" else "Black"
            how = f"{loser} resigned"
        elif game.termination == "checkmate":
            how = "Checkmate"
        elif game.termination in (Termination.TIMEOUT, Termination.ABANDONED):
            how = _loser_text(game)
        winner = {"1-0": "White wins", "0-1": "Black wins"}.get(game.result, "Draw")
        return f"{how}. {winner} ({game.result})."
    side = "White" if game.turn == "w" else "Black"
    return f"{side} to move{' (check)' if in_check else ''}."


def _loser_text(game: Game) -> str:
    """Who lost on time or left; the ending side is not in `result` for a draw."""
    if game.termination == Termination.TIMEOUT:
        side = "White" if game.turn == "w" else "Black"  # the side to move flagged
        if game.result == "1/2-1/2":
            return f"{side} ran out of time, but the opponent cannot mate"
        return f"{side} ran out of time"
    if game.result == "1/2-1/2":
        return "A player left; draw claimed"
    side = "White" if game.result == "0-1" else "Black"
    return f"{side} left the game"


def _ms(moment: datetime | None) -> int | None:
    return clock.epoch_ms(moment) if moment is not None else None


def state_payload(
    game: Game, board: Board | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The full `state` message for every client of `game` (SPEC §3 protocol floor).

    `board` is the game's current board if the caller already has it (a move step
    does); otherwise it is rebuilt from the stored moves. `now` is the moment the
    clocks are read at (the command's time; defaults to the current time).
    """
    if board is None:
        board = board_of(game)
    if now is None:
        now = timezone.now()
    moves = game.uci_list
    active = game.status == Status.ACTIVE
    check = board.king_in_check_square()
    claim = board.claim_draw_reason() if active else None
    state = {
        "type": "state",
        "game": game.public_id,
        "version": game.version,
        "fen": game.fen,
        "ply": game.ply,
        "turn": game.turn,
        "moves": moves,
        "san": game.san_list,
        "last_move": moves[-1] if moves else None,
        "check": check,
        "status": game.status,
        "result": game.result or None,
        "termination": game.termination or None,
        "status_text": status_text(game, in_check=check is not None),
        "legal": board.legal_uci() if active else [],
        "players": {
            "white": game.white_name or None,
            "black": game.black_name or None,
        },
        "draw_offer": game.draw_offer or None,
        "claimable": claim,
        "abortable": game.status in (Status.WAITING, Status.ACTIVE) and game.ply < 2,
        "rematch_offer": game.rematch_offer or None,
        "rematch": game.rematch_id,
        "time_control": clock.label(game.clock_base_s, game.clock_increment_s),
        "clock": clock.payload(game, now),
        # When each player's sockets all closed (epoch ms) or null; the presence
        # message carries the live values. The opponent may claim after
        # `gone_claim_after` seconds.
        "gone_since": {"w": _ms(game.white_gone_at), "b": _ms(game.black_gone_at)},
        "gone_claim_after": gone_claim_seconds(),
        **material(game.fen),
    }
    # What each player's page shows (spectators: none); the same rules render the
    # page, so the client decides nothing here.
    state["controls"] = {
        colour: [name for name, shown in controls_for(state, colour).items() if shown]
        for colour in ("w", "b")
    }
    return state


def controls_for(state: dict[str, Any], colour: str | None) -> dict[str, bool]:
    """Which command controls a viewer of `state` sees (`colour` None: a spectator).

    The page renders these; every state carries them per seat (`controls`), so
    the live page applies exactly the same rules. `gone_claim` is always False
    here: it depends on the time since the opponent left, which the page tracks
    (the view computes it for the first render).
    """
    seated = colour is not None
    active = state["status"] == Status.ACTIVE
    offer = state["draw_offer"]
    over = state["status"] in (Status.FINISHED, Status.ABORTED)
    offer_r = state["rematch_offer"]
    return {
        "resign": seated and active,
        "draw_offer": seated and active and not offer,
        "draw_answer": seated and active and bool(offer) and offer != colour,
        "draw_pending": seated and active and offer == colour,
        "draw_claim": seated and active and bool(state["claimable"]),
        "abort": seated and state["abortable"],
        "rematch": seated and over and not state["rematch"] and offer_r != colour,
        "rematch_pending": seated
        and over
        and not state["rematch"]
        and offer_r == colour,
        "rematch_link": bool(state["rematch"]),
        "gone_claim": False,
    }


START_COUNTS = {"p": 8, "n": 2, "b": 2, "r": 2, "q": 1}
VALUES = {"p": 1, "n": 3, "b": 3, "r": 5, "q": 9}


def material(fen: str) -> dict[str, Any]:
    """Captured pieces per capturing side and White's material lead (in pawns).

    `captured["w"]` lists the black pieces White has taken ("qrbnp" order); a
    promotion counts as the pawn leaving and the new piece arriving, as on Lichess.
    """
    placement = fen.split(" ", 1)[0]
    counts = {letter: placement.count(letter) for letter in "pnbrqPNBRQ"}
    captured: dict[str, str] = {}
    for side, taken_case in (("w", str.lower), ("b", str.upper)):
        pieces = ""
        for kind in "qrbnp":
            missing = START_COUNTS[kind] - counts[taken_case(kind)]
            pieces += kind * max(missing, 0)
        captured[side] = pieces
    lead = sum(VALUES[kind] * (counts[kind.upper()] - counts[kind]) for kind in VALUES)
    return {"captured": captured, "advantage": lead}


def squares(fen: str, *, flipped: bool) -> list[dict[str, Any]]:
    """The 64 squares in display order (rank 8 first for White) for the server board."""
    placement = fen.split(" ", 1)[0]
    grid: dict[str, str] = {}
    for row, rank_text in enumerate(placement.split("/")):
        rank = 8 - row
        file = 0
        for char in rank_text:
            if char.isdigit():
                file += int(char)
            else:
                grid[f"{FILES[file]}{rank}"] = char
                file += 1
    ranks = range(1, 9) if flipped else range(8, 0, -1)
    files = FILES[::-1] if flipped else FILES
    cells = []
    for rank in ranks:
        for file_char in files:
            name = f"{file_char}{rank}"
            piece = grid.get(name, "")
            label = name
            if piece:
                colour = "white" if piece.isupper() else "black"
                label = f"{name}, {colour} {PIECE_NAMES[piece.lower()]}"
            cells.append(
                {
                    "name": name,
                    "piece": piece,
                    "glyph": PIECE_GLYPHS.get(piece, ""),
                    "dark": (FILES.index(file_char) + rank) % 2 == 1,
                    "label": label,
                    "file_label": file_char if rank == (8 if flipped else 1) else "",
                    "rank_label": str(rank) if file_char == files[0] else "",
                }
            )
    return cells
