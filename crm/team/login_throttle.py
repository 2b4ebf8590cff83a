"""Sign-in throttling: slow password guessing without letting a stranger lock a member out.

Failed sign-ins are counted in the cache (Redis; its key function carries the schema, so
each workspace counts its own). Three counters, each over a fixed window that starts at the
first failure:

- one name from one address (LOGIN_FAILURE_LIMIT, default 5): the usual guessing. Only that
  address is refused for that name, so the member still signs in from their own machine;
- one address, any names (LOGIN_ADDRESS_FAILURE_LIMIT, default 30): credential stuffing;
- one name, any addresses (LOGIN_NAME_FAILURE_LIMIT, default 100): guessing spread over many
  addresses. High, because anyone can trip it for someone else.

When a counter reaches its limit, that key is refused for LOGIN_LOCKOUT_SECONDS (15 minutes),
before the password is even checked, and a sign-in that succeeds clears its name's counter
from that address.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Counter:
    name: str
    setting: str
    default: int

    def limit(self) -> int:
        return int(getattr(settings, self.setting, self.default))


NAME_FROM_ADDRESS = _Counter("name-address", "LOGIN_FAILURE_LIMIT", 5)
ADDRESS = _Counter("address", "LOGIN_ADDRESS_FAILURE_LIMIT", 30)
NAME = _Counter("name", "LOGIN_NAME_FAILURE_LIMIT", 100)


def _cache():
    return caches[getattr(settings, "LOGIN_THROTTLE_CACHE", "default")]


def _lockout_seconds() -> int:
    return int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", 900))


def _fold(username: str) -> str:
    # The same name typed in another case or Unicode form is the same target.
    return unicodedata.normalize("NFKC", username or "").casefold().strip()


def _keys(username: str, address: str) -> list[tuple[_Counter, str]]:
    name = hashlib.sha256(_fold(username).encode()).hexdigest()[:32]  # no raw names in Redis
    return [
        (NAME_FROM_ADDRESS, f"login-fail:{NAME_FROM_ADDRESS.name}:{name}:{address}"),
        (ADDRESS, f"login-fail:{ADDRESS.name}:{address}"),
        (NAME, f"login-fail:{NAME.name}:{name}"),
    ]


def login_attempt_check(*, username: str, address: str) -> None:
    """Refuse (ValidationError, code "throttled") while any of the attempt's keys is locked."""
    locks = _cache().get_many([f"{key}:locked" for _, key in _keys(username, address)])
    if not locks:
        return
    minutes = max(1, math.ceil((max(locks.values()) - time.time()) / 60))
    raise ValidationError(
        f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}, "
        "or reset your password.",
        code="throttled",
    )


def login_failure_record(*, username: str, address: str) -> None:
    window, cache = _lockout_seconds(), _cache()
    for counter, key in _keys(username, address):
        cache.add(key, 0, timeout=window)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr: this failure starts a new window
            cache.set(key, failures := 1, timeout=window)
        if failures >= counter.limit():
            cache.set(f"{key}:locked", time.time() + window, timeout=window)
            if failures == counter.limit():
                log.warning("Sign-in locked for %s s after %s failures (%s, address %s)",
                            window, failures, counter.name, address)  # fmt: skip


def login_success_clear(*, username: str, address: str) -> None:
    (_, key), *_ = _keys(username, address)
    _cache().delete_many([key, f"{key}:locked"])


def client_address(request) -> str:
    """The caller's address as the server saw it. Behind a proxy, configure it to set
    REMOTE_ADDR (never trust a client-sent X-Forwarded-For here: it would let a guesser pick
    a fresh address per attempt)."""
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"
