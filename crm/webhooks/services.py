"""Writes for webhook subscriptions and deliveries."""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.tenancy.selectors import workspace_current

from . import payloads, signing
from .events import TEST_EVENT, WEBHOOK_EVENTS
from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from .sender import (
    EXCERPT_CHARS,
    OutboundRequest,
    TransportError,
    timeout_seconds,
    transport_get,
)
from .ssrf import UnsafeDestination, destination_check

logger = logging.getLogger(__name__)

RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
# While one run holds a delivery, others leave it alone; longer than any HTTP timeout.
LEASE = timedelta(seconds=120)


def max_attempts() -> int:
    return int(getattr(settings, "LODESTAR_WEBHOOKS_MAX_ATTEMPTS", 8))


def backoff_seconds(attempts: int) -> float:
    """Delay after the `attempts`-th failure: 1, 2, 4 … minutes, capped at 6 h, ±20 % jitter
    so a partner's outage does not end in a thundering herd."""
    base = float(getattr(settings, "LODESTAR_WEBHOOKS_BACKOFF_BASE_SECONDS", 60))
    delay = min(base * 2 ** max(attempts - 1, 0), 6 * 3600)
    return delay * random.uniform(0.8, 1.2)


# --- subscriptions -------------------------------------------------------------------------


def _clean_events(events: list[str]) -> list[str]:
    if not events:
        raise ValidationError({"events": "Choose at least one event."})
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if unknown:
        raise ValidationError(
            {"events": f"Unknown events: {', '.join(unknown)}. Known: {', '.join(WEBHOOK_EVENTS)}."}
        )
    return sorted(set(events))


def _clean_name(name: str) -> str:
    if not name.strip():
        raise ValidationError({"name": "Name the subscription."})
    return name.strip()[:120]


def _clean_url(url: str) -> str:
    url = url.strip()
    destination_check(url)  # raises UnsafeDestination (a ValidationError) with a url message
    return url


