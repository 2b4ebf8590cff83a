"""The one way AI features call a model: `ai_complete`, `ai_stream`, `ai_structured`.

Each call renders the workspace's active prompt, plans a chain of engines (feature override or
workspace primary → secondary → the built-in engine), skips what the feature flag, the budget or
an open circuit breaker rules out, redacts before an external provider if the workspace asks,
falls through on timeouts, 429s, 5xx and unreachable servers, and writes one usage row. Only a
prompt bug (unknown key, missing/undeclared variable) raises; a provider problem never does.

Run it inside the workspace's schema (a request, a TenantTask, or `schema_context`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from pydantic import BaseModel, ValidationError

from . import breaker
from .budget import BudgetPlan, budget_plan, usage_and_spend_record
from .builtin import ENGINE_LABEL, BuiltinCannotAnswer, BuiltinRequest, builtin_answer
from .governance import feature_enabled_for
from .models import AIUsage, ProviderConnection
from .pricing import cost_usd
from .prompts import RenderedPrompt, prompt_render, prompt_resolve_from, prompt_spec
from .providers import Provider, ProviderCall, ProviderFailure, ProviderNotConfigured, ProviderReply
from .redaction import Redactor
from .state import CallState, call_state

BUILTIN = "builtin"


@dataclass
class AIResult:
    """What a feature gets back, and what the UI labels the output with (`engine`)."""

    text: str
    engine: str
    provider: str
    model: str
    feature: str
    prompt_key: str
    prompt_version: str
    data: dict[str, Any] | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal("0")
    latency_ms: int = 0
    usage_id: int | None = None
    fallback_reason: str = ""
    error: str = ""
    # False only when not even the built-in engine could answer (a structured prompt with no
    # offline handler); the feature then shows its own empty state.
    ok: bool = True
    partial: bool = False  # a stream cut off after some text had been sent

    @property
    def is_builtin(self) -> bool:
        return self.provider == BUILTIN

    @classmethod
    def of_usage(cls, usage: AIUsage, *, text: str = "", usage_id: int | None = None) -> AIResult:
        """The result a stored usage row describes (engine, model, prompt, tokens, cost), for
        recording later what became of that output on a record's history."""
        return cls(
            text=text,
            engine=usage.engine,
            provider=usage.provider,
            model=usage.model,
            feature=usage.feature,
            prompt_key=usage.prompt_key,
            prompt_version=usage.prompt_version,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
            cost_usd=usage.cost_usd,
            latency_ms=usage.latency_ms,
            usage_id=usage_id,
        )


@dataclass
class _Plan:
    providers: list[ProviderConnection]
    reason: str  # why the chain is the built-in engine only ("" = nothing configured)
    redact: bool
    budget: BudgetPlan | None


@dataclass
class _Call:
    feature: str
    mode: str
    rendered: RenderedPrompt
    variables: Mapping[str, Any]
    user: Any
    record: Any
    schema: type[BaseModel] | None
    max_tokens: int
    started: float = field(default_factory=time.perf_counter)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    billed_in: int = 0
    billed_out: int = 0
    billed_cost: Decimal = Decimal("0")
    redacted: bool = False
    budget: BudgetPlan | None = None


def _plan(*, feature: str, user: Any, state: CallState | None = None) -> _Plan:
    state = state or call_state()
    config = state.snapshot.config
    flag = state.snapshot.flags.get(feature)
    redact = config.redact_pii if config is not None else True
    if config is None:
        return _Plan([], "", redact, None)
    if flag is not None and not feature_enabled_for(flag=flag, user=user):
        return _Plan([], "feature_off", redact, None)
    if flag is not None and flag.builtin_only:
        return _Plan([], "builtin_only", redact, None)
    chain = [
        (flag.primary if flag is not None and flag.primary_id else None) or config.primary,
        (flag.secondary if flag is not None and flag.secondary_id else None) or config.secondary,
    ]
    providers = list({c.pk: c for c in chain if c is not None and c.is_active}.values())
    if not providers:
        return _Plan([], "", redact, None)
    budget = budget_plan(config=config, spent=state.spent, alerted_month=state.alerted_month)
    if budget.exhausted:
        return _Plan([], "budget", redact, budget)
    return _Plan(providers, "", redact, budget)


