"""What a gateway call needs to know about its workspace, in one query per call.

The configuration (AI settings, providers, feature flags, active prompt versions) is cached in
process memory per workspace, keyed by (schema, generation). The generation is a random token in
AIConfigVersion, rewritten in the same transaction as any save, delete or bulk write of those
models (signals and ConfigQuerySet). Each call reads the token together with this month's spend
and the last budget-alert month in a single SELECT, so:

- staleness is zero: a committed change is used by the next call in every process (web, worker);
- a rolled-back change rolls the token back too, and its token never comes back (random), so a
  copy built inside that transaction is never used again;
- the budget check always sees the committed spend, as before.

A miss costs three small queries (settings with providers, flags, active prompts).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from .budget import month_start
from .models import AIConfigVersion, AIFeature, AISettings, AISpend, Prompt, ProviderConnection


@dataclass(frozen=True)
class ConfigSnapshot:
    """Read-only: shared by every call of the process until the generation moves."""

    config: AISettings | None
    flags: dict[str, AIFeature]
    prompts: dict[str, Prompt]  # active version per key


@dataclass(frozen=True)
class CallState:
    snapshot: ConfigSnapshot
    spent: Decimal  # this month's committed spend
    alerted_month: str  # "YYYY-MM" of the last 80 % alert


_lock = threading.Lock()
_cache: dict[str, tuple[str, ConfigSnapshot]] = {}  # schema → (generation, snapshot)


def _state_sql() -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT (SELECT generation FROM {qn(AIConfigVersion._meta.db_table)} LIMIT 1),"
        f" (SELECT cost_usd FROM {qn(AISpend._meta.db_table)} WHERE month = %s),"
        f" (SELECT budget_alerted_month FROM {qn(AISettings._meta.db_table)} LIMIT 1)"
    )


def _snapshot_load() -> ConfigSnapshot:
    return ConfigSnapshot(
        config=AISettings.objects.select_related("primary", "secondary").first(),
        flags={f.key: f for f in AIFeature.objects.select_related("primary", "secondary")},
        prompts={p.key: p for p in Prompt.objects.filter(is_active=True)},
    )


def call_state() -> CallState:
    """The workspace's config (cached), spend and alert month, fresh as of this query."""
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(), [month_start()])
        generation, spent, alerted = cursor.fetchone()
    schema = connection.schema_name
    cached = _cache.get(schema)
    if cached is not None and generation is not None and cached[0] == generation:
        snapshot = cached[1]
    else:
        snapshot = _snapshot_load()
        if generation is not None:  # no version row (not migrated yet): never cache
            with _lock:
                _cache[schema] = (generation, snapshot)
    return CallState(snapshot=snapshot, spent=spent or Decimal("0"), alerted_month=alerted or "")


def config_changed() -> None:
    """Move this workspace's generation (in the caller's transaction)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(AIConfigVersion._meta.db_table)} (singleton, generation)"
            " VALUES (true, %s) ON CONFLICT (singleton)"
            " DO UPDATE SET generation = EXCLUDED.generation",
            [uuid.uuid4().hex],
        )
    with _lock:
        _cache.pop(connection.schema_name, None)


def _on_change(sender, **kwargs) -> None:
    config_changed()


def config_signals_connect() -> None:
    """Every save/delete of a cached model moves the generation (AppConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    for model in (AISettings, AIFeature, Prompt, ProviderConnection):
        name = model.__name__
        post_save.connect(_on_change, sender=model, dispatch_uid=f"ai_state_save_{name}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"ai_state_delete_{name}")
