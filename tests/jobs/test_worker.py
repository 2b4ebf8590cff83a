"""Through a real worker and broker: Celery's test worker (solo pool, in a thread, with its own
database connection) consuming the embedded Redis. The tenant must travel in the message.

The worker only sees committed data, so these tests are transactional; conftest.py puts the
session's workspaces back after each flush.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from celery import chain
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from config.celery import app as celery_app
from crm.tenancy.celery import SCHEMA_HEADER, MissingTenantError
from crm.tenancy.heartbeat import heartbeat_last_worker, heartbeat_last_workspace
from crm.tenancy.models import Workspace
from crm.tenancy.selectors import workspace_list_active
from crm.tenancy.services import workspace_suspend
from crm.tenancy.tasks import platform_heartbeat

from .conftest import LineCollector, TaskOutcomes, fresh
from .tasks import whoami

pytestmark = [pytest.mark.usefixtures("live_worker"), pytest.mark.django_db(transaction=True)]


def test_a_task_runs_in_the_workspace_it_was_sent_from(
    alpha: Any, beta: Any, task_outcomes: TaskOutcomes, log_lines: LineCollector
) -> None:
    # alpha's owner exists only in alpha's schema: the same task sent from beta cannot see it
    with schema_context(alpha.schema):
        from_alpha = whoami.delay(alpha.owner_email)
    with schema_context(beta.schema):
        from_beta = whoami.delay(alpha.owner_email)

    ran_in_alpha = task_outcomes.wait(from_alpha.id)
    ran_in_beta = task_outcomes.wait(from_beta.id)
    assert ran_in_alpha.thread != threading.current_thread().name  # really the worker's
    assert (ran_in_alpha.state, ran_in_alpha.retval) == (
        "SUCCESS",
        {"schema": alpha.schema, "matches": 1},
    )
    assert ran_in_alpha.schema_header == alpha.schema
    assert (ran_in_beta.state, ran_in_beta.retval) == (
        "SUCCESS",
        {"schema": beta.schema, "matches": 0},
    )
    # the worker's log lines carry the schema and the task id
    lines = log_lines.matching("whoami ran")
    assert any(f"[{alpha.schema}] [{from_alpha.id}]" in line for line in lines)
    assert any(f"[{beta.schema}] [{from_beta.id}]" in line for line in lines)
    assert connection.schema_name == settings.PUBLIC_SCHEMA_NAME


def test_chains_and_callbacks_stay_in_the_workspace(
    alpha: Any, task_outcomes: TaskOutcomes, body_runs: list[str]
) -> None:
    # The worker, not the caller, sends a chain's next step and a link callback, after the
    # first body has returned: they must still carry the workspace.
    with schema_context(alpha.schema):
        chain(whoami.si(alpha.owner_email), whoami.si(alpha.owner_email)).apply_async()
        whoami.apply_async(args=[alpha.owner_email], link=whoami.si(alpha.owner_email))
    task_outcomes.wait_for(lambda: len(task_outcomes.named(whoami.name)) == 4)
    outcomes = task_outcomes.named(whoami.name)
    assert {(o.state, o.schema_header) for o in outcomes} == {("SUCCESS", alpha.schema)}
    assert body_runs == [alpha.schema] * 4


def test_the_worker_refuses_a_message_without_a_workspace(
    alpha: Any, task_outcomes: TaskOutcomes, body_runs: list[str]
) -> None:
    # app.send_task does not go through TenantTask.apply_async, so it can publish a message
    # with no schema header: the worker must refuse it before the body runs.
    result = celery_app.send_task(whoami.name, args=[alpha.owner_email])
    outcome = task_outcomes.wait(result.id)
    assert outcome.state == "FAILURE"
    assert isinstance(outcome.retval, MissingTenantError)
    assert body_runs == []


@pytest.mark.parametrize("schema", ["public", "ws_nope"])
def test_the_worker_refuses_a_message_naming_no_workspace(
    alpha: Any, task_outcomes: TaskOutcomes, body_runs: list[str], schema: str
) -> None:
    result = celery_app.send_task(
        whoami.name, args=[alpha.owner_email], headers={SCHEMA_HEADER: schema}
    )
    outcome = task_outcomes.wait(result.id)
    assert (outcome.state, type(outcome.retval)) == ("FAILURE", MissingTenantError)
    assert body_runs == []


def test_the_worker_refuses_a_suspended_workspace(
    beta: Any, task_outcomes: TaskOutcomes, body_runs: list[str]
) -> None:
    workspace_suspend(workspace=fresh(beta.workspace), reason="unpaid")
    with schema_context(beta.schema):
        result = whoami.delay(beta.owner_email)  # queued before, or sent by old code
    outcome = task_outcomes.wait(result.id)
    assert (outcome.state, type(outcome.retval)) == ("FAILURE", MissingTenantError)
    assert "not active" in str(outcome.retval)
    assert body_runs == []


def test_the_heartbeat_goes_from_beat_through_the_worker_to_every_active_workspace(
    alpha: Any, beta: Any, task_outcomes: TaskOutcomes
) -> None:
    workspace_suspend(workspace=fresh(beta.workspace))
    expected = set(workspace_list_active().values_list("schema_name", flat=True))
    assert alpha.schema in expected and beta.schema not in expected

    sent = platform_heartbeat.delay()  # as beat does: from no workspace at all
    platform = task_outcomes.wait(sent.id)
    assert (platform.state, platform.retval) == ("SUCCESS", len(expected))
    task_outcomes.wait_for(
        lambda: len(task_outcomes.named("tenancy.workspace_heartbeat")) == len(expected)
    )

    fanned = task_outcomes.named("tenancy.workspace_heartbeat")
    assert {o.state for o in fanned} == {"SUCCESS"}
    assert {o.schema_header for o in fanned} == expected
    assert {o.retval for o in fanned} == expected  # each ran in the schema its header named
    assert heartbeat_last_worker() is not None
    assert heartbeat_last_workspace(schema_name=alpha.schema) is not None
    assert heartbeat_last_workspace(schema_name=beta.schema) is None
    assert heartbeat_last_workspace(schema_name=settings.PUBLIC_SCHEMA_NAME) is None
    # and the probe now sees a live worker
    assert Client(HTTP_HOST="localhost").get("/healthz").status_code == 200


def test_the_broker_queue_lives_under_the_run_prefix(alpha: Any) -> None:
    from crm.tenancy.heartbeat import redis_client

    prefix = celery_app.conf.broker_transport_options["global_keyprefix"]
    assert prefix == f"{settings.REDIS_PREFIX}:"
    queue = "jobs-prefix-probe"  # no worker consumes it
    client = redis_client()
    try:
        with schema_context(alpha.schema):
            whoami.apply_async(args=["x@example.test"], queue=queue)
        assert client.llen(f"{prefix}{queue}") == 1
        assert client.llen(queue) == 0
    finally:
        client.delete(f"{prefix}{queue}", f"{prefix}_kombu.binding.{queue}")


def test_the_session_workspaces_survive_these_flushes(alpha: Any, beta: Any) -> None:
    # Runs after the transactional tests above: each of them ended with a flush.
    assert set(Workspace.objects.values_list("schema_name", flat=True)) >= {
        alpha.schema,
        beta.schema,
        settings.PUBLIC_SCHEMA_NAME,
    }
    assert fresh(beta.workspace).is_active  # suspended above, put back as it was
    assert alpha.client().get("/accounts/login/").status_code == 200
