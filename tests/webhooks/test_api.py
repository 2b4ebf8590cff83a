"""/api/v1/webhooks/: managers manage subscriptions and read deliveries of their workspace only."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.team.models import Role
from crm.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from crm.webhooks.services import delivery_enqueue

BASE = "/api/v1/webhooks"


def _new_delivery(ws: Any, **fields: Any) -> WebhookDelivery:
    with schema_context(ws.schema):
        (row,) = delivery_enqueue(event="lead.created", payload={"x": 1})
        if fields:
            WebhookDelivery.objects.filter(pk=row.pk).update(**fields)
            row.refresh_from_db()
        return row


def test_create_shows_the_secret_once(alpha, manager_client) -> None:
    response = manager_client.post(
        f"{BASE}/subscriptions/",
        {"name": "Zap", "url": "https://hooks.partner.example/z", "events": ["lead.created"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["lead.created"]
    detail = manager_client.get(f"{BASE}/subscriptions/{body['id']}/").json()
    assert "secret" not in detail and detail["secret_hint"].endswith(body["secret"][-4:])
    listing = manager_client.get(f"{BASE}/subscriptions/").json()
    assert [s["id"] for s in listing["results"]] == [body["id"]]
    assert "secret" not in listing["results"][0]
    rotated = manager_client.post(f"{BASE}/subscriptions/{body['id']}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"]


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/", "http://[::1]:8000/", "http://10.0.0.1/"]
)
def test_create_with_a_private_url_is_a_400_and_stores_nothing(
    alpha, manager_client, url: str
) -> None:
    response = manager_client.post(
        f"{BASE}/subscriptions/",
        {"name": "Evil", "url": url, "events": ["lead.created"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "private or reserved address" in str(response.json())
    with schema_context(alpha.schema):
        assert not WebhookSubscription.objects.exists()


def test_update_validates_and_delete_deactivates(alpha, manager_client, make_subscription):
    sub = make_subscription(alpha)
    url = f"{BASE}/subscriptions/{sub.pk}/"
    bad = manager_client.patch(url, {"events": ["nope"]}, content_type="application/json")
    assert bad.status_code == 400
    ok = manager_client.patch(url, {"events": ["deal.won"]}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["events"] == ["deal.won"]
    assert manager_client.delete(url).status_code == 204
    with schema_context(alpha.schema):
        sub.refresh_from_db()
    assert sub.is_active is False


def test_reps_are_refused(alpha, make_subscription) -> None:
    rep = alpha.make_user(email="rep@alpha.test", role=Role.REP)
    client = alpha.logged_in_client(rep)
    assert client.get(f"{BASE}/subscriptions/").status_code == 403
    assert alpha.client().get(f"{BASE}/subscriptions/").status_code in (401, 403)


def test_deliveries_list_filter_and_redeliver(
    alpha, manager_client, make_subscription, dispatched, django_capture_on_commit_callbacks
) -> None:
    make_subscription(alpha)
    dead = _new_delivery(alpha, status=DeliveryStatus.DEAD, attempts=8)
    done = _new_delivery(alpha, status=DeliveryStatus.SUCCEEDED, attempts=1)
    listing = manager_client.get(f"{BASE}/deliveries/?status=dead").json()
    assert [d["id"] for d in listing["results"]] == [dead.pk]
    detail = manager_client.get(f"{BASE}/deliveries/{dead.pk}/").json()
    assert detail["payload"] == {"x": 1}

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"{BASE}/deliveries/{dead.pk}/redeliver/")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert dead.pk in dispatched.ids
    refused = manager_client.post(f"{BASE}/deliveries/{done.pk}/redeliver/")
    assert refused.status_code == 400 and "already succeeded" in str(refused.json())


def test_betas_ids_are_404_on_alphas_api(alpha, beta, manager_client, make_subscription) -> None:
    beta_sub = make_subscription(beta)
    beta_delivery = _new_delivery(beta)
    with schema_context(alpha.schema):  # make sure the ids are not also alpha's
        WebhookSubscription.objects.filter(pk=beta_sub.pk).delete()
        WebhookDelivery.objects.filter(pk=beta_delivery.pk).delete()
    sub_url = f"{BASE}/subscriptions/{beta_sub.pk}/"
    assert manager_client.get(sub_url).status_code == 404
    assert (
        manager_client.patch(sub_url, {"name": "x"}, content_type="application/json").status_code
        == 404
    )
    assert manager_client.delete(sub_url).status_code == 404
    assert manager_client.post(f"{sub_url}rotate-secret/").status_code == 404
    assert manager_client.post(f"{sub_url}test/").status_code == 404
    assert manager_client.get(f"{BASE}/deliveries/{beta_delivery.pk}/").status_code == 404
    assert (
        manager_client.post(f"{BASE}/deliveries/{beta_delivery.pk}/redeliver/").status_code == 404
    )
    assert manager_client.get(f"{BASE}/subscriptions/").json()["results"] == []
    assert manager_client.get(f"{BASE}/deliveries/").json()["results"] == []
    with schema_context(beta.schema):
        beta_sub.refresh_from_db()
    assert beta_sub.is_active and beta_sub.name == "Partner"


def test_api_keys_need_the_webhooks_scope(alpha, make_subscription) -> None:
    from crm.team.apikeys import api_key_create

    with schema_context(alpha.schema):
        reader = api_key_create(name="r", scopes=["webhooks:read"]).secret
        writer = api_key_create(name="w", scopes=["webhooks:write"]).secret
        other = api_key_create(name="o", scopes=["leads:write"]).secret
    make_subscription(alpha)
    client = alpha.client()
    new = {"name": "K", "url": "https://hooks.partner.example/k", "events": ["deal.won"]}

    def call(method: str, key: str, **kwargs: Any):
        return getattr(client, method)(
            f"{BASE}/subscriptions/", HTTP_AUTHORIZATION=f"Bearer {key}", **kwargs
        )

    assert call("get", reader).status_code == 200
    assert call("post", reader, data=new, content_type="application/json").status_code == 403
    assert call("get", other).status_code == 403
    created = call("post", writer, data=new, content_type="application/json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
