"""Idempotency-Key: replay the first response, refuse a reused key with another body."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.api.idempotency import idempotency_purge_expired
from crm.api.models import IdempotencyRecord
from crm.contacts.models import Contact

from .conftest import ApiClient


def test_replay_returns_first_response_and_does_the_work_once(api, alpha):
    payload = {"first_name": "Once", "email": "once@example.com"}
    first = api.post("/api/v1/contacts/", payload, HTTP_IDEMPOTENCY_KEY="abc-1")
    again = api.post("/api/v1/contacts/", payload, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    with schema_context(alpha.schema):
        assert Contact.objects.filter(email="once@example.com").count() == 1


def test_replayed_error_keeps_status_and_problem_type(api):
    bad = {"first_name": "B", "phone": "12"}
    first = api.post("/api/v1/contacts/", bad, HTTP_IDEMPOTENCY_KEY="bad-1")
    again = api.post("/api/v1/contacts/", bad, HTTP_IDEMPOTENCY_KEY="bad-1")
    assert first.status_code == again.status_code == 400
    assert again["Content-Type"] == "application/problem+json"
    assert first.json() == again.json()


def test_same_key_different_body_is_422(api, alpha):
    api.post("/api/v1/contacts/", {"first_name": "A"}, HTTP_IDEMPOTENCY_KEY="k-2")
    response = api.post("/api/v1/contacts/", {"first_name": "B"}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["type"] == "urn:lodestar:problem:idempotency_key_reused"
    with schema_context(alpha.schema):
        assert not Contact.objects.filter(first_name="B").exists()


def test_key_is_scoped_per_api_key_and_path(api, alpha, make_key):
    other = ApiClient(host=alpha.host, secret=make_key(alpha))
    api.post("/api/v1/contacts/", {"first_name": "P"}, HTTP_IDEMPOTENCY_KEY="shared")
    response = other.post("/api/v1/contacts/", {"first_name": "P"}, HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    response = api.post("/api/v1/companies/", {"name": "P"}, HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    with schema_context(alpha.schema):
        assert Contact.objects.filter(first_name="P").count() == 2


def test_in_flight_request_is_409(api, alpha):
    api.post("/api/v1/contacts/", {"first_name": "F"}, HTTP_IDEMPOTENCY_KEY="fly")
    with schema_context(alpha.schema):
        IdempotencyRecord.objects.filter(key="fly").update(status_code=None)
    response = api.post("/api/v1/contacts/", {"first_name": "F"}, HTTP_IDEMPOTENCY_KEY="fly")
    assert response.status_code == 409


def test_expired_records_are_purged_and_key_reusable(api, alpha):
    api.post("/api/v1/contacts/", {"first_name": "E"}, HTTP_IDEMPOTENCY_KEY="old")
    with schema_context(alpha.schema):
        record = IdempotencyRecord.objects.get(key="old")
        assert abs(record.expires_at - record.created_at - timedelta(hours=24)) < timedelta(
            minutes=1
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    response = api.post("/api/v1/contacts/", {"first_name": "E2"}, HTTP_IDEMPOTENCY_KEY="old")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    with schema_context(alpha.schema):
        IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert idempotency_purge_expired() >= 1
        assert not IdempotencyRecord.objects.exists()
