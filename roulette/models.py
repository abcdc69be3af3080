"""Roulette persistence: a wallet per betting session, its bets, every spin served."""

from __future__ import annotations

import uuid

from django.db import models

from roulette import rules


class WheelType(models.TextChoices):
    AMERICAN = rules.AMERICAN, "American (0 and 00)"
    EUROPEAN = rules.EUROPEAN, "European (single 0)"


class Wallet(models.Model):
    """A betting session: bankroll, open round and wheel type.

    Web visitors get one keyed by their visitor id; API clients create their own and
    address it by ``public_id`` (unguessable, so it doubles as the bearer secret). Every
    write locks this row first, which serialises all play of one session.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visitor_id = models.CharField(
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text="Set for a web visitor's table; empty for API betting sessions.",
    )
    wheel = models.CharField(
        max_length=10, choices=WheelType.choices, default=WheelType.AMERICAN
    )
    bankroll = models.PositiveIntegerField(
        help_text="Chips available, not counting stakes on the table."
    )
    round = models.PositiveIntegerField(
        default=1, help_text="Increases with every spin of this session."
    )
    version = models.PositiveIntegerField(
        default=0,
        help_text="Increases with every change; forms carry it to refuse replays.",
    )
    chip = models.PositiveIntegerField(default=5, help_text="Last chip value chosen.")
    resets = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(bankroll__gte=0),
                name="roulette_wallet_bankroll_gte_0",
            ),
        ]

    def __str__(self) -> str:
        owner = "web" if self.visitor_id else "api"
        return f"{owner} session {str(self.public_id)[:8]} ({self.bankroll} chips)"


class BetStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Bet(models.Model):
    """One placement of chips on one spot. Its stake left the bankroll when placed."""

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="bets")
    round = models.PositiveIntegerField()
    batch = models.PositiveIntegerField(
        help_text="Wallet version of the action that placed it; undo removes a batch."
    )
    kind = models.CharField(max_length=12)
    spot = models.CharField(max_length=40, help_text="Layout spot, e.g. split:17-20.")
    amount = models.PositiveIntegerField()
    status = models.CharField(
        max_length=4, choices=BetStatus.choices, default=BetStatus.OPEN
    )
    spin = models.ForeignKey(
        "Spin", on_delete=models.SET_NULL, null=True, blank=True, related_name="bets"
    )
    net = models.IntegerField(null=True, blank=True, help_text="Result once settled.")
    placed_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["wallet", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=1), name="roulette_bet_amount_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.label} ({self.get_status_display()})"

    @property
    def numbers(self) -> list[rules.Pocket]:
        _, numbers = rules.parse_spot(rules.AMERICAN, self.spot)
        return sorted(numbers, key=rules.pocket_sort_key)

    @property
    def label(self) -> str:
        return rules.describe(self.kind, self.numbers)

    @property
    def odds(self) -> int:
        return rules.PAYOUTS[self.kind]


class Spin(models.Model):
    """A spin of the wheel: from a betting session, or a bare wheel-service spin."""

    wheel = models.CharField(max_length=10, choices=WheelType.choices)
    pocket = models.CharField(max_length=2)
    wallet = models.ForeignKey(
        Wallet,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="spins",
    )
    round = models.PositiveIntegerField(null=True, blank=True)
    staked = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["wheel", "-id"])]

    def __str__(self) -> str:
        return f"{self.pocket} ({self.colour}) on the {self.wheel} wheel"

    @property
    def value(self) -> rules.Pocket:
        return rules.parse_pocket(self.pocket)

    @property
    def colour(self) -> str:
        return rules.colour(self.value)

    @property
    def net(self) -> int:
        return self.returned - self.staked