@transaction.atomic
def subscription_create(
    *, name: str, url: str, events: list[str], created_by=None, is_active: bool = True
) -> WebhookSubscription:
    subscription = WebhookSubscription(
        name=_clean_name(name),
        url=_clean_url(url),
        events=_clean_events(events),
        secret=signing.secret_generate(),
        is_active=is_active,
        created_by=created_by,
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_update(
    *,
    subscription: WebhookSubscription,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    if name is not None:
        subscription.name = _clean_name(name)
    if url is not None:
        subscription.url = _clean_url(url)
    if events is not None:
        subscription.events = _clean_events(events)
    if is_active is not None:
        subscription.is_active = is_active
    subscription.full_clean()
    subscription.save()
    return subscription


def subscription_deactivate(*, subscription: WebhookSubscription) -> WebhookSubscription:
    subscription.is_active = False
    subscription.save(update_fields=["is_active", "updated_at"])
    return subscription


def subscription_rotate_secret(*, subscription: WebhookSubscription) -> WebhookSubscription:
    subscription.secret = signing.secret_generate()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


# --- enqueueing ----------------------------------------------------------------------------


def _dispatch_after_commit(deliveries: list[WebhookDelivery]) -> None:
    # The schema is read now: the commit callback may run after schema_context has exited.
    schema = connection.schema_name
    ids = [d.pk for d in deliveries]

    def send() -> None:
        from .tasks import delivery_dispatch

        for delivery_id in ids:
            delivery_dispatch(delivery_id=delivery_id, schema=schema)

    transaction.on_commit(send)


@transaction.atomic
def delivery_enqueue(
    *, event: str, payload: dict[str, Any], event_id: uuid.UUID | None = None
) -> list[WebhookDelivery]:
    """One delivery row per active subscription to `event`, sent once the rows are committed.
    Re-running with the same event_id adds nothing (the unique constraint)."""
    event_id = event_id or uuid.uuid4()
    subscriptions = WebhookSubscription.objects.filter(is_active=True, events__contains=[event])
    rows = [
        WebhookDelivery(subscription=s, event=event, event_id=event_id, payload=payload)
        for s in subscriptions
    ]
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    # ignore_conflicts leaves pk unset: read back the rows this event has (new or not yet sent)
    created = list(
        WebhookDelivery.objects.filter(
            event_id=event_id, status=DeliveryStatus.PENDING, attempts=0
        ).order_by("id")
    )
    _dispatch_after_commit(created)
    return created


def delivery_enqueue_for_event(*, event: str, **payload: Any) -> list[WebhookDelivery]:
    """The domain-event handler's work: build the payload from the database, then enqueue."""
    if not WebhookSubscription.objects.filter(is_active=True, events__contains=[event]).exists():
        return []  # the common case: no partner listens, so build nothing
    event_id = uuid.uuid4()
    body = payloads.event_payload(
        event=event, event_id=event_id, workspace=workspace_current().slug, payload=payload
    )
    if body is None:
        logger.info("Skipped %s webhook: its record no longer exists", event)
        return []
    return delivery_enqueue(event=event, payload=body, event_id=event_id)


@transaction.atomic
def subscription_send_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A `webhook.test` delivery to this one subscription, whatever it subscribes to."""
    event_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event=TEST_EVENT,
        event_id=event_id,
        payload=payloads.test_payload(
            event_id=event_id,
            workspace=workspace_current().slug,
            subscription_id=subscription.pk,
        ),
    )
    _dispatch_after_commit([delivery])
    return delivery


@transaction.atomic
def delivery_retry_now(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Ask for one more attempt now (a manager's "retry now", the API's redeliver). A delivery
    that already succeeded is not sent again."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.SUCCEEDED:
        raise ValidationError({"status": "This delivery already succeeded; it is not resent."})
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    _dispatch_after_commit([delivery])
    return delivery


# --- attempting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: int
    attempted: bool  # False: nothing to do (already done, dead, not due or held elsewhere)
    status: str
    next_attempt_at: datetime | None = None


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for this run with one conditional UPDATE; False if another run holds
    it, it is not due, or it is finished. This is what makes the task idempotent."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return bool(
        WebhookDelivery.objects.filter(due, pk=delivery_id, status__in=RETRYABLE).update(
            next_attempt_at=now + LEASE, last_attempt_at=now, updated_at=now
        )
    )


def _request(delivery: WebhookDelivery) -> OutboundRequest:
    subscription = delivery.subscription
    destination = destination_check(subscription.url)  # again: DNS may have changed
    body = payloads.body_bytes(delivery.payload)
    return OutboundRequest(
        url=subscription.url,
        destination=destination,
        body=body,
        timeout=timeout_seconds(),
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Lodestar-Webhooks/1.0",
            signing.EVENT_HEADER: delivery.event,
            signing.DELIVERY_HEADER: str(delivery.event_id),
            signing.SIGNATURE_HEADER: signing.signature_header(
                secret=subscription.secret, body=body
            ),
        },
    )


def delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """Make one attempt at a delivery if it is due, and record what happened."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return AttemptResult(delivery_id, False, current.first() or "missing")
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    status_code: int | None = None
    excerpt = ""
    if not delivery.subscription.is_active:
        error = "The subscription is inactive."
    else:
        try:
            response = transport_get().send(_request(delivery))
        except UnsafeDestination as exc:
            error = "; ".join(exc.messages)
        except TransportError as exc:
            error = str(exc)
        else:
            status_code, excerpt = response.status_code, response.body[:EXCERPT_CHARS]
            error = "" if 200 <= status_code < 300 else f"HTTP {status_code}"
    return _record(delivery, status_code=status_code, excerpt=excerpt, error=error)


def _record(
    delivery: WebhookDelivery, *, status_code: int | None, excerpt: str, error: str
) -> AttemptResult:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.response_excerpt = excerpt
    delivery.last_error = error[:2000]
    if not error:
        delivery.status, delivery.next_attempt_at, delivery.delivered_at = (
            DeliveryStatus.SUCCEEDED,
            None,
            now,
        )
    elif delivery.attempts >= max_attempts() or not delivery.subscription.is_active:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    delivery.save(
        update_fields=[
            "attempts",
            "status",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "response_excerpt",
            "last_error",
            "updated_at",
        ]
    )
    if error:
        logger.warning(
            "Webhook delivery %s (%s) attempt %d failed: %s",
            delivery.pk,
            delivery.event,
            delivery.attempts,
            error,
        )
    return AttemptResult(delivery.pk, True, delivery.status, delivery.next_attempt_at)
