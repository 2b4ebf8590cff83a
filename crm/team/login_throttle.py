"""Sign-in throttling: slow password guessing without letting a stranger lock a member out;
and a cap on password-reset mail, so nobody can flood a member's inbox.

Failed sign-ins are counted (crm/throttle.py; each workspace counts its own) under three
keys, each over a fixed window that starts at the first failure:

- one name from one address (LOGIN_FAILURE_LIMIT, default 5): the usual guessing. Only that
  address is refused for that name, so the member still signs in from their own machine;
- one address, any names (LOGIN_ADDRESS_FAILURE_LIMIT, default 30): credential stuffing;
- one name, any addresses (LOGIN_NAME_FAILURE_LIMIT, default 100): guessing spread over many
  addresses. High, because anyone can trip it for someone else.

When a key reaches its limit it is refused for LOGIN_LOCKOUT_SECONDS (15 minutes), before the
password is even checked; a sign-in that succeeds clears its name's count from that address.

Reset mail: at most PASSWORD_RESET_EMAIL_LIMIT (3) an hour to one email and
PASSWORD_RESET_ADDRESS_LIMIT (10) an hour requested from one address. Past that the page
answers as always and sends nothing, so it never reveals who is a member.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from crm.throttle import count, fingerprint, throttle_cache

log = logging.getLogger(__name__)
HOUR = 3600


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
RESET_EMAIL = _Counter("reset-email", "PASSWORD_RESET_EMAIL_LIMIT", 3)
RESET_ADDRESS = _Counter("reset-address", "PASSWORD_RESET_ADDRESS_LIMIT", 10)


def _lockout_seconds() -> int:
    return int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", 900))


def _keys(username: str, address: str) -> list[tuple[_Counter, str]]:
    name = fingerprint(username)
    return [
        (NAME_FROM_ADDRESS, f"login-fail:{NAME_FROM_ADDRESS.name}:{name}:{address}"),
        (ADDRESS, f"login-fail:{ADDRESS.name}:{address}"),
        (NAME, f"login-fail:{NAME.name}:{name}"),
    ]


def login_attempt_check(*, username: str, address: str) -> None:
    """Refuse (ValidationError, code "throttled") while any of the attempt's keys is locked."""
    keys = [f"{key}:locked" for _, key in _keys(username, address)]
    locks = throttle_cache().get_many(keys)
    if not locks:
        return
    minutes = max(1, math.ceil((max(locks.values()) - time.time()) / 60))
    raise ValidationError(
        f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}, "
        "or reset your password.",
        code="throttled",
    )


def login_failure_record(*, username: str, address: str) -> None:
    window = _lockout_seconds()
    for counter, key in _keys(username, address):
        failures = count(key, window=window)
        if failures >= counter.limit():
            throttle_cache().set(f"{key}:locked", time.time() + window, timeout=window)
            if failures == counter.limit():
                log.warning("Sign-in locked for %s s after %s failures (%s, address %s)",
                            window, failures, counter.name, address)  # fmt: skip


def login_success_clear(*, username: str, address: str) -> None:
    (_, key), *_ = _keys(username, address)
    throttle_cache().delete_many([key, f"{key}:locked"])


def password_reset_allow(*, email: str, address: str) -> bool:
    """Count one reset request; False when this email or this address has had its hour's
    share (then no mail goes out)."""
    by_email = count(f"reset:{RESET_EMAIL.name}:{fingerprint(email)}", window=HOUR)
    by_address = count(f"reset:{RESET_ADDRESS.name}:{address}", window=HOUR)
    allowed = by_email <= RESET_EMAIL.limit() and by_address <= RESET_ADDRESS.limit()
    if not allowed:
        log.warning("Password reset mail withheld (address %s): hourly limit reached", address)
    return allowed
