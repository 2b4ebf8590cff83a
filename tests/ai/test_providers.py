"""The real SDK clients through the gateway: text, streaming and structured output."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel

from intelligence.ai.defaults import ExtractedDetails
from intelligence.ai.models import AIUsage, KeySource, ProviderKind
from intelligence.ai.services import ai_complete, ai_stream, ai_structured

from .conftest import (
    ANTHROPIC,
    OPENAI,
    anthropic_stream,
    anthropic_text,
    anthropic_tool,
    configure,
    make_provider,
    openai_stream,
    openai_text,
)

TEXT = "Called Maria about the roof. She has a budget of $12,000. She will send photos."
VARS = {"text": TEXT, "max_sentences": 2}


def test_anthropic_completion_labelled_costed_and_recorded(in_alpha, stub):
    configure(primary=make_provider())
    stub.queue(
        ANTHROPIC, anthropic_text("Maria has $12k for the roof.", tokens_in=1000, tokens_out=200)
    )
    owner = in_alpha.make_user(email="rep-a@alpha.test")

    result = ai_complete(feature="summary", prompt_key="summary.text", variables=VARS, user=owner)

    assert result.text == "Maria has $12k for the roof."
    assert result.engine == "Claude (claude-sonnet-4-6)"
    assert (result.provider, result.model, result.prompt_version) == (
        "anthropic",
        "claude-sonnet-4-6",
        "default-r1",
    )
    assert (result.tokens_in, result.tokens_out) == (1000, 200)
    assert result.cost_usd == Decimal("0.006")  # $3 / $15 per million tokens
    body = stub.bodies(ANTHROPIC)[0]
    assert body["model"] == "claude-sonnet-4-6"
    assert body["system"].startswith("You summarise sales notes")
    assert "at most 2 sentences" in body["messages"][0]["content"]
    request = stub.requests[0]
    assert request.headers["authorization"] == "Bearer sk-test-secret-key-123456"
    usage = AIUsage.objects.get(pk=result.usage_id)
    assert (usage.user_id, usage.feature, usage.engine, usage.fallback_reason) == (
        owner.pk,
        "summary",
        "Claude (claude-sonnet-4-6)",
        "",
    )
    assert (usage.tokens_in, usage.tokens_out, usage.cost_usd) == (1000, 200, Decimal("0.006"))


def test_anthropic_streaming(in_alpha, stub):
    configure(primary=make_provider())
    stub.queue(ANTHROPIC, anthropic_stream(["Maria ", "has ", "a budget."], tokens_out=12))

    stream = ai_stream(feature="summary", prompt_key="summary.text", variables=VARS)
    chunks = list(stream)

    assert chunks == ["Maria ", "has ", "a budget."]
    assert stream.engine == stream.result.engine == "Claude (claude-sonnet-4-6)"
    assert stream.result.text == "Maria has a budget."
    assert (stream.result.tokens_in, stream.result.tokens_out) == (40, 12)
    assert stub.bodies(ANTHROPIC)[0]["stream"] is True
    assert AIUsage.objects.get(pk=stream.result.usage_id).mode == "stream"


def test_anthropic_structured_output_is_a_forced_tool_call(in_alpha, stub):
    configure(primary=make_provider())
    answer = {
        "emails": ["maria@example.com"],
        "phones": [],
        "amounts": ["$12,000"],
        "dates": [],
        "keywords": ["roof"],
    }
    stub.queue(ANTHROPIC, anthropic_tool(answer, name="ExtractedDetails"))

    result = ai_structured(
        feature="extraction",
        prompt_key="extraction.details",
        variables={"text": TEXT},
        schema=ExtractedDetails,
    )

    assert result.data == answer
    body = stub.bodies(ANTHROPIC)[0]
    assert body["tool_choice"] == {"type": "tool", "name": "ExtractedDetails"}
    assert body["tools"][0]["input_schema"]["properties"]["emails"]["type"] == "array"


class Strict(BaseModel):
    summary: str
    score: int


def test_invalid_structured_answer_is_retried_once_then_accepted(in_alpha, stub):
    configure(primary=make_provider())
    stub.queue(
        ANTHROPIC,
        anthropic_tool({"summary": "x", "score": "high"}, name="Strict"),
        anthropic_tool({"summary": "Roof job", "score": 7}, name="Strict"),
    )

    result = ai_structured(
        feature="summary", prompt_key="summary.text", variables=VARS, schema=Strict
    )

    assert result.data == {"summary": "Roof job", "score": 7}
    assert result.engine == "Claude (claude-sonnet-4-6)"
    retry = stub.bodies(ANTHROPIC)[1]["messages"][0]["content"]
    assert "did not match the required structure" in retry and "score" in retry
    assert result.tokens_in == 240  # both calls were billed
    assert AIUsage.objects.get(pk=result.usage_id).attempts[0]["reason"] == "invalid_output"


def test_invalid_twice_falls_back_to_the_builtin_engine_not_the_secondary(in_alpha, stub):
    secondary = make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini")
    configure(primary=make_provider(), secondary=secondary)
    bad = {"emails": "not a list"}
    stub.queue(ANTHROPIC, anthropic_tool(bad), anthropic_tool(bad))

    result = ai_structured(
        feature="extraction",
        prompt_key="extraction.details",
        variables={"text": TEXT + " Mail maria@example.com"},
        schema=ExtractedDetails,
    )

    assert stub.count(ANTHROPIC) == 2 and stub.count(OPENAI) == 0
    assert result.engine == "Built-in engine" and result.provider == "builtin"
    assert result.fallback_reason == "invalid_output"
    assert result.data["emails"] == ["maria@example.com"]
    assert "$12,000" in result.data["amounts"]


def test_structured_without_an_offline_handler_reports_not_ok(in_alpha, stub):
    configure()  # no provider: the built-in engine answers, and cannot fill `score`
    result = ai_structured(
        feature="summary", prompt_key="summary.text", variables=VARS, schema=Strict
    )
    assert result.ok is False and result.data is None
    assert "Strict.score" in result.error
    assert AIUsage.objects.get(pk=result.usage_id).error == result.error


def test_openai_completion_and_streaming(in_alpha, stub):
    configure(primary=make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini"))
    stub.queue(
        OPENAI,
        openai_text("Budget $12k.", tokens_in=1_000_000, tokens_out=0),
        openai_stream(["Bud", "get"]),
    )

    result = ai_complete(feature="summary", prompt_key="summary.text", variables=VARS)
    stream = ai_stream(feature="summary", prompt_key="summary.text", variables=VARS)
    chunks = list(stream)

    assert result.text == "Budget $12k." and result.engine == "GPT-5-mini via OpenAI"
    assert result.cost_usd == Decimal("0.25")
    first, second = stub.bodies(OPENAI)
    assert first["messages"][0] == {"role": "system", "content": first["messages"][0]["content"]}
    assert first["max_completion_tokens"] == 1024
    assert second["stream"] is True and second["stream_options"] == {"include_usage": True}
    assert chunks == ["Bud", "get"] and stream.result.tokens_out == 9


def test_openai_structured_uses_a_json_schema(in_alpha, stub):
    configure(primary=make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini"))
    stub.queue(OPENAI, openai_text('{"summary": "Roof", "score": 3}'))
    result = ai_structured(
        feature="summary", prompt_key="summary.text", variables=VARS, schema=Strict
    )
    assert result.data == {"summary": "Roof", "score": 3}
    fmt = stub.bodies(OPENAI)[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Strict"


def test_openai_structured_not_json_is_retried(in_alpha, stub):
    configure(primary=make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini"))
    stub.queue(OPENAI, openai_text("Sure! Here it is"), openai_text('{"summary": "R", "score": 1}'))
    result = ai_structured(
        feature="summary", prompt_key="summary.text", variables=VARS, schema=Strict
    )
    assert result.data == {"summary": "R", "score": 1} and stub.count(OPENAI) == 2


@pytest.mark.parametrize(
    "model, label",
    [
        ("llama3.1:8b", "Llama 3.1 via local server"),
        ("meta-llama/Meta-Llama-3-8B-Instruct", "Llama 3 via local server"),
    ],
)
def test_local_llama_through_an_openai_compatible_server(in_alpha, stub, model, label):
    local = make_provider(
        kind=ProviderKind.OPENAI_COMPATIBLE,
        model=model,
        base_url="http://localhost:11434/v1",
        key_source=KeySource.NONE,
    )
    configure(primary=local)
    stub.queue("localhost", openai_text("Local answer", model=model))

    result = ai_complete(feature="summary", prompt_key="summary.text", variables=VARS)

    assert result.text == "Local answer" and result.engine == label
    assert result.cost_usd == Decimal("0")  # your own server: no price
    request = stub.requests[0]
    assert str(request.url) == "http://localhost:11434/v1/chat/completions"
    assert stub.bodies()[0]["max_tokens"] == 1024


def test_environment_key(in_alpha, stub, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env-999999")
    configure(primary=make_provider(key_source=KeySource.ENVIRONMENT))
    stub.queue(ANTHROPIC, anthropic_text("ok"))
    assert ai_complete(feature="summary", prompt_key="summary.text", variables=VARS).text == "ok"
    assert stub.requests[0].headers["authorization"] == "Bearer sk-from-env-999999"


def test_environment_key_missing_falls_back_without_a_request(in_alpha, stub, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    configure(primary=make_provider(key_source=KeySource.ENVIRONMENT))
    result = ai_complete(feature="summary", prompt_key="summary.text", variables=VARS)
    assert result.engine == "Built-in engine" and result.fallback_reason == "not_configured"
    assert stub.requests == []
