"""API keys: presented, scoped, revocable, per workspace; session users with CSRF; throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.settings import api_settings

from crm.team.apikeys import api_key_authenticate, api_key_create, api_key_revoke
from crm.team.models import ApiKey, Role

from .conftest import ApiClient

PROBLEM = "application/problem+json"


def test_no_key_is_401_problem(alpha):
    response = ApiClient(host=alpha.host, secret=None).get("/api/v1/contacts/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["type"].startswith("urn:lodestar")


def test_unknown_key_is_401(alpha):
    response = ApiClient(host=alpha.host, secret="lsk_nothere0abcdefg").get("/api/v1/leads/")
    assert response.status_code == 401
    assert "Invalid or revoked" in response.json()["detail"]


def test_key_is_stored_hashed_with_visible_prefix(alpha):
    with schema_context(alpha.schema):
        issued = api_key_create(name="Zapier", scopes=["leads:read"])
        stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert issued.secret.startswith("lsk_") and len(issued.secret) > 40
    assert issued.secret.startswith(stored.prefix) and len(stored.prefix) == 12
    assert issued.secret not in (stored.key_hash, str(stored.scopes))
    assert len(stored.key_hash) == 64


def test_x_api_key_header_works(alpha, client_for):
    client = client_for(alpha, ["contacts:read"], header="x-api-key")
    assert client.get("/api/v1/contacts/").status_code == 200


def test_revoked_key_is_401(alpha, make_key):
    secret = make_key(alpha)
    with schema_context(alpha.schema):
        api_key_revoke(api_key=ApiKey.objects.get(prefix=secret[:12]))
    response = ApiClient(host=alpha.host, secret=secret).get("/api/v1/contacts/")
    assert response.status_code == 401


def test_read_only_key_cannot_write(alpha, client_for):
    client = client_for(alpha, ["contacts:read"])
    assert client.get("/api/v1/contacts/").status_code == 200
    response = client.post("/api/v1/contacts/", {"first_name": "Nope"})
    assert response.status_code == 403
    assert "contacts:write" in response.json()["detail"]
    with schema_context(alpha.schema):
        from crm.contacts.models import Contact

        assert not Contact.objects.filter(first_name="Nope").exists()


def test_write_scope_implies_read(alpha, client_for):
    client = client_for(alpha, ["leads:write"])
    assert client.get("/api/v1/leads/").status_code == 200


def test_wrong_resource_scope_is_403(alpha, client_for):
    client = client_for(alpha, ["contacts:write"])
    assert client.get("/api/v1/leads/").status_code == 403
    assert client.get("/api/v1/deals/").status_code == 403
    assert client.get("/api/v1/contacts/").status_code == 200


def test_alpha_key_on_beta_is_401(alpha, beta, make_key):
    secret = make_key(alpha)
    assert ApiClient(host=alpha.host, secret=secret).get("/api/v1/contacts/").status_code == 200
    response = ApiClient(host=beta.host, secret=secret).get("/api/v1/contacts/")
    assert response.status_code == 401


def test_last_used_is_recorded_but_not_on_every_request(alpha, make_key):
    secret = make_key(alpha)
    client = ApiClient(host=alpha.host, secret=secret)
    with schema_context(alpha.schema):
        assert ApiKey.objects.get(prefix=secret[:12]).last_used_at is None
    client.get("/api/v1/contacts/")
    with schema_context(alpha.schema):
        first = ApiKey.objects.get(prefix=secret[:12]).last_used_at
    assert first is not None
    client.get("/api/v1/contacts/")
    with schema_context(alpha.schema):
        assert ApiKey.objects.get(prefix=secret[:12]).last_used_at == first  # throttled
        # Once the interval has passed, the next use is recorded again.
        stale = timezone.now() - timedelta(minutes=5)
        ApiKey.objects.filter(prefix=secret[:12]).update(last_used_at=stale)
        api_key_authenticate(secret=secret)
        assert ApiKey.objects.get(prefix=secret[:12]).last_used_at > stale


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER])
def test_session_user_passes_with_csrf_enforced(alpha, role):
    user = alpha.make_user(email=f"{role}@alpha.test", role=role)
    client = alpha.logged_in_client(user)
    assert client.get("/api/v1/contacts/").status_code == 200
    csrf_client = alpha.logged_in_client(user)
    csrf_client.handler.enforce_csrf_checks = True
    response = csrf_client.post(
        "/api/v1/contacts/", {"first_name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_throttled_per_key(alpha, client_for):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "2/min"}
    rest = {**api_settings.user_settings, "DEFAULT_THROTTLE_RATES": rates}
    client = client_for(alpha, ["contacts:read"])
    other = client_for(alpha, ["contacts:read"])
    with override_settings(REST_FRAMEWORK=rest):
        assert client.get("/api/v1/contacts/").status_code == 200
        assert client.get("/api/v1/contacts/").status_code == 200
        response = client.get("/api/v1/contacts/")
        assert response.status_code == 429
        assert response["Content-Type"] == PROBLEM
        assert "Retry-After" in response
        assert other.get("/api/v1/contacts/").status_code == 200  # budgets are per key


def test_api_key_admin_shows_secret_once(alpha):
    manager = alpha.make_user(email="mgr@alpha.test", role=Role.MANAGER)
    client = alpha.logged_in_client(manager)
    response = client.post(
        "/admin/team/apikey/add/",
        {"name": "Partner", "scopes": ["leads:read", "leads:write"]},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"] if "Copy this" in str(m)]
    assert len(shown) == 1
    secret = shown[0].rsplit(" ", 1)[-1]
    with schema_context(alpha.schema):
        key = ApiKey.objects.get(name="Partner")
        assert key.created_by_id == manager.pk and key.scopes == ["leads:read", "leads:write"]
    assert ApiClient(host=alpha.host, secret=secret).get("/api/v1/leads/").status_code == 200
    page = client.get(f"/admin/team/apikey/{key.pk}/change/")
    assert secret not in page.content.decode()
