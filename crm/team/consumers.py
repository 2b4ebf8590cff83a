from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .realtime import user_group_name


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """A signed-in user's live feed. The middleware has already resolved the workspace and
    refused anonymous sockets; this only joins the user's schema-prefixed group."""

    async def connect(self) -> None:
        workspace, user = self.scope["workspace"], self.scope["user"]
        self.group_name = user_group_name(schema_name=workspace.schema_name, user_id=user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "workspace": workspace.slug})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notify(self, event: dict) -> None:
        await self.send_json({"type": "notification", "payload": event["payload"]})
