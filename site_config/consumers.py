"""The echo socket: the seeds' echo server, and a health and latency probe."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        size = (
            len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        )
        if size > settings.PARLOUR_MAX_FRAME_BYTES:
            await self.send(text_data='{"type":"error","message":"Frame too large."}')
        elif text_data is not None:
            await self.send(text_data=text_data)
        else:
            await self.send(bytes_data=bytes_data)
