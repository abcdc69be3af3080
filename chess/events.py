"""The chess app's domain events, each the JSON object of one server-to-client frame
(docs/protocol.md). Services hand them to `publish_on_commit`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class _Message:
    """An event whose payload the service built whole (the frame's JSON object)."""

    message: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return self.message


class GameStateChanged(_Message):
    """A game's full state after a change, to every socket of the game."""

    name: ClassVar[str] = "chess.state"


class PresenceChanged(_Message):
    """Who is connected to a game: seats online, spectators, since when a seat is
    gone, and the server time."""

    name: ClassVar[str] = "chess.presence"


@dataclass(frozen=True)
class LobbyChanged:
    """The lobby lists changed; clients fetch the lists of this version over HTTP.

    `version` is None when the lobby's version could not be read (the cache is
    down): clients then fetch whatever is current."""

    name: ClassVar[str] = "chess.lobby"
    version: int | None

    def payload(self) -> dict[str, Any]:
        return {"type": "lobby", "version": self.version}
