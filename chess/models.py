"""Chess persistence: a game (seats, status, current position, version) and its moves.

The game row is the unit of serialisation: every command locks it first. It also keeps
the move list denormalised (UCI and SAN) so one locked read is enough to rebuild the
board and answer with the full state; `Move` rows are the durable, per-ply record.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection

from django.db import models
from django.urls import reverse

from chess.rules import STARTING_FEN

PUBLIC_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PUBLIC_ID_LENGTH = 10
# A game's realtime group is this prefix and its public id.
GAME_GROUP_PREFIX = "chess_"


def game_group(public_id: str) -> str:
    """The realtime group of a game (built from its id, never from user text)."""
    return GAME_GROUP_PREFIX + public_id


def new_public_id() -> str:
    """An unguessable, URL- and group-name-safe game id (no look-alike characters)."""
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


class Colour(models.TextChoices):
    WHITE = "w", "White"
    BLACK = "b", "Black"


class ColourChoice(models.TextChoices):
    WHITE = "white", "White"
    BLACK = "black", "Black"
    RANDOM = "random", "Random"


class Status(models.TextChoices):
    WAITING = "waiting", "Waiting for an opponent"
    ACTIVE = "active", "In progress"
    FINISHED = "finished", "Finished"
    ABORTED = "aborted", "Aborted"


class Termination(models.TextChoices):
    CHECKMATE = "checkmate", "Checkmate"
    STALEMATE = "stalemate", "Stalemate"
    INSUFFICIENT_MATERIAL = "insufficient_material", "Insufficient material"
    FIVEFOLD_REPETITION = "fivefold_repetition", "Fivefold repetition"
    SEVENTYFIVE_MOVES = "seventyfive_moves", "Seventy-five-move rule"
    THREEFOLD_REPETITION = "threefold_repetition", "Threefold repetition (claimed)"
    FIFTY_MOVES = "fifty_moves", "Fifty-move rule (claimed)"
    RESIGNATION = "resignation", "Resignation"
    AGREEMENT = "agreement", "Draw by agreement"
    ABORTED = "aborted", "Aborted"
    TIMEOUT = "timeout", "Time forfeit"
    ABANDONED = "abandoned", "Opponent left (claimed)"


class Result(models.TextChoices):
    WHITE_WINS = "1-0", "1-0"
    BLACK_WINS = "0-1", "0-1"
    DRAW = "1/2-1/2", "½-½"


class Game(models.Model):
    """One game between two seats; a seat is a visitor id plus a display name."""

    public_id = models.CharField(
        max_length=16, unique=True, default=new_public_id, editable=False
    )
    # Who holds each seat: a visitor id (site_config/visitors/identity.py), never
    # shown to anyone; "" while the seat is free.
    white_visitor = models.CharField(max_length=32, blank=True, default="")
    white_name = models.CharField(max_length=150, blank=True, default="")
    black_visitor = models.CharField(max_length=32, blank=True, default="")
    black_name = models.CharField(max_length=150, blank=True, default="")
    colour_choice = models.CharField(
        max_length=6,
        choices=ColourChoice.choices,
        default=ColourChoice.RANDOM,
        help_text="The colour the creator asked for.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    result = models.CharField(
        max_length=7, choices=Result.choices, blank=True, default=""
    )
    termination = models.CharField(
        max_length=24, choices=Termination.choices, blank=True, default=""
    )
    start_fen = models.CharField(max_length=100, default=STARTING_FEN)
    fen = models.CharField(max_length=100, default=STARTING_FEN)
    ply = models.PositiveIntegerField(
        default=0, help_text="Half-moves played; a move command must carry this."
    )
    moves_uci = models.TextField(
        blank=True, default="", help_text="Space-separated UCI moves (denormalised)."
    )
    moves_san = models.TextField(
        blank=True, default="", help_text="Space-separated SAN moves (denormalised)."
    )
    draw_offer = models.CharField(
        max_length=1,
        choices=Colour.choices,
        blank=True,
        default="",
        help_text="The colour whose draw offer is pending.",
    )
    rematch_offer = models.CharField(
        max_length=1,
        choices=Colour.choices,
        blank=True,
        default="",
        help_text="The colour asking for a rematch after the game ended.",
    )
    rematch = models.OneToOneField(
        "self",
        # By public id, so the state can name the next game without a query.
        to_field="public_id",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rematch_of",
        help_text="The next game of these players, colours swapped.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Increases with every state change that is broadcast."
    )
    # Clocks (see chess/clock.py). A null base means an untimed game. The stored
    # remaining times are exact at `clock_at`; only the side to move's clock runs,
    # so its current value is computed from the timestamp, never ticked.
    clock_base_s = models.PositiveIntegerField(
        null=True, blank=True, help_text="Initial time per side (s); empty: untimed."
    )
    clock_increment_s = models.PositiveIntegerField(
        default=0, help_text="Seconds added after each timed move."
    )
    white_ms = models.IntegerField(null=True, blank=True)
    black_ms = models.IntegerField(null=True, blank=True)
    clock_at = models.DateTimeField(
        null=True, blank=True, help_text="When the running clock last started."
    )
    # When the side to move flags if nobody moves (null: no clock runs). Derived
    # from the fields above on every command (`clock.flag_at`), so the lobby's
    # sweep for due flags is one indexed query that usually finds nothing.
    flag_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When each player's last socket closed (cleared when one opens again); the
    # opponent may claim once it is older than CHESS_GONE_CLAIM_SECONDS.
    white_gone_at = models.DateTimeField(null=True, blank=True)
    black_gone_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-updated_at"])]

    def __str__(self) -> str:
        white = self.white_name or "?"
        black = self.black_name or "?"
        return f"{self.public_id}: {white} vs {black} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("chess:game", args=[self.public_id])

    @property
    def group(self) -> str:
        return game_group(self.public_id)

    @property
    def uci_list(self) -> list[str]:
        return self.moves_uci.split()

    @property
    def san_list(self) -> list[str]:
        return self.moves_san.split()

    @property
    def turn(self) -> str:
        """The side to move, "w" or "b", read from the stored FEN."""
        return self.fen.split(" ", 2)[1]

    @property
    def is_timed(self) -> bool:
        return self.clock_base_s is not None

    @property
    def is_over(self) -> bool:
        return self.status in (Status.FINISHED, Status.ABORTED)

    def colour_of(self, visitor_ids: Collection[str]) -> str | None:
        """The colour seated by one of `visitor_ids`, or None for a spectator."""
        if self.white_visitor and self.white_visitor in visitor_ids:
            return Colour.WHITE
        if self.black_visitor and self.black_visitor in visitor_ids:
            return Colour.BLACK
        return None


class Move(models.Model):
    """One half-move; (game, ply) is unique so no two moves can share a ply."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="move_set")
    ply = models.PositiveIntegerField(help_text="1 for White's first move.")
    uci = models.CharField(max_length=5)
    san = models.CharField(max_length=10)
    fen_after = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["game", "ply"]
        constraints = [
            models.UniqueConstraint(
                fields=["game", "ply"], name="chess_move_one_per_ply"
            )
        ]

    def __str__(self) -> str:
        return f"{self.game.public_id} #{self.ply} {self.san}"
