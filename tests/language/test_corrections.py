"""A rep corrects an intent in one click; the workspace's classifier retrains on it; the other
workspace's answers do not move."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from crm.activities.services import activity_log
from intelligence.language.classifier import base_model, model_predict
from intelligence.language.models import IntentLabel, ReplyIntent
from intelligence.language.services import (
    MODEL_KIND,
    intent_model_train,
    reply_intent_classify,
    reply_intent_correct,
    reply_intent_store,
)
from intelligence.models import ModelVersion
from intelligence.registry import model_active_load

from .conftest import make_contact

# In this workspace, asking whether a listing is still available means a buyer is interested.
CORRECTED = ["is the blue house still available?", "Is the corner lot still available??",
             "still available? the one on 5th"]  # fmt: skip
PROBE = "Is the duplex on Main still available?"


def _reply(ws, body):
    contact = make_contact(ws)
    with schema_context(ws.schema):
        activity = activity_log(contact=contact, kind="sms", direction="inbound", body=body)
        reply_intent_store(activity=activity, text=body)
        return activity


def test_corrections_retrain_only_their_workspace(alpha, beta, owner_of):
    assert model_predict(base_model(), PROBE)[0] == "question"  # the shipped reading
    rep = owner_of(alpha)
    for text in CORRECTED:
        activity = _reply(alpha, text)
        with schema_context(alpha.schema):
            reading = reply_intent_correct(activity=activity, intent="interested", actor=rep)
        assert reading.intent == "interested" and reading.engine == "rep"
    with schema_context(alpha.schema):
        # Before any retraining the exact text is remembered at once.
        remembered = reply_intent_classify(text=CORRECTED[0].upper())
        version = intent_model_train()
        probe = reply_intent_classify(text=PROBE)
        assert model_active_load(MODEL_KIND)[0] == version
    assert remembered.intent == "interested" and remembered.engine == "correction"
    assert version.metrics["corrections"] == 3
    assert (
        probe.intent == "interested"
        and probe.engine == f"classifier (workspace v{version.version})"
    )
    with schema_context(beta.schema):
        assert not ModelVersion.objects.filter(kind=MODEL_KIND).exists()
        assert not IntentLabel.objects.exists()
        beta_probe = reply_intent_classify(text=PROBE)
        beta_exact = reply_intent_classify(text=CORRECTED[0])
    assert beta_probe.intent == "question" and beta_probe.engine == "classifier"
    assert beta_exact.engine == "classifier"


def test_a_correction_survives_reanalysis_and_rules_still_win(alpha, owner_of):
    activity = _reply(alpha, "stop wasting my time")
    with schema_context(alpha.schema):
        assert ReplyIntent.objects.get(activity=activity).needs_confirmation
        reply_intent_correct(activity=activity, intent="opt_out", actor=owner_of(alpha))
        reply_intent_store(activity=activity, text=activity.body)  # a later re-analysis
        reading = ReplyIntent.objects.get(activity=activity)
        # A correction never turns a carrier keyword into something else for new messages.
        keyword = _reply(alpha, "STOP")
        reply_intent_correct(activity=keyword, intent="interested", actor=owner_of(alpha))
        again = reply_intent_classify(text="STOP")
    assert reading.intent == "opt_out" and not reading.needs_confirmation
    assert again.intent == "opt_out" and again.engine == "rules"


def test_bad_corrections_are_refused_and_store_nothing(alpha, owner_of):
    contact = make_contact(alpha)
    with schema_context(alpha.schema):
        outbound = activity_log(contact=contact, kind="sms", direction="outbound", body="Hi!")
        reply = activity_log(contact=contact, kind="sms", direction="inbound", body="ok")
        with pytest.raises(ValidationError):
            reply_intent_correct(activity=reply, intent="maybe", actor=owner_of(alpha))
        with pytest.raises(ValidationError):
            reply_intent_correct(activity=outbound, intent="interested", actor=owner_of(alpha))
        assert not IntentLabel.objects.exists()


def test_training_without_corrections_keeps_the_shipped_model(beta):
    with schema_context(beta.schema):
        assert intent_model_train() is None
        assert model_active_load(MODEL_KIND) == (None, None)
