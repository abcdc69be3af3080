"""Roulette settings, read at call time so tests and deployments can change them.

All optional: ``ROULETTE_LIMITS``, ``ROULETTE_STARTING_BANKROLL``, ``ROULETTE_CHIPS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_LIMITS = {
    "inside_min": 1,
    "inside_max": 100,
    "outside_min": 5,
    "outside_max": 500,
}
DEFAULT_STARTING_BANKROLL = 1000
DEFAULT_CHIPS = (1, 5, 25, 100)
# Largest bankroll an API client may ask for when it opens a betting session.
MAX_API_BANKROLL = 1_000_000


@dataclass(frozen=True)
class Limits:
    """Table limits per spot, in chips."""

    inside_min: int
    inside_max: int
    outside_min: int
    outside_max: int

    def for_kind(self, *, inside: bool) -> tuple[int, int]:
        if inside:
            return self.inside_min, self.inside_max
        return self.outside_min, self.outside_max

    @property
    def smallest_bet(self) -> int:
        return min(self.inside_min, self.outside_min)

    def as_dict(self) -> dict[str, int]:
        return {
            "inside_min": self.inside_min,
            "inside_max": self.inside_max,
            "outside_min": self.outside_min,
            "outside_max": self.outside_max,
        }


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ImproperlyConfigured(f"{name} must be a positive integer, not {value!r}")
    return value


def limits() -> Limits:
    """The table limits in force: ``settings.ROULETTE_LIMITS`` over the defaults."""
    configured = getattr(settings, "ROULETTE_LIMITS", None) or {}
    # Read on every bet and every table page: checked once per configured value.
    items = tuple(configured.items())
    try:
        return _limits(items)
    except TypeError:  # an unhashable value: checked (and refused) uncached
        return _limits.__wrapped__(items)


@lru_cache(maxsize=16)
def _limits(configured_items: tuple[tuple[str, object], ...]) -> Limits:
    configured = dict(configured_items)
    unknown = set(configured) - set(DEFAULT_LIMITS)
    if unknown:
        raise ImproperlyConfigured(
            f"ROULETTE_LIMITS has unknown keys: {', '.join(sorted(unknown))}"
        )
    merged = {
        key: _positive_int(f"ROULETTE_LIMITS[{key!r}]", value)
        for key, value in {**DEFAULT_LIMITS, **configured}.items()
    }
    result = Limits(**merged)
    for kind in ("inside", "outside"):
        low, high = result.for_kind(inside=kind == "inside")
        if low > high:
            raise ImproperlyConfigured(
                f"ROULETTE_LIMITS: {kind}_min exceeds {kind}_max"
            )
    return result


def starting_bankroll() -> int:
    return _positive_int(
        "ROULETTE_STARTING_BANKROLL",
        getattr(settings, "ROULETTE_STARTING_BANKROLL", DEFAULT_STARTING_BANKROLL),
    )


def chip_values() -> tuple[int, ...]:
    chips = tuple(getattr(settings, "ROULETTE_CHIPS", DEFAULT_CHIPS))
    try:
        return _chip_values(chips)
    except TypeError:  # an unhashable value: checked (and refused) uncached
        return _chip_values.__wrapped__(chips)


@lru_cache(maxsize=16)
def _chip_values(chips: tuple[object, ...]) -> tuple[int, ...]:
    values = tuple(_positive_int("ROULETTE_CHIPS", chip) for chip in chips)
    if not values:
        raise ImproperlyConfigured("ROULETTE_CHIPS must offer at least one chip")
    return tuple(sorted(set(values)))