def _prepare(
    feature: str,
    variables: Mapping[str, Any],
    prompt_key: str | None,
    user: Any,
    record: Any,
    max_tokens: int | None,
    *,
    mode: str,
    schema: type[BaseModel] | None = None,
) -> tuple[_Call, _Plan]:
    """Render the prompt and plan the chain; the public calls pass their own arguments in
    their signature's order (feature, variables, prompt_key, user, record, max_tokens)."""
    key = prompt_key or feature
    prompt_spec(key)  # an unknown prompt fails before any query
    state = call_state()
    prompt = prompt_resolve_from(key, row=state.snapshot.prompts.get(key))
    rendered = prompt_render(prompt, variables)
    call = _Call(
        feature=feature,
        mode=mode,
        rendered=rendered,
        variables=variables,
        user=user,
        record=record,
        schema=schema,
        max_tokens=max_tokens or settings.LODESTAR_AI_MAX_OUTPUT_TOKENS,
    )
    plan = _plan(feature=feature, user=user, state=state)
    call.budget = plan.budget
    return call, plan


def _provider_call(
    call: _Call, plan: _Plan, *, retry_note: str = ""
) -> tuple[ProviderCall, Redactor]:
    redactor = Redactor()
    system, user_text = call.rendered.system, call.rendered.user + retry_note
    if plan.redact:
        system, user_text = redactor.redact(system), redactor.redact(user_text)
    call.redacted = call.redacted or redactor.changed
    schema = call.schema.model_json_schema() if call.schema is not None else None
    name = re.sub(r"[^A-Za-z0-9_-]", "_", call.schema.__name__)[:64] if call.schema else "answer"
    return ProviderCall(
        system=system, user=user_text, max_tokens=call.max_tokens, schema=schema, schema_name=name
    ), redactor


def _bill(call: _Call, provider: Provider, reply: ProviderReply) -> None:
    call.billed_in += reply.tokens_in
    call.billed_out += reply.tokens_out
    call.billed_cost += cost_usd(
        kind=provider.kind,
        model=reply.model or provider.model,
        tokens_in=reply.tokens_in,
        tokens_out=reply.tokens_out,
    )


def _attempt(call: _Call, provider: Provider, reason: str, error: str, started: float) -> None:
    call.attempts.append(
        {
            "provider": provider.kind,
            "model": provider.model,
            "reason": reason,
            "error": error[:300],
            "latency_ms": int((time.perf_counter() - started) * 1000),
        }
    )


def _restore(value: Any, redactor: Redactor) -> Any:
    if not redactor.changed:
        return value
    if isinstance(value, str):
        return redactor.restore(value)
    if isinstance(value, list):
        return [_restore(v, redactor) for v in value]
    if isinstance(value, dict):
        return {k: _restore(v, redactor) for k, v in value.items()}
    return value


