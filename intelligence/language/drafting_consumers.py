"""The rep UI's draft socket (/ws/ai/draft/): a draft streams into the browser token by token.

The workspace middleware (crm.tenancy.channels) has already resolved the workspace from the
host, checked the Origin and refused anonymous sockets. The browser sends

    {"type": "draft", "record_type": "lead", "record_id": 7,
     "channel": "sms", "purpose": "follow_up", "tone": "friendly"}

and receives {"type": "start", "engine"} … {"type": "token", "text"} … then
{"type": "done", "engine", "usage_id", "text", "segments", "partial"}, or {"type": "error",
"message", "fields"} — never a stack trace.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections
from django.urls import path
from django_tenants.utils import schema_context

from intelligence.ai.services import ai_feature_enabled

from .drafting import FEATURE, draft_stream
from .drafting_facts import draft_record_get

log = logging.getLogger(__name__)

MAX_MESSAGE_KEYS = 10


class _ClientGone(Exception):
    """The socket closed while the draft was streaming."""


def _fields(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


class DraftConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.busy = False
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or len(content) > MAX_MESSAGE_KEYS:
            await self._error("Send one JSON object describing the draft.")
            return
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        if content.get("type") != "draft":
            await self._error('Unknown message type; send {"type": "draft", …}.')
            return
        if self.busy:
            await self._error("A draft is already being written on this connection.")
            return
        self.busy = True
        try:
            # Not thread-sensitive: a slow provider must not hold the one thread that every
            # sync view of this server shares.
            await sync_to_async(self._draft, thread_sensitive=False)(content)
        finally:
            self.busy = False

    async def decode_json(self, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def _error(self, message: str, fields: dict | None = None) -> None:
        await self.send_json({"type": "error", "message": message, "fields": fields or {}})

    # --- in a worker thread ------------------------------------------------------------------

    def _send(self, payload: dict) -> None:
        try:
            async_to_sync(self.send_json)(payload)
        except Exception as exc:  # the browser went away mid-draft
            raise _ClientGone from exc

    def _draft(self, content: dict) -> None:
        close_old_connections()
        workspace, user = self.scope["workspace"], self.scope["user"]
        try:
            with schema_context(workspace.schema_name):
                self._draft_in_schema(content, user)
        except _ClientGone:
            log.info("draft socket closed mid-stream")
        except ValidationError as exc:
            fields = _fields(exc)
            message = " ".join(m for msgs in fields.values() for m in msgs)
            self._send_quietly({"type": "error", "message": message, "fields": fields})
        except PermissionDenied as exc:
            self._send_quietly({"type": "error", "message": str(exc), "fields": {}})
        except Exception:
            log.exception("draft failed")
            self._send_quietly(
                {
                    "type": "error",
                    "message": "The draft could not be written. Please try again.",
                    "fields": {},
                }
            )
        finally:
            close_old_connections()

    def _send_quietly(self, payload: dict) -> None:
        with contextlib.suppress(_ClientGone):
            self._send(payload)

    def _draft_in_schema(self, content: dict, user: Any) -> None:
        record = draft_record_get(
            record_type=content.get("record_type"), record_id=content.get("record_id"), user=user
        )
        if not ai_feature_enabled(feature=FEATURE, user=user):
            raise PermissionDenied("AI drafting is turned off for you in this workspace.")
        stream = draft_stream(
            record=record,
            user=user,
            channel=content.get("channel"),
            purpose=content.get("purpose"),
            tone=content.get("tone"),
        )
        started = False
        for chunk in stream:
            if not started:
                self._send({"type": "start", "engine": stream.engine})
                started = True
            self._send({"type": "token", "text": chunk})
        result = stream.result
        segments = stream.segments
        self._send(
            {
                "type": "done",
                "engine": stream.engine or (result.engine if result else ""),
                "usage_id": stream.usage_id,
                "text": stream.text,
                "segments": segments.as_dict() if segments is not None else None,
                "partial": bool(result and result.partial),
                "ok": bool(result and result.ok),
            }
        )


def drafting_websocket_urlpatterns() -> list:
    """The socket routes to add to config/asgi.py's URLRouter."""
    return [path("ws/ai/draft/", DraftConsumer.as_asgi())]
