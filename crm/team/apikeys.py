"""API keys: issue (secret shown once), authenticate, record use, revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import ApiKey, User

KEY_PREFIX = "lsk_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # "lsk_ab12cd34": shown in the admin and in logs
RESOURCES: tuple[str, ...] = (
    "contacts", "companies", "leads", "deals", "pipelines",
    "activities", "tasks", "customfields", "imports", "webhooks",
)  # fmt: skip
SCOPES: tuple[str, ...] = tuple(f"{r}:{a}" for r in RESOURCES for a in ("read", "write"))


def _last_used_interval() -> timedelta:
    # Recording each use would be a write per request; once a minute says enough.
    return timedelta(seconds=getattr(settings, "LODESTAR_API_KEY_LAST_USED_INTERVAL", 60))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # the full key: give it to the partner now, it cannot be shown again


def scopes_clean(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}."})
    if not scopes:
        raise ValidationError({"scopes": "Give the key at least one scope."})
    return sorted(set(scopes))


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], created_by: User | None = None) -> IssuedKey:
    if not name.strip():
        raise ValidationError({"name": "Name the key after who uses it."})
    scopes = scopes_clean(scopes)
    while True:  # a prefix collision is ~1 in 4 billion; retry rather than fail
        secret = KEY_PREFIX + secrets.token_hex(4) + secrets.token_urlsafe(32)
        prefix = secret[:PREFIX_LENGTH]
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    api_key = ApiKey.objects.create(
        name=name.strip(), prefix=prefix, key_hash=_hash(secret), scopes=scopes,
        created_by=created_by,
    )  # fmt: skip
    return IssuedKey(api_key=api_key, secret=secret)


def api_key_authenticate(*, secret: str) -> ApiKey | None:
    """The active key for this secret in the current schema, or None."""
    secret = (secret or "").strip()
    if not secret.startswith(KEY_PREFIX) or len(secret) <= PREFIX_LENGTH:
        return None
    api_key = ApiKey.objects.filter(prefix=secret[:PREFIX_LENGTH]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(secret)):
        return None
    if not api_key.is_active:
        return None
    api_key_touch(api_key=api_key)
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < _last_used_interval():
        return
    api_key.last_used_at = now
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=api_key.revoked_at)
    return api_key


def api_key_update(*, api_key: ApiKey, name: str, scopes: list[str]) -> ApiKey:
    if not name.strip():
        raise ValidationError({"name": "Name the key after who uses it."})
    api_key.name, api_key.scopes = name.strip(), scopes_clean(scopes)
    api_key.save(update_fields=["name", "scopes"])
    return api_key
