"""What /healthz reports: can we reach the database and Redis, and is a worker alive?"""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection

from .heartbeat import heartbeat_last_worker, redis_client


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # report, never raise: this is the probe
        return {"ok": False, "error": exc.__class__.__name__}


def _check_redis(client: redis.Redis) -> dict[str, Any]:
    try:
        client.ping()
        return {"ok": True}
    except redis.RedisError as exc:
        return {"ok": False, "error": exc.__class__.__name__}


def _check_worker(client: redis.Redis) -> dict[str, Any]:
    try:
        last = heartbeat_last_worker(client=client)
    except redis.RedisError as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    if last is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = round(time.time() - last, 1)
    return {"ok": age <= settings.HEARTBEAT_STALE_AFTER_SECONDS, "last_heartbeat_age_s": age}


def health_report() -> dict[str, Any]:
    client = redis_client()
    checks = {
        "database": _check_database(),
        "redis": _check_redis(client),
        "worker": _check_worker(client),
    }
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "fail", "checks": checks}
