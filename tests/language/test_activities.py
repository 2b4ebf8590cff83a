"""Sentiment and intent land on the timeline through the activity events, after commit."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.activities.services import activity_log, activity_sentiment_store, activity_update
from intelligence.language.models import ReplyIntent

from .conftest import make_contact


def _log(ws, capture, **fields) -> int:
    contact = make_contact(ws)
    with schema_context(ws.schema), capture(execute=True):
        return activity_log(contact=contact, **fields).pk


def test_inbound_sms_gets_sentiment_and_intent(
    alpha, django_capture_on_commit_callbacks, eager_celery
):
    pk = _log(alpha, django_capture_on_commit_callbacks, kind="sms", direction="inbound",
              body="Thanks so much, can you come out Tuesday at 10am?")  # fmt: skip
    with schema_context(alpha.schema):
        activity = Activity.objects.get(pk=pk)
        reading = ReplyIntent.objects.get(activity=activity)
    assert activity.sentiment is not None and activity.sentiment > 0.2
    assert reading.intent == "appointment_request" and reading.engine == "classifier"


def test_note_gets_sentiment_and_no_intent(alpha, django_capture_on_commit_callbacks):
    pk = _log(alpha, django_capture_on_commit_callbacks, kind="note",
              body="Customer was furious, the crew never showed up. Terrible.")  # fmt: skip
    with schema_context(alpha.schema):
        activity = Activity.objects.get(pk=pk)
        assert not ReplyIntent.objects.filter(activity=activity).exists()
    assert activity.sentiment < -0.2


def test_outbound_messages_are_not_scored(alpha, django_capture_on_commit_callbacks):
    pk = _log(alpha, django_capture_on_commit_callbacks, kind="sms", direction="outbound",
              body="Great news, your install is booked!")  # fmt: skip
    with schema_context(alpha.schema):
        assert Activity.objects.get(pk=pk).sentiment is None
        assert not ReplyIntent.objects.filter(activity_id=pk).exists()


def test_nothing_happens_without_commit(alpha):
    contact = make_contact(alpha)
    with schema_context(alpha.schema):
        activity = activity_log(contact=contact, kind="note", body="Great call, very happy")
        activity.refresh_from_db()
    assert activity.sentiment is None  # the test's transaction never commits


def test_an_edited_note_is_scored_again(alpha, django_capture_on_commit_callbacks):
    pk = _log(alpha, django_capture_on_commit_callbacks, kind="note", body="Lovely people")
    with schema_context(alpha.schema):
        activity = Activity.objects.get(pk=pk)
        with django_capture_on_commit_callbacks(execute=True):
            activity_update(activity=activity, changes={"body": "Awful, rude and angry"})
        activity.refresh_from_db()
    assert activity.sentiment < 0


def test_spanish_reply_sentiment(alpha, django_capture_on_commit_callbacks, eager_celery):
    pk = _log(alpha, django_capture_on_commit_callbacks, kind="sms", direction="inbound",
              body="Muy buen servicio, gracias! Excelente trabajo")  # fmt: skip
    with schema_context(alpha.schema):
        assert Activity.objects.get(pk=pk).sentiment > 0.5


def test_store_service_refuses_out_of_range_and_announces_nothing(alpha, monkeypatch):
    from django.core.exceptions import ValidationError

    from crm.activities import services as activity_services

    published = []
    monkeypatch.setattr(activity_services, "publish", lambda *a, **k: published.append(a))
    contact = make_contact(alpha)
    with schema_context(alpha.schema):
        activity = Activity.objects.create(kind="note", body="x", contact=contact,
                                           occurred_at="2026-01-01T00:00:00Z")  # fmt: skip
        with pytest.raises(ValidationError):
            activity_sentiment_store(activity_id=activity.pk, sentiment=1.5)
        assert activity_sentiment_store(activity_id=activity.pk, sentiment=-0.25)
        assert not activity_sentiment_store(activity_id=activity.pk + 10_000, sentiment=0.1)
        activity.refresh_from_db()
    assert activity.sentiment == -0.25 and published == []


def test_backfill_fills_what_the_handlers_missed(alpha, beta):
    contact = make_contact(alpha)
    with schema_context(alpha.schema):
        reply = activity_log(contact=contact, kind="sms", direction="inbound", body="STOP")
        note = activity_log(contact=contact, kind="note", body="Happy customer, great visit")
    other = make_contact(beta)
    with schema_context(beta.schema):
        beta_note = activity_log(contact=other, kind="note", body="Great visit")
    call_command("language_backfill", "--schema", alpha.schema)
    with schema_context(alpha.schema):
        assert Activity.objects.get(pk=note.pk).sentiment > 0
        assert ReplyIntent.objects.get(activity_id=reply.pk).intent == "opt_out"
    with schema_context(beta.schema):
        assert Activity.objects.get(pk=beta_note.pk).sentiment is None  # other workspace
