"""The shipped classifier and the service's order: rules, corrections, model, refiner."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from intelligence.language import services
from intelligence.language.classifier import INTENTS, base_model, dataset_load, model_predict
from intelligence.language.services import IntentResult, reply_intent_classify


def test_shipped_set_is_big_and_covers_every_intent():
    rows = dataset_load()
    assert len(rows) >= 600
    counts = {i: sum(r.intent == i for r in rows) for i in INTENTS}
    assert min(counts.values()) >= 50, counts
    assert sum(r.lang == "es" for r in rows) >= 50


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Can you come out Tuesday at 10am to look at the roof?", "appointment_request"),
        ("How much would it cost to replace the water heater?", "question"),
        ("Wrong number, I don't know any Linda", "wrong_number"),
        ("No thanks, we already hired someone", "not_interested"),
        ("Yes! Send me the quote please", "interested"),
    ],
)
def test_classifier_reads_clear_replies(text, intent):
    assert model_predict(base_model(), text)[0] == intent


def test_rules_decide_opt_out_before_the_model(alpha):
    with schema_context(alpha.schema):
        result = reply_intent_classify(text="STOP!!")
        doubtful = reply_intent_classify(text="stop wasting my time")
        normal = reply_intent_classify(text="Is the house on Elm still available?")
    assert result == IntentResult("opt_out", 1.0, False, result.reason, "rules")
    assert doubtful.intent == "opt_out" and doubtful.needs_confirmation
    assert normal.intent == "question" and normal.engine == "classifier"
    assert 0 < normal.confidence <= 1 and not normal.needs_confirmation


@pytest.mark.parametrize("bad", ["", "   ", None, 12, "x" * (services.MAX_TEXT_LENGTH + 1)])
def test_bad_text_is_refused(alpha, bad):
    with schema_context(alpha.schema), pytest.raises(ValidationError):
        reply_intent_classify(text=bad)
    with pytest.raises(ValidationError):
        services.sentiment_score(text=bad)


def test_refiner_sees_unsure_answers_only_and_never_decides_an_opt_out(alpha, monkeypatch):
    calls = []

    def refiner(*, text, result):
        calls.append(text)
        return IntentResult("opt_out", 0.9, False, "llm", "llm")

    monkeypatch.setattr(services, "_refiner", refiner)  # restored after the test
    with schema_context(alpha.schema):
        monkeypatch.setattr(services, "REFINE_BELOW", 0.0)  # nothing is unsure
        sure = reply_intent_classify(text="How much is the install?")
        monkeypatch.setattr(services, "REFINE_BELOW", 1.01)  # everything is unsure
        ruled = reply_intent_classify(text="STOP")
        vague = reply_intent_classify(text="hmm well the thing is")
    assert sure.engine == "classifier" and ruled.engine == "rules"
    assert calls == ["hmm well the thing is"]  # never asked about a rules decision
    assert vague.intent == "opt_out" and vague.engine == "llm" and vague.needs_confirmation


def test_a_failing_refiner_keeps_the_classifier_answer(alpha, monkeypatch):
    def broken(**_):
        raise TimeoutError("provider down")

    monkeypatch.setattr(services, "REFINE_BELOW", 1.01)  # ask it for everything
    monkeypatch.setattr(services, "_refiner", broken)  # restored after the test
    with schema_context(alpha.schema):
        result = reply_intent_classify(text="How much is the install?")
    assert result.intent == "question" and result.engine == "classifier"


def test_the_classifier_never_answers_opt_out_on_texts_it_has_not_seen(alpha):
    from .test_optout import NOT_OPT_OUTS

    with schema_context(alpha.schema):
        answers = {t: reply_intent_classify(text=t) for t in NOT_OPT_OUTS}
    assert {t: r.intent for t, r in answers.items() if r.intent == "opt_out"} == {}
    assert "opt_out" not in base_model().classes_
