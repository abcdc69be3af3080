"""The consumer base every live feature builds on: JSON frames in, error frames for
bad input, hub membership, and one hook for hub events."""

from __future__ import annotations

import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from site_config.realtime.hub import get_hub
from site_config.realtime.outages import CLOSE_TRY_AGAIN, UNAVAILABLE, log_failure
from site_config.realtime.protocol import (
    ProtocolError,
    encode,
    message_type,
    parse_frame,
)
from site_config.realtime.tasks import spawn
from site_config.realtime.transports import (
    SLOW_CLOSE_CODE,
    SLOW_CLOSE_REASON,
    Transport,
    max_backlog_bytes,
    transport_for,
)
from site_config.text import printable

logger = logging.getLogger(__name__)

TRY_AGAIN = "Something went wrong; please try again."


class HubConsumer(AsyncWebsocketConsumer):
    """Base consumer: JSON frames in, `{"type": "error"}` frames for bad input.

    A client frame `{"type": "x", ...}` goes to `handle_x(content)`. Frames over
    PARLOUR_MAX_FRAME_BYTES, non-JSON, non-objects, unknown types and handlers'
    `ProtocolError`s are answered with an error frame to the sender only; the
    connection stays open and nothing changes. Groups are joined with `hub_join`;
    their events arrive at `on_hub_event(event, frame)`.
    """

    hub_groups: set[str]
    transport: Transport | None = None
    closed = False
    # Hub events held back while the connection is being set up (see hold_hub_events),
    # and their size: held events count towards the slow-client limit too.
    held: list[tuple[str, str]] | None = None
    held_bytes = 0

    # Channels runs close_old_connections() in a worker thread before every
    # handler: one thread hop per incoming frame, 15% of the server's samples in
    # the chat profile. Consumers here reach the ORM only through database threads
    # (site_config.realtime.tasks), which manage their own connections.
    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.hub_groups = set()
        try:
            await super().websocket_connect(message)
        except Exception as error:
            # E.g. the database or the channel layer is down while the socket is
            # set up: undo the hub membership (which would otherwise keep
            # delivering to a consumer that is never disconnected), and ask the
            # client to come back later instead of dying with 1011.
            log_failure(
                logger,
                f"{type(self).__name__} could not connect; closing with "
                f"{CLOSE_TRY_AGAIN}",
                error,
            )
            await self.leave_all_groups()
            if self.transport is None:  # not accepted yet
                await self.accept()
            await self.close_try_again(TRY_AGAIN)
            self.closed = True

    async def leave_all_groups(self) -> None:
        """Leave every hub group (each may fail alone: the layer may be down)."""
        for group in list(getattr(self, "hub_groups", ())):
            try:
                await self.hub_leave(group)
            except Exception as error:
                log_failure(logger, f"could not leave {group}", error)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol=subprotocol, headers=headers)
        self.transport = transport_for(self.base_send, self._send_text, self.drop_slow)

    async def _send_text(self, frame: str) -> None:
        await self.send(text_data=frame)

    async def hub_join(self, group: str) -> None:
        await get_hub(self.channel_layer).join(group, self)
        self.hub_groups.add(group)

    async def hub_leave(self, group: str) -> None:
        self.hub_groups.discard(group)
        await get_hub(self.channel_layer).leave(group, self)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.closed = True
            self.transport.release()
        await self.leave_all_groups()

    def hold_hub_events(self) -> None:
        """Hold hub events back until `release_hub_events()`: join first (so no
        event falls between the join and the first state read), send the welcome
        or state frame, then release what arrived meanwhile, in order."""
        if self.held is None:
            self.held = []
            self.held_bytes = 0

    def release_hub_events(self) -> None:
        held, self.held = self.held, None
        self.held_bytes = 0
        for event, frame in held or ():
            self.on_hub_event(event, frame)

    # --- outgoing -------------------------------------------------------------

    def hub_event(self, event: str, frame: str) -> None:
        """The hub's entry point: held during set-up, else `on_hub_event`."""
        if self.held is not None:
            self.held.append((event, frame))
            self.held_bytes += len(frame)
            if self.held_bytes > max_backlog_bytes():
                self.held = None
                self.drop_slow()
            return
        self.on_hub_event(event, frame)

    def layer_lost(self) -> None:
        """The hub's channel layer stopped carrying events: close with "try
        again"; the client reconnects once it is back and catches up."""
        if self.closed:
            return
        spawn(self.close_for_outage())

    async def close_for_outage(self) -> None:
        await self.close_try_again(UNAVAILABLE)
        self.closed = True
        await self.leave_all_groups()

    def on_hub_event(self, event: str, frame: str) -> None:
        """An event of a joined group; by default, the frame goes to the client.

        Runs for every local member of the group with the same frame: it must not
        wait (push, or spawn a task), so one socket never stalls the room.
        """
        self.push_frame(frame)

    def push_frame(self, frame: str) -> None:
        """Queue one text frame to this socket, in order; never waits."""
        if self.closed or self.transport is None:
            return
        self.transport.push(frame)

    async def send_json(self, payload: dict[str, Any]) -> None:
        self.push_frame(encode(payload))

    async def send_error(self, message: str, **extra: Any) -> None:
        """An error frame to this socket. Reasons may quote client input, so text
        that cannot be encoded (lone surrogates) is replaced, never raised on."""
        safe = {
            name: printable(value) if isinstance(value, str) else value
            for name, value in extra.items()
        }
        await self.send_json({"type": "error", "message": printable(message), **safe})

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self.transport is not None:
            await self.transport.flush()  # frames pushed before the close go first
        await super().close(code=code, reason=reason)

    def drop_slow(self) -> None:
        """Close a connection that cannot keep up; the room goes on without it."""
        if self.closed:
            return
        self.closed = True
        logger.info("closing a slow WebSocket (backlog over the limit)")
        transport = self.transport
        if transport is not None:
            transport.closed = True
            transport.release()
            closed_at_transport = transport.close_slow()
        else:
            closed_at_transport = False
        if not closed_at_transport:
            spawn(self._close_slow())
        spawn(self.leave_all_groups())

    async def _close_slow(self) -> None:
        await super().close(code=SLOW_CLOSE_CODE, reason=SLOW_CLOSE_REASON)

    async def close_try_again(self, message: str) -> None:
        """After a server-side failure: tell the client, close with 4503."""
        try:
            await self.send_error(message, code=CLOSE_TRY_AGAIN)
            await self.close(code=CLOSE_TRY_AGAIN)
        except Exception:
            logger.debug("could not close the socket", exc_info=True)

    # --- incoming -------------------------------------------------------------

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        try:
            content = parse_frame(text_data)
            kind = message_type(content)
            handler = getattr(self, f"handle_{kind}", None)
            if handler is None:
                raise ProtocolError(f"Unknown message type: {kind[:40]!r}.")
            await handler(content)
        except ProtocolError as exc:
            await self.send_error(str(exc), **exc.extra)
        except Exception as error:
            # The socket stays open: one bad command must not cost the player the
            # connection (an uncaught exception would close it with 1011).
            log_failure(logger, f"a {type(self).__name__} frame failed", error)
            await self.send_error(TRY_AGAIN)
