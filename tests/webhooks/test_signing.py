"""The signature partners verify, checked with the algorithm exactly as docs/webhooks.md
documents it (written out here, not imported)."""

from __future__ import annotations

import hashlib
import hmac

from crm.webhooks.signing import signature_header, verify

SECRET = "whsec_test_secret"
BODY = b'{"event":"lead.created","id":"x"}'


def documented_verify(secret: str, body: bytes, header: str, now: int) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(now - timestamp) > 300:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_signature_verifies_with_the_documented_algorithm() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert documented_verify(SECRET, BODY, header, now=1_700_000_010)
    assert verify(secret=SECRET, body=BODY, header=header, now=1_700_000_010)


def test_tampered_body_wrong_secret_or_stale_timestamp_fail() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=1_700_000_000)
    tampered = BODY.replace(b"lead.created", b"deal.won")
    assert not documented_verify(SECRET, tampered, header, now=1_700_000_000)
    assert not verify(secret=SECRET, body=tampered, header=header, now=1_700_000_000)
    assert not verify(secret="whsec_other", body=BODY, header=header, now=1_700_000_000)
    assert not verify(secret=SECRET, body=BODY, header=header, now=1_700_000_000 + 301)
    assert not verify(secret=SECRET, body=BODY, header="garbage", now=1_700_000_000)
