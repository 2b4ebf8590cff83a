"""Heartbeat marks in Redis: the worker proves it is alive, and each workspace proves its jobs
reach it. /healthz reads the worker mark."""

from __future__ import annotations

import time

import redis
from django.conf import settings


def _worker_key() -> str:
    return f"{settings.REDIS_PREFIX}:heartbeat:worker"


def _workspace_key(schema_name: str) -> str:
    return f"{settings.REDIS_PREFIX}:heartbeat:workspace:{schema_name}"


def _ttl() -> int:
    return settings.HEARTBEAT_STALE_AFTER_SECONDS * 10


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def _read(key: str, client: redis.Redis | None) -> float | None:
    value = (client or redis_client()).get(key)
    return float(value) if value is not None else None


def heartbeat_mark_worker(*, client: redis.Redis | None = None) -> float:
    now = time.time()
    (client or redis_client()).set(_worker_key(), now, ex=_ttl())
    return now


def heartbeat_mark_workspace(*, schema_name: str, client: redis.Redis | None = None) -> float:
    now = time.time()
    (client or redis_client()).set(_workspace_key(schema_name), now, ex=_ttl())
    return now


def heartbeat_last_worker(*, client: redis.Redis | None = None) -> float | None:
    return _read(_worker_key(), client)


def heartbeat_last_workspace(
    *, schema_name: str, client: redis.Redis | None = None
) -> float | None:
    return _read(_workspace_key(schema_name), client)
