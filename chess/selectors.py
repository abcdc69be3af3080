"""Reads of the chess app."""


def home_stats() -> dict:
    return {}
