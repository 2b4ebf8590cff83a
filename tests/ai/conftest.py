"""The real anthropic / openai SDK clients against a stubbed HTTP transport (httpx2, which both
SDKs use): a test queues responses per host and reads back the requests the SDK sent."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from django_tenants.utils import schema_context

from intelligence.ai import breaker, providers
from intelligence.ai.models import AISettings, KeySource, ProviderConnection, ProviderKind
from intelligence.ai.services import provider_api_key_set

Responder = httpx2.Response | Exception | Callable[[httpx2.Request], httpx2.Response]


@dataclass
class StubTransport:
    """Responses queued per host; an empty queue is a loud failure, not a silent default."""

    queues: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    requests: list[httpx2.Request] = field(default_factory=list)

    def queue(self, host: str, *responses: Responder) -> None:
        self.queues[host].extend(responses)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        queue = self.queues[request.url.host]
        if not queue:
            raise AssertionError(f"unexpected request to {request.url}")
        item = queue.popleft()
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        return item

    def bodies(self, host: str | None = None) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if host in (None, r.url.host)]

    def count(self, host: str) -> int:
        return sum(1 for r in self.requests if r.url.host == host)


@pytest.fixture
def stub() -> Iterator[StubTransport]:
    transport = StubTransport()
    providers.clients_reset()
    providers.HTTP_CLIENT_FACTORY = lambda: httpx2.Client(
        transport=httpx2.MockTransport(transport.handler)
    )
    yield transport
    providers.HTTP_CLIENT_FACTORY = None
    providers.clients_reset()


@pytest.fixture
def in_alpha(alpha):
    with schema_context(alpha.schema):
        yield alpha


_made: list[tuple[str, int]] = []


@pytest.fixture(autouse=True)
def _breakers_closed() -> Iterator[None]:
    """Breaker state lives in Redis, outside the test's transaction."""
    yield
    while _made:
        schema, pk = _made.pop()
        with schema_context(schema):
            breaker.breaker_reset(provider_id=pk)


def connection_schema() -> str:
    from django.db import connection

    return connection.schema_name


def make_provider(
    *,
    kind: str = ProviderKind.ANTHROPIC,
    model: str = "claude-sonnet-4-6",
    name: str | None = None,
    base_url: str = "",
    api_key: str = "sk-test-secret-key-123456",
    key_source: str = KeySource.STORED,
) -> ProviderConnection:
    connection = ProviderConnection.objects.create(
        name=name or f"{kind}-{model}",
        kind=kind,
        model=model,
        base_url=base_url,
        key_source=key_source,
    )
    breaker.breaker_reset(provider_id=connection.pk)
    _made.append((connection_schema(), connection.pk))
    if key_source == KeySource.STORED:
        provider_api_key_set(connection=connection, api_key=api_key)
    return connection


def configure(
    *,
    primary: ProviderConnection | None = None,
    secondary: ProviderConnection | None = None,
    budget: str | None = None,
    redact: bool = True,
) -> AISettings:
    config, _ = AISettings.objects.get_or_create(singleton=True)
    config.primary, config.secondary, config.redact_pii = primary, secondary, redact
    config.monthly_budget_usd = Decimal(budget) if budget is not None else None
    config.save()
    return config


# --- provider responses ---------------------------------------------------------------------

ANTHROPIC = "api.anthropic.com"
OPENAI = "api.openai.com"


def anthropic_text(
    text: str, *, tokens_in: int = 100, tokens_out: int = 20, model: str = "claude-sonnet-4-6"
) -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        },
    )


def anthropic_tool(
    data: dict, *, name: str = "answer", tokens_in: int = 120, tokens_out: int = 30
) -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "msg_2",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": data}],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        },
    )


def _sse(events: list[tuple[str | None, dict | str]]) -> bytes:
    lines = []
    for name, data in events:
        if name:
            lines.append(f"event: {name}")
        lines.append(f"data: {data if isinstance(data, str) else json.dumps(data)}")
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


def anthropic_stream(
    chunks: list[str], *, tokens_in: int = 40, tokens_out: int = 12
) -> httpx2.Response:
    events: list[tuple[str | None, dict | str]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_s",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-6",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": tokens_in, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    for chunk in chunks:
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": chunk},
                },
            )
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": tokens_out},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return httpx2.Response(200, content=_sse(events), headers={"content-type": "text/event-stream"})


def openai_text(
    text: str, *, tokens_in: int = 80, tokens_out: int = 16, model: str = "gpt-5-mini"
) -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        },
    )


def openai_stream(
    chunks: list[str], *, model: str = "gpt-5-mini", tokens_in: int = 30, tokens_out: int = 9
) -> httpx2.Response:
    base = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": model}
    events: list[tuple[str | None, dict | str]] = [
        (None, {**base, "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": None}]})
        for c in chunks
    ]
    events.append(
        (
            None,
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": tokens_in,
                    "completion_tokens": tokens_out,
                    "total_tokens": tokens_in + tokens_out,
                },
            },
        )
    )
    events.append((None, "[DONE]"))
    return httpx2.Response(200, content=_sse(events), headers={"content-type": "text/event-stream"})


def status(code: int, message: str = "boom") -> httpx2.Response:
    return httpx2.Response(
        code, json={"type": "error", "error": {"type": "api_error", "message": message}}
    )


def timeout() -> httpx2.ReadTimeout:
    return httpx2.ReadTimeout("read timed out")
