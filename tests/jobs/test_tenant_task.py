"""TenantTask fails closed: it is not sent without a workspace, and a message that names no
active workspace is refused before the task body (and so any database work) starts.

These run the task in the test's thread (Celery's `apply` / eager mode); test_worker.py does the
same through a real worker and broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import before_task_publish
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from config.celery import app as celery_app
from crm.tenancy.celery import SCHEMA_HEADER, MissingTenantError, PlatformTask, TenantTask
from crm.tenancy.context import current_schema
from crm.tenancy.services import workspace_suspend
from crm.tenancy.tasks import platform_heartbeat, workspace_heartbeat

from .conftest import fresh
from .tasks import boom, fails_once, platform_whereami, whoami


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Headers of every message actually handed to the broker during the test."""
    sent: list[dict[str, Any]] = []

    def record(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
        sent.append(dict(headers or {}))

    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)


def test_tasks_are_tenant_tasks_unless_they_opt_out() -> None:
    # whoami names no base: the app's default (task_cls) applies
    assert isinstance(celery_app.tasks[whoami.name], TenantTask)
    assert isinstance(workspace_heartbeat, TenantTask)
    assert isinstance(platform_heartbeat, PlatformTask)
    assert not isinstance(platform_heartbeat, TenantTask)


# --- sending ---------------------------------------------------------------------------------


def test_sending_from_the_public_schema_is_refused_and_nothing_is_published(
    db: None, published: list[dict[str, Any]]
) -> None:
    assert connection.schema_name == settings.PUBLIC_SCHEMA_NAME
    with pytest.raises(MissingTenantError, match="must be sent from inside a workspace"):
        whoami.delay("x@example.test")
    with pytest.raises(MissingTenantError):
        whoami.apply_async(args=["x@example.test"], countdown=5)
    with pytest.raises(MissingTenantError):
        whoami.s("x@example.test").apply_async()  # signatures go through the same check
    with pytest.raises(MissingTenantError):
        # naming the public schema explicitly is no way around it
        whoami.apply_async(args=["x@example.test"], headers={SCHEMA_HEADER: "public"})
    assert published == []


def test_sending_from_a_workspace_puts_its_schema_in_the_message(
    alpha: Any, eager_celery: None, body_runs: list[str]
) -> None:
    with schema_context(alpha.schema):
        result = whoami.delay(alpha.owner_email)
    assert result.get() == {"schema": alpha.schema, "matches": 1}
    # the worker side leaves the connection where it found it
    assert connection.schema_name == settings.PUBLIC_SCHEMA_NAME


def test_the_same_task_sent_from_beta_sees_only_beta(
    alpha: Any, beta: Any, eager_celery: None
) -> None:
    with schema_context(beta.schema):
        assert whoami.delay(alpha.owner_email).get() == {"schema": beta.schema, "matches": 0}
        assert whoami.delay(beta.owner_email).get() == {"schema": beta.schema, "matches": 1}


def test_platform_code_may_name_the_workspace_explicitly(alpha: Any, eager_celery: None) -> None:
    result = whoami.apply_async(args=[alpha.owner_email], headers={SCHEMA_HEADER: alpha.schema})
    assert result.get() == {"schema": alpha.schema, "matches": 1}


def test_a_retry_stays_in_the_workspace_it_was_sent_from(
    alpha: Any, eager_celery: None, body_runs: list[str]
) -> None:
    with schema_context(alpha.schema):
        # throw=False: with eager propagation on, Celery would raise Retry instead of retrying
        result = fails_once.apply_async(throw=False)
    assert result.get() == {"schema": alpha.schema, "retries": 1}
    assert body_runs == [alpha.schema, alpha.schema]


def test_after_a_task_the_caller_is_back_in_its_own_schema(
    alpha: Any, beta: Any, eager_celery: None
) -> None:
    with schema_context(alpha.schema):
        result = whoami.apply_async(args=[beta.owner_email], headers={SCHEMA_HEADER: beta.schema})
        assert result.get() == {"schema": beta.schema, "matches": 1}
        assert connection.schema_name == alpha.schema
    assert current_schema.get() is None


def test_a_failing_task_also_leaves_its_schema(alpha: Any, body_runs: list[str]) -> None:
    result = boom.apply(headers={SCHEMA_HEADER: alpha.schema}, throw=False)
    assert isinstance(result.result, ValueError)
    assert body_runs == [alpha.schema]
    assert connection.schema_name == settings.PUBLIC_SCHEMA_NAME
    assert current_schema.get() is None


# --- running ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(None, id="no-headers"),
        pytest.param({}, id="empty-headers"),
        pytest.param({SCHEMA_HEADER: ""}, id="blank-schema"),
        pytest.param({SCHEMA_HEADER: "public"}, id="public-schema"),
        pytest.param({SCHEMA_HEADER: "ws_nope"}, id="nonexistent-schema"),
        # a real schema, but not a workspace: the template new workspaces are cloned from
        pytest.param({SCHEMA_HEADER: settings.TENANT_BASE_SCHEMA}, id="template-schema"),
    ],
)
def test_a_message_naming_no_workspace_is_refused_before_the_body_runs(
    alpha: Any, body_runs: list[str], headers: dict[str, str] | None
) -> None:
    with pytest.raises(MissingTenantError, match="refused"):
        whoami.apply(args=[alpha.owner_email], headers=headers, throw=True)
    assert body_runs == []


def test_refusal_is_recorded_as_a_failure_when_not_thrown(alpha: Any, body_runs: list[str]) -> None:
    result = whoami.apply(args=[alpha.owner_email], headers={}, throw=False)
    assert result.failed()
    assert isinstance(result.result, MissingTenantError)
    assert body_runs == []


def test_a_worker_connection_left_on_a_workspace_is_not_trusted(
    alpha: Any, body_runs: list[str]
) -> None:
    # A worker's connection keeps whatever schema the previous task left; only the message
    # header may decide where a task runs.
    with schema_context(alpha.schema), pytest.raises(MissingTenantError):
        whoami.apply(args=[alpha.owner_email], headers={}, throw=True)
    assert body_runs == []


def test_calling_a_tenant_task_directly_is_refused(alpha: Any, body_runs: list[str]) -> None:
    with schema_context(alpha.schema), pytest.raises(MissingTenantError):
        whoami(alpha.owner_email)
    assert body_runs == []


def test_a_suspended_workspace_is_refused(beta: Any, body_runs: list[str]) -> None:
    workspace_suspend(workspace=fresh(beta.workspace), reason="unpaid")
    with pytest.raises(MissingTenantError, match="not active"):
        whoami.apply(args=[beta.owner_email], headers={SCHEMA_HEADER: beta.schema}, throw=True)
    assert body_runs == []


# --- PlatformTask ----------------------------------------------------------------------------


def test_platform_task_runs_in_public_wherever_it_is_called_from(
    alpha: Any, eager_celery: None
) -> None:
    assert platform_whereami.delay().get() == settings.PUBLIC_SCHEMA_NAME
    with schema_context(alpha.schema):
        assert platform_whereami.delay().get() == settings.PUBLIC_SCHEMA_NAME
        assert connection.schema_name == alpha.schema  # and puts the caller's schema back
