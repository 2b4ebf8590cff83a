"""A cap on self-service sign-ups per address: each new workspace is a schema with every
table, so a script creating them in a loop would fill the database."""

from __future__ import annotations

import logging

from django.conf import settings

from crm.throttle import count

log = logging.getLogger(__name__)
WINDOW = 3600
REFUSAL = "Too many sign-ups from your network in the last hour. Please try again later."


def signup_attempt_allow(*, address: str) -> bool:
    """Count one sign-up attempt from `address`; False past SIGNUP_LIMIT_PER_HOUR."""
    attempts = count(f"signup:{address}", window=WINDOW)
    allowed = attempts <= int(getattr(settings, "SIGNUP_LIMIT_PER_HOUR", 5))
    if not allowed:
        log.warning("Sign-up refused for address %s: %s attempts this hour", address, attempts)
    return allowed