def _try_provider(call: _Call, plan: _Plan, connection: ProviderConnection) -> AIResult | str:
    """An answer, or the reason to move on: "invalid_output" sends structured calls straight to
    the built-in engine, anything else to the next provider."""
    provider = Provider(connection)
    if not breaker.breaker_allows(provider_id=connection.pk):
        _attempt(
            call,
            provider,
            "circuit_open",
            "skipped while the circuit breaker is open",
            time.perf_counter(),
        )
        return "circuit_open"
    retry_note = ""
    for _round in (1, 2):
        started = time.perf_counter()
        outgoing, redactor = _provider_call(call, plan, retry_note=retry_note)
        try:
            reply = provider.complete(outgoing)
        except ProviderNotConfigured as exc:
            _attempt(call, provider, "not_configured", str(exc), started)
            return "not_configured"
        except ProviderFailure as exc:
            _attempt(call, provider, exc.reason, str(exc), started)
            if exc.transient:
                breaker.breaker_failure(provider_id=connection.pk)
            return exc.reason
        breaker.breaker_success(provider_id=connection.pk)
        _bill(call, provider, reply)
        if call.schema is None:
            return _result(
                call, provider=provider, text=_restore(reply.text, redactor), model=reply.model
            )
        try:
            data = call.schema.model_validate(_restore(reply.data, redactor)).model_dump(
                mode="json"
            )
        except ValidationError as exc:
            _attempt(call, provider, "invalid_output", str(exc), started)
            retry_note = (
                "\n\nYour previous answer did not match the required structure: "
                f"{_short_errors(exc)}. Answer again, following it exactly."
            )
            continue
        return _result(call, provider=provider, text="", data=data, model=reply.model)
    return "invalid_output"


def _short_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors()[:5]
    )


def _result(
    call: _Call,
    *,
    provider: Provider | None,
    text: str,
    data=None,
    model: str = "",
    reason: str = "",
    error: str = "",
    ok: bool = True,
    partial: bool = False,
) -> AIResult:
    if provider is None:
        kind, model, engine = BUILTIN, "", ENGINE_LABEL
    else:
        kind, model, engine = provider.kind, model or provider.model, provider.label
    if not reason and call.attempts:
        reason = call.attempts[0]["reason"]
    prompt = call.rendered.prompt
    result = AIResult(
        text=text,
        data=data,
        engine=engine,
        provider=kind,
        model=model,
        feature=call.feature,
        prompt_key=prompt.key,
        prompt_version=prompt.version_label,
        tokens_in=call.billed_in,
        tokens_out=call.billed_out,
        cost_usd=call.billed_cost,
        latency_ms=int((time.perf_counter() - call.started) * 1000),
        fallback_reason=reason,
        error=error or (call.attempts[0]["error"] if call.attempts else ""),
        ok=ok,
        partial=partial,
    )
    _record(call, result)
    return result


def _record(call: _Call, result: AIResult) -> None:
    record = call.record
    usage = AIUsage(
        user=call.user if getattr(call.user, "pk", None) else None,
        feature=call.feature,
        prompt_key=result.prompt_key,
        prompt_version=result.prompt_version,
        mode=call.mode,
        provider=result.provider,
        model=result.model,
        engine=result.engine,
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
        latency_ms=result.latency_ms,
        cost_usd=result.cost_usd,
        fallback_reason=result.fallback_reason,
        error=result.error,
        attempts=call.attempts,
        redacted=call.redacted,
        record_type=record._meta.model_name if record is not None else "",
        record_id=getattr(record, "pk", None),
    )
    usage_and_spend_record(usage=usage, plan=call.budget)
    result.usage_id = usage.pk


def _builtin(call: _Call, plan: _Plan) -> AIResult:
    reason = plan.reason
    request = BuiltinRequest(
        feature=call.feature,
        prompt_key=call.rendered.prompt.key,
        variables=call.variables,
        prompt=call.rendered,
        record=call.record,
        user=call.user,
        schema=call.schema,
    )
    try:
        answer = builtin_answer(request)
    except (BuiltinCannotAnswer, ValidationError) as exc:
        return _result(
            call,
            provider=None,
            text="",
            reason=reason,
            ok=False,
            error=f"built-in engine: {exc}"[:1000],
        )
    if isinstance(answer, dict):
        return _result(call, provider=None, text="", data=answer, reason=reason)
    return _result(call, provider=None, text=answer, reason=reason)


def _run(call: _Call, plan: _Plan) -> AIResult:
    for connection in plan.providers:
        outcome = _try_provider(call, plan, connection)
        if isinstance(outcome, AIResult):
            return outcome
        if outcome == "invalid_output":
            break  # retried once already: the feature's offline fallback answers
    return _builtin(call, plan)


