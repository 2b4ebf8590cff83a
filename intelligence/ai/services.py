"""Writes of the AI gateway, and the public entry points features import.

from intelligence.ai.services import ai_complete, ai_stream, ai_structured, ai_output_record
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from crm.audit.models import AuditEvent
from crm.audit.services import audit_event

from . import breaker
from .builtin import builtin_register
from .crypto import secret_encrypt, secret_hint
from .gateway import AIResult, AIStream, ai_complete, ai_stream, ai_structured
from .governance import ai_feature_enabled
from .models import (
    AISettings,
    AIUsage,
    KeySource,
    Outcome,
    Prompt,
    PromptTestCase,
    ProviderConnection,
)
from .prompts import PromptError, prompt_check, prompt_render, prompt_resolve, prompt_spec

__all__ = [
    "AIResult",
    "AIStream",
    "ai_complete",
    "ai_feature_enabled",
    "ai_output_record",
    "ai_settings_get",
    "ai_stream",
    "ai_structured",
    "ai_usage_outcome_set",
    "builtin_register",
    "prompt_default_restore",
    "prompt_tests_run",
    "prompt_version_activate",
    "prompt_version_create",
    "provider_api_key_set",
]


def ai_settings_get() -> AISettings:
    config = AISettings.objects.first()
    if config is None:
        config, _ = AISettings.objects.get_or_create(singleton=True)
    return config


# --- providers --------------------------------------------------------------------------------


def provider_api_key_set(*, connection: ProviderConnection, api_key: str) -> ProviderConnection:
    """Store a key encrypted (only a 4-character hint stays readable); "" clears it."""
    api_key = api_key.strip()
    connection.api_key_encrypted = secret_encrypt(api_key) if api_key else ""
    connection.api_key_hint = secret_hint(api_key) if api_key else ""
    if api_key:
        connection.key_source = KeySource.STORED
    connection.save(update_fields=["api_key_encrypted", "api_key_hint", "key_source", "updated_at"])
    # A new key deserves a fresh start rather than the old key's failures.
    breaker.breaker_reset(provider_id=connection.pk)
    return connection


# --- outcomes and the audit trail ------------------------------------------------------------


def ai_usage_outcome_set(*, usage_id: int, outcome: str) -> AIUsage:
    """Record what the rep did with an output: accepted, edited or discarded."""
    if outcome not in Outcome.values or outcome == Outcome.PENDING:
        raise ValidationError({"outcome": f"Unknown outcome {outcome!r}."})
    usage = AIUsage.objects.filter(pk=usage_id).first()
    if usage is None:
        raise ValidationError({"usage_id": f"No AI usage #{usage_id} in this workspace."})
    usage.outcome = outcome
    usage.save(update_fields=["outcome"])
    return usage


def ai_output_record(
    *, result: AIResult, record: Any, action: str, actor: Any = None, source: str = "ai"
) -> AuditEvent:
    """Put an AI output that reached a customer or changed `record` on the record's history,
    with the engine, provider, model, prompt version, tokens and cost behind it."""
    if record is None or getattr(record, "pk", None) is None:
        raise ValidationError("An AI output is recorded against a saved record.")
    if not action or len(action) > 60:
        raise ValidationError({"action": "Name the action in 1 to 60 characters, e.g. sms_sent."})
    entity_type = record._meta.model_name
    if result.usage_id is not None:
        AIUsage.objects.filter(pk=result.usage_id).update(
            record_type=entity_type, record_id=record.pk
        )
    return audit_event(
        entity_type=entity_type,
        entity_id=record.pk,
        action=AuditEvent.Action.UPDATE,
        field=f"ai.{action}",
        actor=actor,
        source=source,
        new_value={
            "engine": result.engine,
            "prompt": f"{result.prompt_key} {result.prompt_version}",
            "tokens": f"{result.tokens_in}+{result.tokens_out}",
            "cost_usd": str(result.cost_usd),
            "provider": result.provider,
            "model": result.model,
            "prompt_version": result.prompt_version,
            "feature": result.feature,
            "usage_id": result.usage_id,
        },
    )


# --- prompts ----------------------------------------------------------------------------------


def prompt_version_create(
    *,
    key: str,
    template: str,
    system: str = "",
    variables: list[str] | None = None,
    notes: str = "",
    activate: bool = True,
    actor: Any = None,
) -> Prompt:
    """A new version of a registered prompt (versions are never edited in place). Variables
    default to the code default's; the placeholders must match them exactly."""
    try:
        spec = prompt_spec(key)
        names = list(spec.variables if variables is None else variables)
        prompt_check(system=system, template=template, variables=names)
    except PromptError as exc:
        raise ValidationError({"template": str(exc)}) from exc
    with transaction.atomic():
        # Lock the key's versions so two editors do not both take the same number.
        list(Prompt.objects.select_for_update().filter(key=key).values_list("pk", flat=True))
        last = Prompt.objects.filter(key=key).aggregate(m=Max("version"))["m"] or 0
        prompt = Prompt.objects.create(
            key=key,
            version=last + 1,
            system=system,
            template=template,
            variables=names,
            notes=notes,
            created_by=actor,
        )
        if activate:
            prompt_version_activate(prompt=prompt)
    return prompt


