"""/healthz: JSON, never cached, 200 only when the database, Redis and a worker are all fine.
Answered on the platform's own host and on every workspace's host (suspended ones included)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from crm.tenancy import health
from crm.tenancy.heartbeat import heartbeat_mark_worker
from crm.tenancy.services import workspace_suspend

from .conftest import fresh

HOSTS = ["localhost", "alpha.localhost"]


def _get(host: str) -> Any:
    return Client(HTTP_HOST=host).get("/healthz")


def _oks(response: Any) -> dict[str, bool]:
    return {name: check["ok"] for name, check in response.json()["checks"].items()}


@pytest.mark.parametrize("host", HOSTS)
def test_all_ok_with_a_fresh_worker_heartbeat(alpha: Any, host: str) -> None:
    heartbeat_mark_worker()
    response = _get(host)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert _oks(response) == {"database": True, "redis": True, "worker": True}
    assert 0 <= body["checks"]["worker"]["last_heartbeat_age_s"] < 5


@pytest.mark.parametrize("host", HOSTS)
def test_never_cached(alpha: Any, host: str) -> None:
    response = _get(host)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "max-age=0"} <= cache_control


@pytest.mark.parametrize("host", HOSTS)
def test_503_when_no_worker_ever_reported(alpha: Any, host: str) -> None:
    response = _get(host)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "fail"
    assert _oks(response) == {"database": True, "redis": True, "worker": False}
    assert body["checks"]["worker"]["error"] == "no heartbeat yet"


@pytest.mark.parametrize("host", HOSTS)
def test_503_when_the_worker_heartbeat_is_stale(
    alpha: Any, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked = heartbeat_mark_worker()
    stale_after = settings.HEARTBEAT_STALE_AFTER_SECONDS
    # the probe's clock, not the mark, moves: no sleeping
    monkeypatch.setattr(health, "time", SimpleNamespace(time=lambda: marked + stale_after - 1))
    assert _get(host).status_code == 200
    monkeypatch.setattr(health, "time", SimpleNamespace(time=lambda: marked + stale_after + 1))
    response = _get(host)
    assert response.status_code == 503
    assert _oks(response) == {"database": True, "redis": True, "worker": False}
    assert response.json()["checks"]["worker"]["last_heartbeat_age_s"] > stale_after


@pytest.mark.parametrize("host", HOSTS)
def test_503_when_redis_is_unreachable(alpha: Any, host: str, settings: Any, tmp_path: Any) -> None:
    heartbeat_mark_worker()
    settings.REDIS_URL = f"unix://{tmp_path}/no-such-redis.sock"
    started = time.monotonic()
    response = _get(host)
    assert time.monotonic() - started < 5  # fails fast instead of hanging the probe
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert _oks(response) == {"database": True, "redis": False, "worker": False}
    assert body["checks"]["redis"]["error"] == "ConnectionError"


def test_503_not_500_when_the_database_fails(alpha: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    heartbeat_mark_worker()

    class BrokenConnection:
        def cursor(self) -> Any:
            from django.db import OperationalError

            raise OperationalError("server closed the connection unexpectedly")

    # only the probe's own query fails: the host still resolves to its workspace
    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = _get("alpha.localhost")
    assert response.status_code == 503
    assert _oks(response) == {"database": False, "redis": True, "worker": True}
    assert response.json()["checks"]["database"]["error"] == "OperationalError"


def test_a_suspended_workspace_still_answers_the_probe(beta: Any) -> None:
    workspace_suspend(workspace=fresh(beta.workspace))
    heartbeat_mark_worker()
    assert beta.client().get("/").status_code == 403  # the workspace itself is closed
    response = _get("beta.localhost")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_only_get(alpha: Any) -> None:
    assert Client(HTTP_HOST="localhost").post("/healthz").status_code == 405
