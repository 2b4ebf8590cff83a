"""One attempt at a delivery: success, failure with backoff, giving up, idempotency, DNS
rebinding, and the task's refusal to run without a workspace."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenancy.celery import SCHEMA_HEADER, MissingTenantError
from crm.webhooks.models import DeliveryStatus, WebhookDelivery
from crm.webhooks.sender import OutboundResponse, TransportError
from crm.webhooks.services import (
    delivery_attempt,
    delivery_enqueue,
    delivery_retry_now,
    subscription_deactivate,
)
from crm.webhooks.signing import verify
from crm.webhooks.tasks import webhook_deliver

from .conftest import PUBLIC_IP

PAYLOAD = {"id": "e1", "event": "lead.created", "data": {"lead": {"id": 1, "status": "new"}}}


@pytest.fixture
def delivery(alpha, make_subscription, django_capture_on_commit_callbacks) -> WebhookDelivery:
    make_subscription(alpha)
    with schema_context(alpha.schema):
        (row,) = delivery_enqueue(event="lead.created", payload=PAYLOAD)
    return row


def _attempt(ws, delivery: WebhookDelivery):
    with schema_context(ws.schema):
        result = delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        delivery.subscription  # noqa: B018 -- load it here, in the right schema
    return result


def _make_due(ws, delivery: WebhookDelivery) -> None:
    with schema_context(ws.schema):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )


def test_success_sends_signed_json_to_the_vetted_address(alpha, delivery, transport) -> None:
    transport.reply(OutboundResponse(204, "thanks"))
    result = _attempt(alpha, delivery)

    assert result.attempted and delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1 and delivery.last_status_code == 204
    assert delivery.response_excerpt == "thanks" and delivery.delivered_at is not None
    (request,) = transport.requests
    assert request.url == "https://hooks.partner.example/lodestar"
    assert request.destination.address == PUBLIC_IP  # connect to what was checked
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Lodestar-Event"] == "lead.created"
    assert request.headers["X-Lodestar-Delivery"] == str(delivery.event_id)
    assert json.loads(request.body) == PAYLOAD
    secret = delivery.subscription.secret
    assert verify(secret=secret, body=request.body, header=request.headers["X-Lodestar-Signature"])
    assert request.timeout <= 10


def test_a_server_error_schedules_a_retry_with_backoff(alpha, delivery, transport) -> None:
    transport.reply(OutboundResponse(500, "oops"), TransportError("TimeoutError: timed out"))
    before = timezone.now()
    _attempt(alpha, delivery)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    first_delay = (delivery.next_attempt_at - before).total_seconds()
    assert 60 * 0.8 - 1 <= first_delay <= 60 * 1.2 + 1

    # not due yet: running again does nothing and calls nobody
    assert not _attempt(alpha, delivery).attempted
    assert len(transport.requests) == 1

    _make_due(alpha, delivery)
    before = timezone.now()
    _attempt(alpha, delivery)  # the timeout
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
    assert delivery.last_status_code is None and "timed out" in delivery.last_error
    second_delay = (delivery.next_attempt_at - before).total_seconds()
    assert 120 * 0.8 - 1 <= second_delay <= 120 * 1.2 + 1


def test_redirects_are_failures_not_followed(alpha, delivery, transport) -> None:
    transport.reply(OutboundResponse(302, ""))
    _attempt(alpha, delivery)
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error == "HTTP 302"
    assert len(transport.requests) == 1


def test_after_max_attempts_the_delivery_is_dead(alpha, delivery, transport, settings) -> None:
    settings.LODESTAR_WEBHOOKS_MAX_ATTEMPTS = 3
    transport.reply(*[OutboundResponse(503, "")] * 3)
    for _ in range(3):
        _make_due(alpha, delivery)
        _attempt(alpha, delivery)
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == 3
    assert delivery.next_attempt_at is None
    _make_due(alpha, delivery)
    assert not _attempt(alpha, delivery).attempted
    assert len(transport.requests) == 3


def test_a_succeeded_delivery_run_again_does_nothing(alpha, delivery, transport) -> None:
    _attempt(alpha, delivery)
    _make_due(alpha, delivery)
    result = _attempt(alpha, delivery)
    assert not result.attempted and result.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1 and len(transport.requests) == 1


def test_dns_rebinding_is_refused_at_delivery_time(alpha, delivery, transport, fake_dns) -> None:
    fake_dns.records["hooks.partner.example"] = ["169.254.169.254"]
    _attempt(alpha, delivery)
    assert transport.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "private or reserved address" in delivery.last_error


def test_an_inactive_subscription_gets_nothing(alpha, delivery, transport) -> None:
    with schema_context(alpha.schema):
        subscription_deactivate(subscription=delivery.subscription)
    _attempt(alpha, delivery)
    assert transport.requests == [] and delivery.status == DeliveryStatus.DEAD


def test_enqueueing_the_same_event_twice_adds_nothing(alpha, make_subscription) -> None:
    make_subscription(alpha)
    event_id = uuid.uuid4()
    with schema_context(alpha.schema):
        delivery_enqueue(event="lead.created", payload=PAYLOAD, event_id=event_id)
        delivery_enqueue(event="lead.created", payload=PAYLOAD, event_id=event_id)
        assert WebhookDelivery.objects.count() == 1


def test_retry_now_revives_a_dead_delivery_but_not_a_succeeded_one(
    alpha, delivery, transport, dispatched, django_capture_on_commit_callbacks, settings
) -> None:
    settings.LODESTAR_WEBHOOKS_MAX_ATTEMPTS = 1
    transport.reply(OutboundResponse(500, ""))
    _attempt(alpha, delivery)
    assert delivery.status == DeliveryStatus.DEAD
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        delivery_retry_now(delivery=delivery)
    assert dispatched.calls[-1] == (delivery.pk, alpha.schema, None)
    _attempt(alpha, delivery)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    with schema_context(alpha.schema), pytest.raises(ValidationError, match="already succeeded"):
        delivery_retry_now(delivery=delivery)


# --- the Celery task -----------------------------------------------------------------------


def test_the_task_delivers_and_reschedules_failures(alpha, delivery, transport, dispatched):
    transport.reply(OutboundResponse(500, ""))
    result = webhook_deliver.apply(args=[delivery.pk], headers={SCHEMA_HEADER: alpha.schema})
    assert result.get() == DeliveryStatus.FAILED
    with schema_context(alpha.schema):
        delivery.refresh_from_db()
    # woken again at the row's next_attempt_at, in the same workspace
    assert dispatched.calls[-1] == (delivery.pk, alpha.schema, delivery.next_attempt_at)

    _make_due(alpha, delivery)
    result = webhook_deliver.apply(args=[delivery.pk], headers={SCHEMA_HEADER: alpha.schema})
    assert result.get() == DeliveryStatus.SUCCEEDED
    calls = len(dispatched.calls)
    # idempotent: a duplicate message does nothing
    result = webhook_deliver.apply(args=[delivery.pk], headers={SCHEMA_HEADER: alpha.schema})
    assert result.get() == DeliveryStatus.SUCCEEDED
    assert len(transport.requests) == 2 and len(dispatched.calls) == calls


def test_the_task_refuses_to_run_without_a_workspace(alpha, delivery, transport) -> None:
    with pytest.raises(MissingTenantError):
        webhook_deliver.apply(args=[delivery.pk], headers={}, throw=True)
    with pytest.raises(MissingTenantError):
        webhook_deliver.apply(args=[delivery.pk], headers={SCHEMA_HEADER: "public"}, throw=True)
    assert transport.requests == []
    with schema_context(alpha.schema):
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0


def test_a_delivery_id_from_another_workspace_finds_nothing(
    alpha, beta, delivery, transport
) -> None:
    result = webhook_deliver.apply(args=[delivery.pk], headers={SCHEMA_HEADER: beta.schema})
    assert result.get() == "missing"
    assert transport.requests == []
