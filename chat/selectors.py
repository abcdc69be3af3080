"""Reads of the chat app."""


def home_stats() -> dict:
    return {}
