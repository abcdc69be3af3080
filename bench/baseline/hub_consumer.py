"""The tutorial room on Parlour's fan-out hub (`site_config.realtime`), nothing
persisted: isolates the hub's cost from the chat app's (sessions, DB, presence).

Wire format: Parlour's (`{"type": "message", "body": ...}` in, `{"type": "message",
"body": ...}` out to every member). Served at /ws/hub/<room>/ by bench.baseline.asgi.
"""

from site_config.realtime import JsonHubConsumer, publish, require_field


class HubChatConsumer(JsonHubConsumer):
    async def connect(self):
        self.group = f"hub_{self.scope['url_route']['kwargs']['room_name']}"
        await self.accept()
        await self.hub_join(self.group)

    async def handle_message(self, content):
        body = require_field(content, "body", str)
        await publish(self.group, {"type": "message", "body": body})
