"""Counting attempts per key over a window, for the flows strangers can repeat: sign-in,
password-reset mail, workspace sign-up.

Counts live in the cache named by THROTTLE_CACHE (Redis, shared by every web process). Its key
function carries the schema, so each workspace counts its own and the public site its own.
A window is fixed: it starts at the first attempt counted under the key.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import caches

from crm.textfold import fold


def throttle_cache():
    return caches[getattr(settings, "THROTTLE_CACHE", "default")]


def count(key: str, *, window: int) -> int:
    """Add one attempt under `key` and return how many there are in its window."""
    cache = throttle_cache()
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this attempt opens a new window
        cache.set(key, 1, timeout=window)
        return 1


def fingerprint(text: str) -> str:
    """A name or email as a key part: one person however it is typed (case, Unicode form,
    spaces around it), and never stored in the clear."""
    folded = fold(text or "").strip()
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


def client_address(request) -> str:
    """The caller's address as the server saw it. Behind a proxy, configure it to set
    REMOTE_ADDR (never trust a client-sent X-Forwarded-For here: it would let a caller pick
    a fresh address per attempt)."""
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"
