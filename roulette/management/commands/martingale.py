"""``manage.py martingale``: play a betting system through the JSON API over HTTP,
or in process (``--local``) through the same services the API uses.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError, CommandParser

from roulette import conf, rules


class Table(Protocol):
    """Where the player sits: over HTTP or in process."""

    description: str
    limits: dict[str, int]

    def bet(self, spot: str, amount: int) -> None: ...

    def spin(self) -> tuple[rules.Pocket, int, int]:
        """Spin: (pocket, net of this spin, bankroll after)."""
        ...


class HttpTable:
    """A betting session on a running Parlour server, through its JSON API."""

    def __init__(self, base_url: str, *, wheel_name: str, bankroll: int) -> None:
        self.base_url = base_url.rstrip("/")
        session = self._call(
            "POST",
            f"{self.base_url}/roulette/api/sessions/",
            {"wheel": wheel_name, "bankroll": bankroll},
        )
        self.session_url: str = session["url"]
        self.limits = session["limits"]
        self.description = f"{self.base_url}, betting session {session['id']}"

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode()
        request = urllib.request.Request(
            url,
            data=data if method == "POST" else None,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                reason = json.loads(exc.read()).get("error", exc.reason)
            except (ValueError, AttributeError):
                reason = exc.reason
            raise CommandError(f"{method} {url} answered {exc.code}: {reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(f"cannot reach {url}: {exc}") from exc

    def bet(self, spot: str, amount: int) -> None:
        self._call("POST", f"{self.session_url}bets/", {"spot": spot, "amount": amount})

    def spin(self) -> tuple[rules.Pocket, int, int]:
        result = self._call("POST", f"{self.session_url}spins/")
        return result["pocket"], result["net"], result["bankroll"]


class LocalTable:
    """The same play in process: a real betting session in the local database."""

    def __init__(self, *, wheel_name: str, bankroll: int, seed: int | None) -> None:
        from roulette import services

        self.services = services
        self.wallet = services.wallet_create(wheel_name=wheel_name, bankroll=bankroll)
        self.rng = random.Random(seed) if seed is not None else None
        self.limits = conf.limits().as_dict()
        self.description = f"in process, betting session {self.wallet.public_id}"

    def bet(self, spot: str, amount: int) -> None:
        kind, numbers = rules.parse_spot(self.wallet.wheel, spot)
        try:
            self.services.bet_place(
                wallet_id=self.wallet.pk, kind=kind, numbers=numbers, amount=amount
            )
        except ValueError as exc:
            raise CommandError(f"bet refused: {exc}") from exc

    def spin(self) -> tuple[rules.Pocket, int, int]:
        spin = self.services.spin_resolve(wallet_id=self.wallet.pk, rng=self.rng)
        self.wallet.refresh_from_db()
        return spin.value, spin.net, self.wallet.bankroll


@dataclass
class Tally:
    """What happened, for the summary."""

    budget: int
    bankroll: int
    spins: int = 0
    wins: int = 0
    losses: int = 0
    staked: int = 0
    largest_stake: int = 0
    capped: int = 0
    peak: int = 0
    streak: int = 0
    longest_losing_streak: int = 0
    stop_reason: str = ""
    history: list[int] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Play a betting system (Martingale by default) against the roulette JSON API "
        "of a running server, or in process with --local, and print a summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="Server to play against (default %(default)s).",
        )
        parser.add_argument(
            "--local",
            action="store_true",
            help="Play in process through the services instead of over HTTP.",
        )
        parser.add_argument("--base", type=int, default=10, help="Base stake.")
        parser.add_argument(
            "--table-max", type=int, default=500, help="Largest stake to place."
        )
        parser.add_argument(
            "--budget", type=int, default=1000, help="Chips to start with."
        )
        parser.add_argument("--spins", type=int, default=100, help="Spins to play.")
        parser.add_argument(
            "--proposition",
            default="red",
            help="Spot to bet on: red, black, odd, even, low, high, dozen:2, "
            "column:3, straight:17 ... (default %(default)s).",
        )
        parser.add_argument(
            "--strategy",
            choices=rules.STRATEGIES,
            default="martingale",
            help="Stake progression (default %(default)s).",
        )
        parser.add_argument(
            "--wheel", choices=rules.WHEELS, default=rules.AMERICAN, help="Wheel type."
        )
        parser.add_argument(
            "--seed", type=int, help="Seed the local wheel (with --local only)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        base, table_max = options["base"], options["table_max"]
        budget, spins = options["budget"], options["spins"]
        for name, value in (
            ("--base", base),
            ("--table-max", table_max),
            ("--budget", budget),
            ("--spins", spins),
        ):
            if value < 1:
                raise CommandError(f"{name} must be at least 1")
        if table_max < base:
            raise CommandError("--table-max must be at least --base")
        if budget > conf.MAX_API_BANKROLL:
            raise CommandError(f"--budget must be at most {conf.MAX_API_BANKROLL}")
        if options["seed"] is not None and not options["local"]:
            raise CommandError(
                "--seed needs --local (the server's wheel is not seeded)"
            )
        wheel_name = options["wheel"]
        proposition = options["proposition"]
        try:
            kind, numbers = rules.parse_spot(wheel_name, proposition)
            rules.make_bet(wheel_name, kind, numbers, base)
        except rules.InvalidBet as exc:
            raise CommandError(f"--proposition {proposition!r}: {exc}") from exc

        table: Table
        if options["local"]:
            table = LocalTable(
                wheel_name=wheel_name, bankroll=budget, seed=options["seed"]
            )
        else:
            table = HttpTable(options["url"], wheel_name=wheel_name, bankroll=budget)
        side = "inside" if rules.is_inside(kind) else "outside"
        table_min = table.limits[f"{side}_min"]
        if base < table_min:
            raise CommandError(
                f"--base {base} is below the table minimum of {table_min} for "
                f"{side} bets"
            )
        # The house limit wins over ours when it is lower.
        cap = min(table_max, table.limits[f"{side}_max"])

        label = rules.describe(kind, numbers)
        self.stdout.write(
            f"{options['strategy'].title()} on {label}, {wheel_name.title()} wheel, "
            f"base {base}, "
            f"stakes capped at {cap}, budget {budget}: {table.description}"
        )
        tally = self.play(
            table,
            progression=rules.Progression(options["strategy"], base),
            spot=rules.spot_for(kind, numbers),
            base=base,
            cap=cap,
            budget=budget,
            spins=spins,
        )
        self.summarise(tally, edge=float(rules.house_edge(wheel_name, kind)))

    def play(
        self,
        table: Table,
        *,
        progression: rules.Progression,
        spot: str,
        base: int,
        cap: int,
        budget: int,
        spins: int,
    ) -> Tally:
        tally = Tally(budget=budget, bankroll=budget, peak=budget)
        for number in range(1, spins + 1):
            wish = progression.stake()
            stake = rules.next_stake(
                wish, bankroll=tally.bankroll, table_min=base, table_max=cap
            )
            if stake == 0:
                tally.stop_reason = (
                    f"budget exhausted: {tally.bankroll} left, below the base stake"
                )
                break
            if wish > cap:
                tally.capped += 1
            table.bet(spot, stake)
            pocket, net, bankroll = table.spin()
            won = net > 0
            progression.settle(won)
            tally.spins += 1
            tally.staked += stake
            tally.largest_stake = max(tally.largest_stake, stake)
            tally.bankroll = bankroll
            tally.peak = max(tally.peak, bankroll)
            tally.history.append(bankroll)
            if won:
                tally.wins += 1
                tally.streak = 0
            else:
                tally.losses += 1
                tally.streak += 1
                tally.longest_losing_streak = max(
                    tally.longest_losing_streak, tally.streak
                )
            if self.verbosity >= 2:
                outcome = "won" if won else "lost"
                self.stdout.write(
                    f"spin {number:>4}: bet {stake:>5} -> {pocket!s:>2} {outcome:<4} "
                    f"{net:+6d}  bankroll {bankroll}"
                )
        else:
            tally.stop_reason = f"played all {spins} spins"
        return tally

    def summarise(self, tally: Tally, *, edge: float) -> None:
        net = tally.bankroll - tally.budget
        lines = [
            f"Stopped: {tally.stop_reason}.",
            f"Spins played: {tally.spins} ({tally.wins} won, {tally.losses} lost).",
            f"Final bankroll: {tally.bankroll} (net {net:+d}); peak {tally.peak}.",
            f"Total staked: {tally.staked}; largest stake {tally.largest_stake}; "
            f"stake capped by the table maximum {tally.capped} time(s).",
            f"Longest losing streak: {tally.longest_losing_streak}.",
            f"Expected loss from the house edge ({edge:.2%}): "
            f"{tally.staked * edge:.1f} chips.",
        ]
        for line in lines:
            self.stdout.write(line)
