"""The LLM second opinion on unsure intent readings, through the real Anthropic SDK on a
stubbed transport: used only with a provider, never final on an opt-out, kept per workspace."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from intelligence.ai.models import AIUsage
from intelligence.language import services
from intelligence.language.services import reply_intent_classify

from ..ai.conftest import ANTHROPIC, anthropic_tool, configure, make_provider

MESSAGE = "hmm we will see about that one"


@pytest.fixture
def always_refine(monkeypatch):
    # Any classifier reading counts as unsure, so the refiner is asked for every message.
    monkeypatch.setattr(services, "REFINE_BELOW", 1.01)


def test_without_a_provider_the_classifier_answer_stands_and_nothing_is_billed(
    alpha, always_refine, stub
):
    with schema_context(alpha.schema):
        configure()
        before = AIUsage.objects.count()
        result = reply_intent_classify(text=MESSAGE)
        assert result.engine.startswith("classifier")
        assert AIUsage.objects.count() == before
        assert stub.requests == []


def test_a_provider_refines_an_unsure_reading(alpha, always_refine, stub):
    with schema_context(alpha.schema):
        configure(primary=make_provider())
        stub.queue(
            ANTHROPIC,
            anthropic_tool(
                {"intent": "not_interested", "confidence": 0.8, "reason": "brushing it off"}
            ),
        )
        result = reply_intent_classify(text=MESSAGE)
        assert (result.intent, result.confidence) == ("not_interested", 0.8)
        assert result.engine.startswith("Claude") and not result.needs_confirmation
        assert MESSAGE in stub.bodies(ANTHROPIC)[0]["messages"][0]["content"]


def test_a_model_opt_out_is_only_a_possible_opt_out(alpha, always_refine, stub):
    with schema_context(alpha.schema):
        configure(primary=make_provider())
        stub.queue(
            ANTHROPIC, anthropic_tool({"intent": "opt_out", "confidence": 0.9, "reason": "x"})
        )
        result = reply_intent_classify(text=MESSAGE)
        assert result.intent == "opt_out" and result.needs_confirmation is True


def test_an_invalid_answer_keeps_the_classifier_reading(alpha, always_refine, stub):
    with schema_context(alpha.schema):
        configure(primary=make_provider())
        bad = {"intent": "buy_now", "confidence": 3, "reason": "?"}
        stub.queue(ANTHROPIC, anthropic_tool(bad), anthropic_tool(bad))  # retried once
        result = reply_intent_classify(text=MESSAGE)
        assert result.engine.startswith("classifier")


def test_one_workspaces_provider_never_refines_another(alpha, beta, always_refine, stub):
    with schema_context(alpha.schema):
        configure(primary=make_provider())
    with schema_context(beta.schema):
        configure()
        result = reply_intent_classify(text=MESSAGE)
        assert result.engine.startswith("classifier")
    assert stub.requests == []
