"""The partner API's tunables, read from settings with sane defaults."""

from datetime import timedelta

from django.conf import settings


def bulk_max_rows() -> int:
    return getattr(settings, "LODESTAR_API_BULK_MAX_ROWS", 1000)


def idempotency_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "LODESTAR_API_IDEMPOTENCY_HOURS", 24))


# A request that died mid-flight leaves a pending row; after this it no longer blocks retries.
IDEMPOTENCY_STALE_PENDING = timedelta(minutes=5)
