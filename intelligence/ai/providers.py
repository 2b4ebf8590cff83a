"""External providers behind one small interface: Anthropic (Messages API) and OpenAI (Chat
Completions), the latter also for any OpenAI-compatible server (Ollama, vLLM, llama.cpp) by base
URL. SDK errors become `ProviderFailure` with a reason the gateway falls back on.

SDK clients are cached per process (building one costs an SSL context). Tests and benchmarks set
`HTTP_CLIENT_FACTORY` to hand the SDKs an `httpx2.Client` with a stub transport.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2
from django.conf import settings

from .crypto import secret_decrypt
from .models import KeySource, ProviderConnection, ProviderKind

HTTP_CLIENT_FACTORY: Callable[[], httpx2.Client] | None = None
ENV_KEYS = {
    ProviderKind.ANTHROPIC: "ANTHROPIC_API_KEY",
    ProviderKind.OPENAI: "OPENAI_API_KEY",
    ProviderKind.OPENAI_COMPATIBLE: "OPENAI_API_KEY",
}
# Reasons worth trying the next engine for and counting against the circuit breaker.
TRANSIENT = frozenset({"timeout", "rate_limited", "server_error", "connection"})


class ProviderFailure(Exception):
    def __init__(self, reason: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.reason, self.status = reason, status

    @property
    def transient(self) -> bool:
        return self.reason in TRANSIENT


class ProviderNotConfigured(Exception):
    """No key where one is needed, or a stored key this server cannot decrypt."""


@dataclass(frozen=True)
class ProviderCall:
    system: str
    user: str
    max_tokens: int
    schema: dict[str, Any] | None = None  # JSON schema for structured output
    schema_name: str = "answer"


@dataclass
class ProviderReply:
    text: str = ""
    data: Any = None
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def engine_label(*, kind: str, model: str, base_url: str = "") -> str:
    """What the UI prints beside an output."""
    if kind == ProviderKind.ANTHROPIC:
        return f"Claude ({model})"
    pretty = re.sub(r"^gpt", "GPT", model)
    if kind == ProviderKind.OPENAI:
        return f"{pretty} via OpenAI"
    if match := re.match(r"(?:meta-llama/)?(?:meta-)?llama[-_ ]?(\d+(?:\.\d+)?)", model.lower()):
        pretty = f"Llama {match.group(1)}"
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    local = host in ("", "localhost", "127.0.0.1", "::1", "host.docker.internal") or "." not in host
    return f"{pretty} via {'local server' if local else host}"


def _api_key(connection: ProviderConnection) -> str | None:
    if connection.key_source == KeySource.NONE:
        return None
    if connection.key_source == KeySource.ENVIRONMENT:
        return os.environ.get(ENV_KEYS[connection.kind]) or None
    if not connection.api_key_encrypted:
        return None
    try:
        return secret_decrypt(connection.api_key_encrypted)
    except Exception as exc:
        raise ProviderNotConfigured(str(exc)) from exc


_CLIENTS: dict[tuple, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def clients_reset() -> None:
    with _CLIENTS_LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()


@functools.cache
def _sdks() -> tuple[Any, Any]:
    """(anthropic, openai), imported on first use: together they take about 2.5 s to import,
    which every web, worker and management process would otherwise pay at start-up, and most
    never call a provider."""
    import anthropic
    import openai

    return anthropic, openai


def _sdk_errors() -> tuple[type[Exception], ...]:
    anthropic, openai = _sdks()
    return (anthropic.APIError, openai.APIError)


def _client(connection: ProviderConnection) -> Any:
    key = _api_key(connection)
    if key is None and connection.kind != ProviderKind.OPENAI_COMPATIBLE:
        raise ProviderNotConfigured(f"{connection.name}: no API key")
    base_url = connection.base_url or None
    if connection.kind == ProviderKind.OPENAI_COMPATIBLE and base_url is None:
        base_url = os.environ.get("OPENAI_BASE_URL") or None
        if base_url is None:
            raise ProviderNotConfigured(f"{connection.name}: a base URL is needed")
    timeout = connection.timeout_seconds or settings.LODESTAR_AI_TIMEOUT_SECONDS
    factory = HTTP_CLIENT_FACTORY
    digest = hashlib.sha256((key or "").encode()).hexdigest()
    cache_key = (connection.kind, base_url, digest, timeout, id(factory))
    client = _CLIENTS.get(cache_key)
    if client is not None:
        return client
    options: dict[str, Any] = dict(
        timeout=timeout, max_retries=settings.LODESTAR_AI_MAX_RETRIES, base_url=base_url
    )
    if factory is not None:
        options["http_client"] = factory()
    anthropic, openai = _sdks()
    if connection.kind == ProviderKind.ANTHROPIC:
        client = anthropic.Anthropic(api_key=key, **options)
    else:
        # A local server usually wants no key, but the SDK insists on one.
        client = openai.OpenAI(api_key=key or "not-needed", **options)
    with _CLIENTS_LOCK:
        _CLIENTS[cache_key] = client
    return client


def _failure(exc: Exception) -> ProviderFailure:
    """Both SDKs share the same exception names."""
    for sdk in _sdks():
        if isinstance(exc, sdk.APITimeoutError):
            return ProviderFailure("timeout", "The provider did not answer in time.")
        if isinstance(exc, sdk.APIConnectionError):
            return ProviderFailure("connection", f"Could not reach the provider: {exc}")
        if isinstance(exc, sdk.APIStatusError):
            status = exc.status_code
            if status == 429:
                reason = "rate_limited"
            elif status >= 500:
                reason = "server_error"
            elif status in (401, 403):
                reason = "auth"
            else:
                reason = "bad_request"
            return ProviderFailure(reason, f"HTTP {status}: {exc.message}"[:500], status=status)
    return ProviderFailure("error", f"{type(exc).__name__}: {exc}"[:500])


class Provider:
    """One configured connection, ready to call."""

    def __init__(self, connection: ProviderConnection) -> None:
        self.connection = connection
        self.kind, self.model = connection.kind, connection.model
        self.label = engine_label(kind=self.kind, model=self.model, base_url=connection.base_url)

    def complete(self, call: ProviderCall) -> ProviderReply:
        try:
            if self.kind == ProviderKind.ANTHROPIC:
                return self._anthropic(call)
            return self._openai(call)
        except _sdk_errors() as exc:
            raise _failure(exc) from exc

    def stream(self, call: ProviderCall, reply: ProviderReply) -> Iterator[str]:
        """Yield text as it arrives; token counts land on `reply` when the stream ends."""
        try:
            if self.kind == ProviderKind.ANTHROPIC:
                yield from self._anthropic_stream(call, reply)
            else:
                yield from self._openai_stream(call, reply)
        except _sdk_errors() as exc:
            raise _failure(exc) from exc

    # --- Anthropic ------------------------------------------------------------------------

    def _anthropic_args(self, call: ProviderCall) -> dict[str, Any]:
        args: dict[str, Any] = dict(
            model=self.model,
            max_tokens=call.max_tokens,
            messages=[{"role": "user", "content": call.user}],
        )
        if call.system:
            args["system"] = call.system
        if call.schema is not None:
            # Structured output as a forced tool call: the input is the answer.
            args["tools"] = [
                {
                    "name": call.schema_name,
                    "input_schema": call.schema,
                    "description": "Record the answer in this exact structure.",
                }
            ]
            args["tool_choice"] = {"type": "tool", "name": call.schema_name}
        return args

    def _anthropic(self, call: ProviderCall) -> ProviderReply:
        message = _client(self.connection).messages.create(**self._anthropic_args(call))
        reply = ProviderReply(
            model=message.model or self.model,
            tokens_in=message.usage.input_tokens,
            tokens_out=message.usage.output_tokens,
        )
        for block in message.content:
            if block.type == "text":
                reply.text += block.text
            elif block.type == "tool_use" and call.schema is not None:
                reply.data = block.input
        return reply

    def _anthropic_stream(self, call: ProviderCall, reply: ProviderReply) -> Iterator[str]:
        events = _client(self.connection).messages.create(**self._anthropic_args(call), stream=True)
        with events:
            for event in events:
                if event.type == "message_start":
                    reply.model = event.message.model or self.model
                    reply.tokens_in = event.message.usage.input_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    reply.text += event.delta.text
                    yield event.delta.text
                elif event.type == "message_delta" and event.usage is not None:
                    reply.tokens_out = event.usage.output_tokens

    # --- OpenAI and compatible servers --------------------------------------------------------

    def _openai_args(self, call: ProviderCall) -> dict[str, Any]:
        messages = [{"role": "user", "content": call.user}]
        if call.system:
            messages.insert(0, {"role": "system", "content": call.system})
        args: dict[str, Any] = {"model": self.model, "messages": messages}
        # OpenAI's newer models refuse `max_tokens`; local servers know only that one.
        limit = "max_completion_tokens" if self.kind == ProviderKind.OPENAI else "max_tokens"
        args[limit] = call.max_tokens
        if call.schema is not None:
            args["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": call.schema_name, "schema": call.schema, "strict": False},
            }
        return args

    def _openai(self, call: ProviderCall) -> ProviderReply:
        completion = _client(self.connection).chat.completions.create(**self._openai_args(call))
        usage = completion.usage
        reply = ProviderReply(
            model=completion.model or self.model,
            tokens_in=usage.prompt_tokens if usage else 0,
            tokens_out=usage.completion_tokens if usage else 0,
        )
        reply.text = (completion.choices[0].message.content or "") if completion.choices else ""
        if call.schema is not None:
            try:
                reply.data = json.loads(reply.text)
            except ValueError:
                reply.data = None  # the gateway's validation reports it
        return reply

    def _openai_stream(self, call: ProviderCall, reply: ProviderReply) -> Iterator[str]:
        chunks = _client(self.connection).chat.completions.create(
            **self._openai_args(call), stream=True, stream_options={"include_usage": True}
        )
        with chunks:
            for chunk in chunks:
                reply.model = chunk.model or reply.model or self.model
                if chunk.usage is not None:
                    reply.tokens_in = chunk.usage.prompt_tokens
                    reply.tokens_out = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        reply.text += choice.delta.content
                        yield choice.delta.content
