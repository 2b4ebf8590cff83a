"""Signatures partners verify: HMAC-SHA256 of f"{timestamp}.{body}" with the subscription's
secret, sent as `X-Lodestar-Signature: t=<unix seconds>,v1=<hex digest>` (Stripe's scheme, so
a receiver can reject replays by the timestamp)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Lodestar-Signature"
EVENT_HEADER = "X-Lodestar-Event"
DELIVERY_HEADER = "X-Lodestar-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def secret_generate() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={sign(secret=secret, body=body, timestamp=timestamp)}"


def verify(
    *,
    secret: str,
    body: bytes,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> bool:
    """What a partner runs (docs/webhooks.md has a standalone copy)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, body=body, timestamp=timestamp)
    return hmac.compare_digest(expected, parts.get("v1", ""))
