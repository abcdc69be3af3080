"""The tutorial room on Parlour's fan-out hub (`site_config.realtime`), nothing
persisted: isolates the hub's cost from the chat app's (sessions, DB, presence).

Wire format: Parlour's (`{"type": "message", "body": ...}` in, `{"type": "message",
"body": ...}` out to every member). Served at /ws/hub/<room>/ by bench.baseline.asgi.
"""

from dataclasses import dataclass
from typing import Any, ClassVar

from site_config.realtime.consumer import HubConsumer
from site_config.realtime.events import publish
from site_config.realtime.protocol import require_field


@dataclass(frozen=True)
class Said:
    name: ClassVar[str] = "hub.message"
    body: str

    def payload(self) -> dict[str, Any]:
        return {"type": "message", "body": self.body}


class HubChatConsumer(HubConsumer):
    async def connect(self) -> None:
        self.group = f"hub_{self.scope['url_route']['kwargs']['room_name']}"
        await self.accept()
        await self.hub_join(self.group)

    async def handle_message(self, content: dict[str, Any]) -> None:
        await publish(self.group, Said(require_field(content, "body", str)))
