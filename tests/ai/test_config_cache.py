"""The gateway's per-process config cache (intelligence.ai.state): a change to a provider, the
AI settings, a feature flag or a prompt is used by the very next call; a rolled-back change is
never used; workspaces never share entries; a warm call costs one read and one write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from intelligence.ai import state
from intelligence.ai.budget import month_spend
from intelligence.ai.models import AIConfigVersion, AIFeature, AISettings, AIUsage, ProviderKind
from intelligence.ai.services import (
    ai_complete,
    prompt_default_restore,
    prompt_version_create,
)

from .conftest import ANTHROPIC, OPENAI, anthropic_text, configure, make_provider, openai_text

VARS = {"text": "Roof job for Maria. Budget is $12,000.", "max_sentences": 1}


def _call(feature="summary"):
    return ai_complete(feature=feature, prompt_key="summary.text", variables=VARS)


def test_a_new_primary_provider_is_used_on_the_next_call(in_alpha, stub):
    claude = make_provider()
    gpt = make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini")
    config = configure(primary=claude)
    stub.queue(ANTHROPIC, anthropic_text("from claude"))
    assert _call().provider == "anthropic"  # cache now warm with claude

    config.primary = gpt
    config.save()
    stub.queue(OPENAI, openai_text("from gpt"))
    result = _call()
    assert (result.provider, result.text) == ("openai", "from gpt")


def test_an_edited_provider_is_used_on_the_next_call(in_alpha, stub):
    claude = make_provider()
    configure(primary=claude)
    stub.queue(ANTHROPIC, anthropic_text("one"))
    assert _call().model == "claude-sonnet-4-6"

    claude.model = "claude-haiku-4-5"
    claude.save()
    stub.queue(ANTHROPIC, anthropic_text("two", model="claude-haiku-4-5"))
    _call()
    assert stub.bodies(ANTHROPIC)[-1]["model"] == "claude-haiku-4-5"

    claude.is_active = False
    claude.save()
    result = _call()
    assert (result.provider, result.fallback_reason, result.error) == ("builtin", "", "")
    assert stub.count(ANTHROPIC) == 2


def test_flag_changes_including_bulk_updates_apply_on_the_next_call(in_alpha, stub):
    configure(primary=make_provider())
    stub.queue(ANTHROPIC, anthropic_text("on"))
    assert _call().provider == "anthropic"

    AIFeature.objects.create(key="summary", enabled=False)
    off = _call()
    assert (off.provider, off.fallback_reason) == ("builtin", "feature_off")

    # A queryset update sends no signal; the config queryset moves the generation itself.
    AIFeature.objects.filter(key="summary").update(enabled=True)
    stub.queue(ANTHROPIC, anthropic_text("on again"))
    assert _call().text == "on again"

    AIFeature.objects.filter(key="summary").delete()
    stub.queue(ANTHROPIC, anthropic_text("no flag"))
    assert _call().text == "no flag"


def test_a_new_or_restored_prompt_version_is_used_on_the_next_call(in_alpha):
    assert _call().prompt_version == "default-r1"
    prompt_version_create(
        key="summary.text", template="Summarise: {{ text }} in {{ max_sentences }}."
    )
    assert _call().prompt_version == "v1"
    prompt_default_restore(key="summary.text")  # a bulk update of is_active
    assert _call().prompt_version == "default-r1"


def test_a_budget_change_applies_on_the_next_call(in_alpha, stub):
    config = configure(primary=make_provider(), budget="1.00")
    stub.queue(ANTHROPIC, anthropic_text("paid", tokens_in=0, tokens_out=66_667))  # ≈ $1.00
    assert _call().provider == "anthropic"
    stopped = _call()
    assert (stopped.provider, stopped.fallback_reason) == ("builtin", "budget")

    config.monthly_budget_usd = Decimal("50.00")
    config.save()
    stub.queue(ANTHROPIC, anthropic_text("resumed"))
    assert _call().text == "resumed"


def test_a_change_committed_by_another_process_is_seen_on_the_next_call(in_alpha, stub):
    """Another process's commit changes the rows and the generation, nothing in this process's
    memory: the next call here must still use the new config."""
    configure(primary=make_provider())
    stub.queue(ANTHROPIC, anthropic_text("cached"))
    assert _call().provider == "anthropic"

    table = connection.ops.quote_name(AISettings._meta.db_table)
    versions = connection.ops.quote_name(AIConfigVersion._meta.db_table)
    with connection.cursor() as cursor:  # raw SQL: no signal, no local invalidation
        cursor.execute(f"UPDATE {table} SET primary_id = NULL")
        cursor.execute(f"UPDATE {versions} SET generation = 'from-another-process'")
    result = _call()
    # Built-in because nothing is configured, not because a stale provider was tried.
    assert (result.provider, result.fallback_reason, result.error) == ("builtin", "", "")
    assert stub.count(ANTHROPIC) == 1


def test_a_rolled_back_change_is_never_used(in_alpha, stub):
    claude = make_provider()
    gpt = make_provider(kind=ProviderKind.OPENAI, model="gpt-5-mini")
    configure(primary=claude)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        AISettings.objects.update(primary=gpt)
        stub.queue(OPENAI, openai_text("uncommitted"))
        assert _call().provider == "openai"  # cached inside the transaction
        raise Undo

    stub.queue(ANTHROPIC, anthropic_text("committed"))
    assert _call().text == "committed"


def test_workspaces_never_share_cache_entries(alpha, beta, stub):
    with schema_context(alpha.schema):
        configure(primary=make_provider())
        prompt_version_create(key="summary.text", template="Alpha: {{ text }} {{ max_sentences }}")
        stub.queue(ANTHROPIC, anthropic_text("alpha answer"))
        in_alpha = _call()
    with schema_context(beta.schema):
        in_beta = _call()
    assert (in_alpha.provider, in_alpha.prompt_version) == ("anthropic", "v1")
    assert (in_beta.provider, in_beta.prompt_version) == ("builtin", "default-r1")
    assert state._cache[alpha.schema][1] is not state._cache[beta.schema][1]
    assert state._cache[beta.schema][1].prompts == {}

    # A change in beta does not touch alpha's entry, and alpha's flag does not reach beta.
    with schema_context(alpha.schema):
        AIFeature.objects.create(key="summary", builtin_only=True)
        alpha_entry = state._cache.get(alpha.schema)
    with schema_context(beta.schema):
        configure(primary=None, redact=False)
        assert _call().fallback_reason == ""
        assert state._cache.get(alpha.schema) == alpha_entry
    with schema_context(alpha.schema):
        assert _call().fallback_reason == "builtin_only"


def test_a_warm_call_is_one_read_and_one_write(in_alpha, stub):
    configure(primary=make_provider(), budget="100.00")
    stub.queue(ANTHROPIC, anthropic_text("warm-up"), anthropic_text("warm"))
    _call()
    with CaptureQueriesContext(connection) as queries:
        result = _call()
    statements = [q["sql"] for q in queries if not q["sql"].startswith("SET search_path")]
    assert len(statements) == 2, statements
    assert statements[0].startswith("SELECT (SELECT generation")
    assert statements[1].startswith("WITH usage AS (INSERT")
    assert AIUsage.objects.get(pk=result.usage_id).engine == result.engine


def test_every_call_is_billed_once_in_rows_and_in_the_month_total(in_alpha, stub):
    configure(primary=make_provider(), secondary=make_provider(kind=ProviderKind.OPENAI))
    stub.queue(ANTHROPIC, anthropic_text("a", tokens_out=1000))
    stub.queue(ANTHROPIC, anthropic_text("b", tokens_out=3000))
    from .conftest import status

    stub.queue(ANTHROPIC, status(500))
    stub.queue(OPENAI, openai_text("c", tokens_out=2000))
    results = [_call() for _ in range(3)]
    rows = AIUsage.objects.filter(pk__in=[r.usage_id for r in results])
    assert rows.count() == 3
    total = rows.aggregate(s=Sum("cost_usd"))["s"]
    assert total > 0 and month_spend() == total
    assert [r.outcome for r in rows] == ["pending"] * 3


def test_breaker_skips_redis_only_for_a_short_while_after_a_clean_read(
    in_alpha, monkeypatch, settings
):
    """Another process's open breaker is honoured once the clean memory (CLEAN_TTL) expires;
    a failure seen by this process forgets the memory at once."""
    from django.core.cache import cache

    from intelligence.ai import breaker

    clock = [1000.0]
    monkeypatch.setattr(breaker, "monotonic", lambda: clock[0])
    provider = make_provider()
    assert breaker.breaker_allows(provider_id=provider.pk)  # clean: remembered
    cache.set(f"ai:breaker:{provider.pk}:opened", breaker.now(), timeout=60)  # other process
    assert breaker.breaker_allows(provider_id=provider.pk)  # within CLEAN_TTL
    clock[0] += breaker.CLEAN_TTL + 0.1
    assert not breaker.breaker_allows(provider_id=provider.pk)

    breaker.breaker_reset(provider_id=provider.pk)
    assert breaker.breaker_allows(provider_id=provider.pk)  # clean again, remembered
    for _ in range(settings.LODESTAR_AI_BREAKER_FAILURES):
        breaker.breaker_failure(provider_id=provider.pk)
    assert not breaker.breaker_allows(provider_id=provider.pk)  # no waiting for the TTL
