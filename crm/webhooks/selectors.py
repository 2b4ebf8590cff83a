"""Reads for webhook subscriptions and deliveries (the current workspace's schema only)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.select_related("created_by")


def delivery_list(
    *, subscription_id: int | None = None, status: str | None = None, event: str | None = None
) -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.select_related("subscription")
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    if status:
        qs = qs.filter(status=status)
    if event:
        qs = qs.filter(event=event)
    return qs


def delivery_ids_due(*, now: datetime, limit: int = 500) -> list[int]:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return list(
        WebhookDelivery.objects.filter(
            due, status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED)
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
