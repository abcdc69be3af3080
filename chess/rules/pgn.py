"""PGN export (Seven Tag Roster, SAN movetext, result) and PGN/SAN movetext import.

``to_pgn(board, headers)`` writes the game that led to ``board``.
``parse_pgn_moves(text)`` reads movetext (tags, comments, variations, NAGs and move
numbers are skipped) and returns the moves as UCI; ``board_from_pgn(text)`` replays
them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chess.rules.board import Board
from chess.rules.fen import STARTING_FEN
from chess.rules.moves import IllegalMoveError

SEVEN_TAG_ROSTER = ("Event", "Site", "Date", "Round", "White", "Black", "Result")
_DEFAULTS = {
    "Event": "?",
    "Site": "?",
    "Date": "????.??.??",
    "Round": "?",
    "White": "?",
    "Black": "?",
    "Result": "*",
}
RESULTS = ("1-0", "0-1", "1/2-1/2", "*")
_TAG_RE = re.compile(r'^\s*\[\s*([A-Za-z0-9_]+)\s+"((?:[^"\\]|\\.)*)"\s*\]\s*$')
_MOVE_NUMBER_RE = re.compile(r"^\d+\.+")


def _escape(value: str) -> str:
    value = " ".join(value.splitlines())
    return value.replace("\\", "\\\\").replace('"', '\\"')


def to_pgn(
    board: Board,
    headers: Mapping[str, str] | None = None,
    *,
    result: str | None = None,
    line_width: int = 80,
) -> str:
    """The game that led to ``board`` as PGN text.

    ``headers`` fill or extend the Seven Tag Roster (missing tags get "?"). The result
    is, by priority: ``result``, the automatic outcome of the final position, the
    ``Result`` header, "*". A non-standard start position adds SetUp and FEN tags.
    """
    tags = dict(_DEFAULTS)
    tags.update(headers or {})
    if result is None:
        outcome = board.outcome()
        result = outcome.result if outcome else tags.get("Result", "*")
    if result not in RESULTS:
        raise ValueError(f"invalid PGN result: {result!r}")
    tags["Result"] = result
    start_fen = board.start_fen
    if start_fen != STARTING_FEN:
        tags["SetUp"] = "1"
        tags["FEN"] = start_fen
    order = [*SEVEN_TAG_ROSTER, *(k for k in tags if k not in SEVEN_TAG_ROSTER)]
    lines = [f'[{key} "{_escape(str(tags[key]))}"]' for key in order]

    start = Board(start_fen)
    number = start.fullmove_number
    white = start.turn == "w"
    tokens: list[str] = []
    for i, san in enumerate(board.san_moves()):
        if white:
            tokens.append(f"{number}.")
        elif i == 0:
            tokens.append(f"{number}...")
        tokens.append(san)
        if not white:
            number += 1
        white = not white
    tokens.append(result)

    movetext: list[str] = []
    current = ""
    for token in tokens:
        if current and len(current) + 1 + len(token) > line_width:
            movetext.append(current)
            current = token
        else:
            current = f"{current} {token}" if current else token
    movetext.append(current)
    return "\n".join(lines) + "\n\n" + "\n".join(movetext) + "\n"


def parse_pgn_headers(text: str) -> dict[str, str]:
    """The tag pairs of a PGN game, e.g. ``{"White": "Ann", "FEN": ...}``."""
    headers = {}
    for line in text.splitlines():
        match = _TAG_RE.match(line)
        if match:
            value = re.sub(r"\\(.)", r"\1", match.group(2))
            headers[match.group(1)] = value
    return headers


def _movetext_tokens(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not _TAG_RE.match(line))
    if body.count("{") != body.count("}"):
        raise ValueError("invalid PGN: unbalanced { } comment")
    body = re.sub(r"\{[^}]*\}", " ", body)
    body = re.sub(r";[^\n]*", " ", body)
    tokens: list[str] = []
    depth = 0
    for piece in re.split(r"([()])", body):
        if piece == "(":
            depth += 1
        elif piece == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("invalid PGN: unbalanced ')'")
        elif depth == 0:
            tokens.extend(piece.split())
    if depth:
        raise ValueError("invalid PGN: unbalanced '('")
    return tokens


def parse_pgn_moves(text: str, start_fen: str | None = None) -> list[str]:
    """The moves of PGN text or a bare SAN move list, as UCI strings.

    The start position is ``start_fen``, else the PGN ``FEN`` tag, else the standard
    one. Raises IllegalMoveError (a ValueError) naming the first bad move.
    """
    return board_from_pgn(text, start_fen=start_fen).uci_moves()


def board_from_pgn(text: str, start_fen: str | None = None) -> Board:
    """Replay PGN text or a bare SAN move list onto a new Board and return it."""
    if start_fen is None:
        start_fen = parse_pgn_headers(text).get("FEN", STARTING_FEN)
    board = Board(start_fen)
    for token in _movetext_tokens(text):
        if token in RESULTS:
            continue
        move_text = _MOVE_NUMBER_RE.sub("", token)
        if not move_text or move_text.startswith("$") or move_text in ("!", "?"):
            continue
        if move_text in ("!!", "??", "!?", "?!"):
            continue
        try:
            board.push_san(move_text)
        except IllegalMoveError as exc:
            raise IllegalMoveError(
                f"move {board.fullmove_number}{'.' if board.turn == 'w' else '...'} "
                f"{move_text}: {exc}"
            ) from None
    return board