def prompt_version_activate(*, prompt: Prompt) -> Prompt:
    with transaction.atomic():
        Prompt.objects.filter(key=prompt.key, is_active=True).exclude(pk=prompt.pk).update(
            is_active=False
        )
        Prompt.objects.filter(pk=prompt.pk).update(is_active=True)
    prompt.is_active = True
    return prompt


def prompt_default_restore(*, key: str) -> int:
    """Go back to the code default: no version stays active (versions are kept)."""
    prompt_spec(key)
    return Prompt.objects.filter(key=key, is_active=True).update(is_active=False)


@dataclass(frozen=True)
class PromptTestOutcome:
    case: str
    passed: bool
    engine: str
    detail: str
    output: str


def prompt_tests_run(
    *, prompt: Prompt | None = None, key: str = "", user: Any = None
) -> list[PromptTestOutcome]:
    """Run a prompt version's test cases (the code default's and the workspace's) through the
    workspace's engine chain — the built-in engine when no provider is configured."""
    from .prompts import ResolvedPrompt

    key = prompt.key if prompt is not None else key
    spec = prompt_spec(key)
    if prompt is not None:
        resolved = ResolvedPrompt(
            key=key,
            feature=spec.feature,
            system=prompt.system,
            template=prompt.template,
            variables=tuple(prompt.variables),
            version_label=f"v{prompt.version}",
            prompt_id=prompt.pk,
        )
    else:
        resolved = prompt_resolve(key)
    cases = [
        (t.name, t.variables, t.must_contain, t.must_not_contain, t.max_chars) for t in spec.tests
    ]
    cases += [
        (c.name, c.variables, c.must_contain, c.must_not_contain, c.max_chars)
        for c in PromptTestCase.objects.filter(key=key)
    ]
    return [_run_case(resolved, user, *case) for case in cases]


def _run_case(resolved, user, name, variables, must, must_not, max_chars) -> PromptTestOutcome:
    from .gateway import _builtin, _Call, _plan, _run

    try:
        rendered = prompt_render(resolved, variables)
    except PromptError as exc:
        return PromptTestOutcome(name, False, "", str(exc), "")
    call = _Call(
        feature=resolved.feature,
        mode="test",
        rendered=rendered,
        variables=variables,
        user=user,
        record=None,
        schema=None,
        max_tokens=512,
    )
    plan = _plan(feature=resolved.feature, user=user)
    result = _run(call, plan) if plan.providers else _builtin(call, plan)
    text = result.text
    problems = [f"missing {s!r}" for s in must if s.lower() not in text.lower()]
    problems += [f"contains {s!r}" for s in must_not if s.lower() in text.lower()]
    if max_chars and len(text) > max_chars:
        problems.append(f"{len(text)} characters > {max_chars}")
    if not text.strip():
        problems.append("empty answer")
    return PromptTestOutcome(
        name, not problems, result.engine, "; ".join(problems) or "ok", text[:500]
    )
