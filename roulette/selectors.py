"""Reads of the roulette app."""


def home_stats() -> dict:
    return {}
