"""Reads for notifications: always scoped to one recipient, flat query counts."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification


def notification_list(*, user_id: int, limit: int = 50) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user_id).order_by("-created_at", "-id")[:limit]


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
