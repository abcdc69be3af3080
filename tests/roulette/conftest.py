"""Roulette fixtures: wallets, a fixed wheel, and a browser-like table client."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from roulette import rules, services
from roulette.models import Wallet
from tests.roulette.roulette_support import FixedRandom
from tests.visitor_support import client_visitor_ids


@pytest.fixture
def fixed_wheel(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """`fixed_wheel(17, "00")`: the next table spins land on these pockets.

    Only the randomness is replaced (the RNG is an injection point by design);
    settlement, views and the database are the real ones.
    """

    def fix(*outcomes: rules.Pocket) -> None:
        original = rules.spin
        rngs: dict[str, FixedRandom] = {}

        def spin(wheel_name: str = rules.AMERICAN, rng: object = None) -> rules.Pocket:
            if wheel_name not in rngs:
                rngs[wheel_name] = FixedRandom(wheel_name, *outcomes)
            return original(wheel_name, rngs[wheel_name])

        monkeypatch.setattr(rules, "spin", spin)

    return fix


@pytest.fixture
def wallet(db: None) -> Wallet:
    return services.wallet_create()


VERSION = re.compile(r'name="version" value="(\d+)"')


class TableClient:
    """Drives the table like a browser without JavaScript: GET, then POST a form."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.page = ""

    def get(self) -> str:
        response = self.client.get("/roulette/")
        assert response.status_code == 200
        self.page = response.content.decode()
        return self.page

    @property
    def version(self) -> str:
        match = VERSION.search(self.page or self.get())
        assert match, "no version field on the table page"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, fresh: bool = True):
        if fresh:
            self.get()
        payload = {"version": self.version, **(data or {})}
        response = self.client.post(path, payload)
        if response.status_code == 200 or response.status_code == 400:
            self.page = response.content.decode()
        return response

    def place(self, spot: str, chip: int = 5, **kwargs):
        return self.post("/roulette/bets/", {"spot": spot, "chip": chip}, **kwargs)

    def wallet(self) -> Wallet:
        wallet = services.wallet_of_visitor(visitor_ids=client_visitor_ids(self.client))
        assert wallet is not None, "no table action yet: no wallet"
        return wallet


@pytest.fixture
def table(client: Client, db: None) -> TableClient:
    return TableClient(client)
