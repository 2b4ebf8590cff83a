"""The workspace admin's webhook pages: managers only, actions call services, no cross-talk."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from crm.team.models import Role
from crm.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from crm.webhooks.services import delivery_enqueue

SUBS = "/admin/webhooks/webhooksubscription/"
DELIVERIES = "/admin/webhooks/webhookdelivery/"


def _delivery(ws: Any, **fields: Any) -> WebhookDelivery:
    with schema_context(ws.schema):
        (row,) = delivery_enqueue(event="lead.created", payload={"x": 1})
        WebhookDelivery.objects.filter(pk=row.pk).update(**fields)
        row.refresh_from_db()
        return row


def test_manager_sees_the_pages_and_a_rep_does_not(alpha, manager_client, make_subscription):
    sub = make_subscription(alpha)
    row = _delivery(alpha, status=DeliveryStatus.FAILED)
    assert manager_client.get(SUBS).status_code == 200
    page = manager_client.get(f"{SUBS}{sub.pk}/change/")
    assert page.status_code == 200 and sub.secret.encode() not in page.content
    assert manager_client.get(f"{DELIVERIES}?status__exact=failed").status_code == 200
    assert manager_client.get(f"{DELIVERIES}{row.pk}/change/").status_code == 200
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    assert alpha.logged_in_client(rep).get(SUBS).status_code == 302


def test_adding_shows_the_secret_once_and_refuses_private_urls(alpha, manager_client) -> None:
    form = {"name": "Zap", "url": "http://169.254.169.254/", "events": ["lead.created"],
            "is_active": "on"}  # fmt: skip
    refused = manager_client.post(f"{SUBS}add/", form)
    assert refused.status_code == 200 and b"private or reserved address" in refused.content
    with schema_context(alpha.schema):
        assert not WebhookSubscription.objects.exists()
    form["url"] = "https://hooks.partner.example/z"
    added = manager_client.post(f"{SUBS}add/", form, follow=True)
    with schema_context(alpha.schema):
        sub = WebhookSubscription.objects.get()
    assert sub.secret.encode() in added.content  # in the one-time message


def test_send_test_event_and_retry_now_actions(
    alpha, manager_client, make_subscription, dispatched, django_capture_on_commit_callbacks
) -> None:
    sub = make_subscription(alpha, events=["deal.won", "lead.created"])
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(SUBS, {"action": "send_test_event", "_selected_action": [sub.pk]})
    with schema_context(alpha.schema):
        test_row = WebhookDelivery.objects.get(event="webhook.test")
    assert test_row.payload["data"]["subscription_id"] == sub.pk
    assert dispatched.ids == [test_row.pk]

    dead = _delivery(alpha, status=DeliveryStatus.DEAD, attempts=8)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(DELIVERIES, {"action": "retry_now", "_selected_action": [dead.pk]})
    with schema_context(alpha.schema):
        dead.refresh_from_db()
    assert dead.status == DeliveryStatus.PENDING and dispatched.ids[-1] == dead.pk


def test_betas_records_are_404_in_alphas_admin(alpha, beta, manager_client, make_subscription):
    beta_sub = make_subscription(beta)
    beta_row = _delivery(beta, status=DeliveryStatus.FAILED)
    with schema_context(alpha.schema):
        WebhookSubscription.objects.filter(pk=beta_sub.pk).delete()
        WebhookDelivery.objects.filter(pk=beta_row.pk).delete()
    assert manager_client.get(f"{SUBS}{beta_sub.pk}/change/").status_code == 404
    assert manager_client.get(f"{DELIVERIES}{beta_row.pk}/change/").status_code == 404
    listing = manager_client.get(SUBS)
    assert beta_sub.url.encode() not in listing.content