def ai_complete(
    *,
    feature: str,
    variables: Mapping[str, Any],
    prompt_key: str | None = None,
    user: Any = None,
    record: Any = None,
    max_tokens: int | None = None,
) -> AIResult:
    """Plain text from the best available engine (`result.text`, labelled `result.engine`)."""
    call, plan = _prepare(feature, variables, prompt_key, user, record, max_tokens, mode="complete")
    return _run(call, plan)


def ai_structured(
    *,
    feature: str,
    variables: Mapping[str, Any],
    schema: type[BaseModel],
    prompt_key: str | None = None,
    user: Any = None,
    record: Any = None,
    max_tokens: int | None = None,
) -> AIResult:
    """`result.data`: a dict validated against `schema`. An invalid answer is retried once
    with the validation errors, then the built-in engine answers."""
    call, plan = _prepare(
        feature, variables, prompt_key, user, record, max_tokens, mode="structured", schema=schema
    )
    return _run(call, plan)


class AIStream:
    """Iterate for text chunks; `result` is set (and the usage row written) when it ends.

    A provider that fails before its first chunk is replaced by the next engine without the
    reader noticing; one that fails mid-answer ends the stream (`result.partial`)."""

    def __init__(self, call: _Call, plan: _Plan) -> None:
        self._call, self._plan = call, plan
        self.result: AIResult | None = None
        self.engine: str = ""  # known once the first chunk is out

    def __iter__(self) -> Iterator[str]:
        call, plan = self._call, self._plan
        for connection in plan.providers:
            provider = Provider(connection)
            if not breaker.breaker_allows(provider_id=connection.pk):
                _attempt(
                    call, provider, "circuit_open", "skipped: circuit open", time.perf_counter()
                )
                continue
            started = time.perf_counter()
            outgoing, redactor = _provider_call(call, plan)
            reply, sent = ProviderReply(), 0
            try:
                for chunk in provider.stream(outgoing, reply):
                    if not sent:
                        self.engine = provider.label
                    sent += 1
                    yield _restore(chunk, redactor)
            except (ProviderFailure, ProviderNotConfigured) as exc:
                reason = getattr(exc, "reason", "not_configured")
                _attempt(call, provider, reason, str(exc), started)
                if getattr(exc, "transient", False):
                    breaker.breaker_failure(provider_id=connection.pk)
                _bill(call, provider, reply)
                if sent:
                    self.result = _result(
                        call,
                        provider=provider,
                        model=reply.model,
                        text=_restore(reply.text, redactor),
                        partial=True,
                        reason=reason,
                    )
                    return
                continue
            except GeneratorExit:
                _bill(call, provider, reply)
                self.result = _result(
                    call,
                    provider=provider,
                    model=reply.model,
                    partial=True,
                    text=_restore(reply.text, redactor),
                    error="stream closed by the reader",
                )
                raise
            breaker.breaker_success(provider_id=connection.pk)
            _bill(call, provider, reply)
            self.result = _result(
                call, provider=provider, model=reply.model, text=_restore(reply.text, redactor)
            )
            return
        result = _builtin(call, plan)
        self.engine = result.engine
        self.result = result
        # Word by word, so the rep UI animates the offline engine like any other.
        yield from re.findall(r"\S+\s*|\s+", result.text)


def ai_stream(
    *,
    feature: str,
    variables: Mapping[str, Any],
    prompt_key: str | None = None,
    user: Any = None,
    record: Any = None,
    max_tokens: int | None = None,
) -> AIStream:
    """Text chunks as the engine writes them. The prompt is checked now (a bad variable raises
    here, not mid-iteration); the provider is called on first iteration."""
    call, plan = _prepare(feature, variables, prompt_key, user, record, max_tokens, mode="stream")
    return AIStream(call, plan)
