"""Encryption of stored provider API keys (Fernet; MultiFernet for key rotation)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored key was encrypted with a key this server no longer has."""


def _derived_key() -> bytes:
    digest = hashlib.sha256(b"lodestar:ai-provider-keys:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    material = [k.encode() for k in keys if k] or [_derived_key()]
    return MultiFernet([Fernet(k) for k in material])


def fernet() -> MultiFernet:
    """The first key encrypts; every listed key decrypts (so old tokens stay readable)."""
    keys = tuple(getattr(settings, "LODESTAR_SECRET_ENCRYPTION_KEY", None) or ())
    return _fernet(keys, settings.SECRET_KEY)


def secret_encrypt(clear: str) -> str:
    return fernet().encrypt(clear.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "The stored API key cannot be decrypted with LODESTAR_SECRET_ENCRYPTION_KEY; "
            "enter the key again."
        ) from exc


def secret_rotate(token: str) -> str:
    """Re-encrypt a token with the newest key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("No configured key decrypts this token.") from exc


def secret_hint(clear: str) -> str:
    """Enough to tell keys apart, never enough to use one."""
    return f"…{clear[-4:]}" if len(clear) >= 12 else "…"
