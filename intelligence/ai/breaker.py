"""A short circuit breaker per workspace and provider, kept in the cache (Redis).

Keys go through the cache's key function, which prefixes the workspace schema, so one
workspace's failing key never opens another's breaker. After LODESTAR_AI_BREAKER_FAILURES
consecutive transient failures the provider is skipped for the cool-down; then one trial call is
let through (half-open): success closes the breaker, failure opens it again.

A provider with nothing recorded against it is remembered as clean in process memory for
CLEAN_TTL seconds, which skips the Redis read on most calls. So a breaker opened by another
process (web vs worker) is honoured here at most CLEAN_TTL seconds late; a failure seen by this
process forgets the memory at once.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

now = time.time  # replaced in tests
monotonic = time.monotonic  # replaced in tests
CLEAN_TTL = 2.0  # seconds
# Per process, (schema, provider id) → monotonic time until which it counts as clean.
_clean_until: dict[tuple[str, int], float] = {}
# Per thread, (schema, provider id) → "nothing recorded" as seen by the last breaker_allows.
_local = threading.local()


def _clean() -> dict[tuple[str, int], bool]:
    if not hasattr(_local, "clean"):
        _local.clean = {}
    return _local.clean


def _keys(provider_id: int) -> tuple[str, str]:
    return f"ai:breaker:{provider_id}:failures", f"ai:breaker:{provider_id}:opened"


def breaker_allows(*, provider_id: int) -> bool:
    where = (connection.schema_name, provider_id)
    if _clean_until.get(where, 0.0) > monotonic():
        _clean()[where] = True
        return True
    failures_key, opened_key = _keys(provider_id)
    state = cache.get_many([failures_key, opened_key])
    _clean()[where] = not state
    if not state:
        _clean_until[where] = monotonic() + CLEAN_TTL
    opened = state.get(opened_key)
    if opened is None:
        return True
    if now() - opened < settings.LODESTAR_AI_BREAKER_COOLDOWN_SECONDS:
        return False
    # Half-open: the first caller after the cool-down takes the trial; others wait for it.
    return cache.add(f"ai:breaker:{provider_id}:trial", 1, timeout=10)


def breaker_state(*, provider_id: int) -> str:
    opened = cache.get(_keys(provider_id)[1])
    if opened is None:
        return "closed"
    cooling = now() - opened < settings.LODESTAR_AI_BREAKER_COOLDOWN_SECONDS
    return "open" if cooling else "half-open"


def breaker_success(*, provider_id: int) -> None:
    if _clean().pop((connection.schema_name, provider_id), False):
        return  # nothing was recorded against it when the call started: no write needed
    cache.delete_many([*_keys(provider_id), f"ai:breaker:{provider_id}:trial"])


def breaker_failure(*, provider_id: int) -> None:
    _clean_until.pop((connection.schema_name, provider_id), None)
    failures_key, opened_key = _keys(provider_id)
    cache.add(failures_key, 0, timeout=3600)
    failures = cache.incr(failures_key)
    if failures >= settings.LODESTAR_AI_BREAKER_FAILURES or cache.get(opened_key) is not None:
        # (Re)open: a failed half-open trial starts a new cool-down.
        cache.set(opened_key, now(), timeout=settings.LODESTAR_AI_BREAKER_COOLDOWN_SECONDS * 20)
        cache.delete(f"ai:breaker:{provider_id}:trial")


def breaker_reset(*, provider_id: int) -> None:
    _clean_until.pop((connection.schema_name, provider_id), None)
    breaker_success(provider_id=provider_id)
