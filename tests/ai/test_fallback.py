"""Timeouts, 429s and 5xx fall through primary → secondary → built-in; the circuit breaker
skips a failing provider for a short cool-down, then lets one trial through."""

from __future__ import annotations

import pytest

from intelligence.ai import breaker
from intelligence.ai.models import AIUsage, ProviderKind
from intelligence.ai.services import ai_complete, ai_stream

from .conftest import (
    ANTHROPIC,
    OPENAI,
    anthropic_stream,
    anthropic_text,
    configure,
    make_provider,
    openai_text,
    status,
    timeout,
)

VARS = {
    "text": "Roof job for Maria. Budget is $12,000. Wants it before winter.",
    "max_sentences": 1,
}


def _call():
    return ai_complete(feature="summary", prompt_key="summary.text", variables=VARS)


def _two_providers():
    primary = make_provider()
    secondary = make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini")
    configure(primary=primary, secondary=secondary)
    return primary, secondary


@pytest.mark.parametrize(
    "failure, reason",
    [
        (status(429, "rate limited"), "rate_limited"),
        (status(500), "server_error"),
        (status(529, "overloaded"), "server_error"),
        (timeout(), "timeout"),
    ],
)
def test_primary_failure_falls_back_to_the_secondary(in_alpha, stub, failure, reason):
    _two_providers()
    stub.queue(ANTHROPIC, failure)
    stub.queue(OPENAI, openai_text("From OpenAI"))

    result = _call()

    assert result.text == "From OpenAI" and result.engine == "GPT-5-mini via OpenAI"
    assert result.fallback_reason == reason and result.ok
    usage = AIUsage.objects.get(pk=result.usage_id)
    assert usage.attempts[0]["provider"] == "anthropic" and usage.attempts[0]["reason"] == reason


def test_both_failing_falls_back_to_the_builtin_engine(in_alpha, stub):
    _two_providers()
    stub.queue(ANTHROPIC, timeout())
    stub.queue(OPENAI, status(503))

    result = _call()

    assert result.engine == "Built-in engine" and result.ok and result.text
    assert result.fallback_reason == "timeout"
    assert [a["reason"] for a in AIUsage.objects.get(pk=result.usage_id).attempts] == [
        "timeout",
        "server_error",
    ]


def test_a_rejected_key_falls_back_but_does_not_trip_the_breaker(in_alpha, stub):
    primary, _ = _two_providers()
    for _ in range(4):
        stub.queue(ANTHROPIC, status(401, "invalid x-api-key"))
        stub.queue(OPENAI, openai_text("ok"))
        assert _call().fallback_reason == "auth"
    assert breaker.breaker_state(provider_id=primary.pk) == "closed"


def test_stream_failing_before_the_first_chunk_switches_engine(in_alpha, stub):
    configure(primary=make_provider())
    stub.queue(ANTHROPIC, status(500))
    stream = ai_stream(feature="summary", prompt_key="summary.text", variables=VARS)
    text = "".join(stream)
    assert stream.result.engine == stream.engine == "Built-in engine"
    assert text == stream.result.text == "Roof job for Maria."


def test_circuit_breaker_opens_then_half_opens_then_closes(in_alpha, stub, monkeypatch, settings):
    settings.LODESTAR_AI_BREAKER_FAILURES = 3
    settings.LODESTAR_AI_BREAKER_COOLDOWN_SECONDS = 30
    clock = [1_000_000.0]
    monkeypatch.setattr(breaker, "now", lambda: clock[0])
    primary, _ = _two_providers()

    for _ in range(3):
        stub.queue(ANTHROPIC, status(500))
        stub.queue(OPENAI, openai_text("secondary"))
        _call()
    assert breaker.breaker_state(provider_id=primary.pk) == "open"

    # Open: the primary is not even asked.
    stub.queue(OPENAI, openai_text("secondary"))
    result = _call()
    assert stub.count(ANTHROPIC) == 3 and result.fallback_reason == "circuit_open"

    # After the cool-down one trial goes through; it fails, so the breaker opens again.
    clock[0] += 31
    assert breaker.breaker_state(provider_id=primary.pk) == "half-open"
    stub.queue(ANTHROPIC, status(500))
    stub.queue(OPENAI, openai_text("secondary"))
    _call()
    assert stub.count(ANTHROPIC) == 4
    assert breaker.breaker_state(provider_id=primary.pk) == "open"

    # Next trial succeeds: closed, and the primary answers again.
    clock[0] += 31
    stub.queue(ANTHROPIC, anthropic_text("primary is back"), anthropic_text("still here"))
    assert _call().text == "primary is back"
    assert breaker.breaker_state(provider_id=primary.pk) == "closed"
    assert _call().text == "still here"


def test_breaker_state_is_per_workspace(alpha, beta, stub, monkeypatch, settings):
    """Same provider id in two schemas: alpha's failures never open beta's breaker."""
    from django_tenants.utils import schema_context

    settings.LODESTAR_AI_BREAKER_FAILURES = 1
    with schema_context(alpha.schema):
        breaker.breaker_failure(provider_id=424242)
        assert breaker.breaker_state(provider_id=424242) == "open"
    with schema_context(beta.schema):
        assert breaker.breaker_state(provider_id=424242) == "closed"
    with schema_context(alpha.schema):
        breaker.breaker_reset(provider_id=424242)


def test_stream_streams_from_anthropic_after_a_closed_breaker(in_alpha, stub):
    configure(primary=make_provider())
    stub.queue(ANTHROPIC, anthropic_stream(["a", "b"]))
    assert "".join(ai_stream(feature="summary", prompt_key="summary.text", variables=VARS)) == "ab"
