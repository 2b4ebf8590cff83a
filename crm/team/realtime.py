"""Publishing to a user's live notification socket. Group names carry the schema, so user 7
of one workspace never receives user 7 of another's messages."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection


def user_group_name(*, schema_name: str, user_id: int) -> str:
    return f"{schema_name}.user.{user_id}"


def notify_user(*, user_id: int, payload: dict[str, Any], schema_name: str | None = None) -> None:
    """Send `payload` to every open socket of the user in the current (or given) workspace."""
    group = user_group_name(schema_name=schema_name or connection.schema_name, user_id=user_id)
    async_to_sync(get_channel_layer().group_send)(group, {"type": "notify", "payload": payload})
