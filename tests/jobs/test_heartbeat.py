"""The platform heartbeat: beat's one job marks the worker alive and fans out to every active
workspace (never the public schema, never a suspended workspace), each in its own schema."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from crm.tenancy.celery import SCHEMA_HEADER
from crm.tenancy.heartbeat import (
    heartbeat_last_worker,
    heartbeat_last_workspace,
    heartbeat_mark_workspace,
)
from crm.tenancy.services import workspace_create, workspace_suspend
from crm.tenancy.tasks import platform_heartbeat, workspace_heartbeat

from ..conftest import PASSWORD
from .conftest import TaskOutcomes, fresh


def test_fan_out_reaches_every_active_workspace_and_no_other(
    alpha: Any, beta: Any, eager_celery: None, task_outcomes: TaskOutcomes
) -> None:
    gamma = workspace_create(
        name="Gamma", slug="gamma-jobs", owner_email="o@gamma.test", owner_password=PASSWORD
    ).workspace
    workspace_suspend(workspace=fresh(beta.workspace), reason="unpaid")
    before = time.time()

    assert platform_heartbeat.delay().get() == 2

    assert heartbeat_last_worker() >= before
    for schema in (alpha.schema, gamma.schema_name):
        assert heartbeat_last_workspace(schema_name=schema) >= before
    assert heartbeat_last_workspace(schema_name=beta.schema) is None
    assert heartbeat_last_workspace(schema_name=settings.PUBLIC_SCHEMA_NAME) is None
    # each fan-out message named its workspace and ran there
    fanned = task_outcomes.named("tenancy.workspace_heartbeat")
    assert sorted((o.schema_header, o.retval, o.state) for o in fanned) == [
        (alpha.schema, alpha.schema, "SUCCESS"),
        (gamma.schema_name, gamma.schema_name, "SUCCESS"),
    ]
    assert connection.schema_name == settings.PUBLIC_SCHEMA_NAME


def test_with_no_workspaces_active_only_the_worker_is_marked(
    alpha: Any, beta: Any, eager_celery: None, task_outcomes: TaskOutcomes
) -> None:
    for fixture in (alpha, beta):
        workspace_suspend(workspace=fresh(fixture.workspace))
    assert platform_heartbeat.delay().get() == 0
    assert heartbeat_last_worker() is not None
    assert task_outcomes.named("tenancy.workspace_heartbeat") == []


def test_marks_are_per_workspace_and_expire() -> None:
    from crm.tenancy.heartbeat import _workspace_key, redis_client

    heartbeat_mark_workspace(schema_name="ws_one")
    assert heartbeat_last_workspace(schema_name="ws_one") is not None
    assert heartbeat_last_workspace(schema_name="ws_two") is None
    # kept long enough for /healthz to call it stale, but not forever
    ttl = redis_client().ttl(_workspace_key("ws_one"))
    stale_after = settings.HEARTBEAT_STALE_AFTER_SECONDS
    assert stale_after < ttl <= stale_after * 10
    assert _workspace_key("ws_one").startswith(f"{settings.REDIS_PREFIX}:")


def test_a_redis_blip_during_a_workspace_heartbeat_is_retried(
    alpha: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    from crm.tenancy import tasks

    calls: list[str] = []
    real_mark = tasks.heartbeat_mark_workspace

    def flaky_mark(*, schema_name: str) -> float:
        calls.append(schema_name)
        if len(calls) == 1:
            raise redis.ConnectionError("Connection reset by peer")
        return real_mark(schema_name=schema_name)

    monkeypatch.setattr(tasks, "heartbeat_mark_workspace", flaky_mark)
    result = workspace_heartbeat.apply(headers={SCHEMA_HEADER: alpha.schema})
    assert result.successful(), result.result
    assert calls == [alpha.schema, alpha.schema]
    assert heartbeat_last_workspace(schema_name=alpha.schema) is not None
