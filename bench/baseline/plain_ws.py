"""The plain `websockets` yardstick: room broadcast and echo, nothing else.

Same wire format as the minimal Channels server: `{"message": ...}` in, the same
object out to every member of `/ws/chat/<room>/`; `/ws/echo/` echoes. Compression is
off (as on daphne) so both yardsticks move the same bytes. Binds 127.0.0.1 only.

    python bench/baseline/plain_ws.py --port 8102
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: dict[str, set[ServerConnection]] = {}


async def handler(ws: ServerConnection) -> None:
    path = ws.request.path if ws.request else ""
    if path == "/ws/echo/":
        async for message in ws:
            await ws.send(message)
        return
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[:2] != ["ws", "chat"]:
        await ws.close(1008, "unknown path")
        return
    members = rooms.setdefault(parts[2], set())
    members.add(ws)
    try:
        async for text in ws:
            message = json.loads(text)["message"]
            broadcast(members, json.dumps({"message": message}))
    finally:
        members.discard(ws)


def health(connection, request):
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8102)
    args = parser.parse_args()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        "127.0.0.1",
        args.port,
        process_request=health,
        compression=None,
        max_size=2**20,
    ):
        await stop


if __name__ == "__main__":
    asyncio.run(main())
