"""Writes for notifications. The row is the truth; the websocket push is a faster copy sent
after commit (as Zulip's actions do), so a rolled-back write never reaches a browser."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.team.realtime import notify_user

from .models import Notification
from .selectors import notification_unread_count

logger = logging.getLogger(__name__)


def notification_send(
    *,
    user_id: int,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    payload: dict[str, Any] | None = None,
    object_id: int | None = None,
    dedupe: bool = False,
) -> Notification | None:
    """Store a notification and push it live after commit. With `dedupe`, a second one of the
    same kind for the same `object_id` to the same person is not stored (returns None)."""
    fields = dict(recipient_id=user_id, kind=kind, title=title[:255], body=body, url=url,
                  payload=payload or {}, object_id=object_id, dedupe=dedupe)  # fmt: skip
    try:
        with transaction.atomic():
            notification = Notification.objects.create(**fields)
    except IntegrityError:
        if dedupe:
            return None
        raise
    # Built now, inside the caller's schema and transaction: after commit the connection may
    # be in another schema (on_commit runs wherever the outermost block ends).
    live = notification_payload(notification)
    schema = connection.schema_name
    transaction.on_commit(lambda: _push(notification.recipient_id, live, schema))
    return notification


def _push(user_id: int, payload: dict[str, Any], schema: str) -> None:
    """Best effort: a dead channel layer must not fail the write; the row is already stored."""
    try:
        notify_user(user_id=user_id, schema_name=schema, payload=payload)
    except Exception:
        logger.warning("Live push of notification #%s failed", payload["id"], exc_info=True)


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "type": "notification",
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
        "unread_count": notification_unread_count(user_id=notification.recipient_id),
    }


def notification_mark_read(*, user_id: int, notification_id: int) -> Notification | None:
    """None when it is someone else's (or another workspace's) notification."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user_id).first()
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
