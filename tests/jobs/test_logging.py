"""Every log line says whose work it was: the workspace schema and the request (or task) id,
formatted by the configured handler's filter and format."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from crm.tenancy.context import current_request_id

from .conftest import LineCollector
from .tasks import whoami

MINTED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def logging_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.jobs.urls"  # workspace hosts route here for these tests


def test_a_line_logged_by_a_view_carries_schema_and_request_id(
    alpha: Any, logging_urls: None, log_lines: LineCollector
) -> None:
    response = alpha.client().get("/log/")
    request_id = response["X-Request-ID"]
    assert MINTED.fullmatch(request_id)
    [line] = log_lines.matching("view says hello")
    assert f"[{alpha.schema}] [{request_id}]" in line


def test_a_caller_supplied_request_id_reaches_the_log(
    alpha: Any, logging_urls: None, log_lines: LineCollector
) -> None:
    response = alpha.client().get("/log/", HTTP_X_REQUEST_ID="edge-7f3a.42")
    assert response["X-Request-ID"] == "edge-7f3a.42"
    [line] = log_lines.matching("view says hello")
    assert f"[{alpha.schema}] [edge-7f3a.42]" in line


def test_django_request_lines_for_4xx_carry_the_request_id(
    alpha: Any, log_lines: LineCollector
) -> None:
    # Django logs "Not Found" after the whole middleware chain has returned.
    response = alpha.client().get("/no-such-page/")
    assert response.status_code == 404
    [line] = log_lines.matching("Not Found: /no-such-page/")
    assert f"[{alpha.schema}] [{response['X-Request-ID']}]" in line


def test_requests_get_distinct_ids(alpha: Any) -> None:
    first, second = (alpha.client().get("/healthz")["X-Request-ID"] for _ in range(2))
    assert MINTED.fullmatch(first) and MINTED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize("incoming", ["abc-123", "Trace_9.z", "a" * 64])
def test_a_sane_caller_request_id_is_kept(alpha: Any, incoming: str) -> None:
    response = alpha.client().get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        pytest.param("a" * 65, id="too-long"),
        pytest.param("two words", id="space"),
        pytest.param("id;drop", id="semicolon"),
        pytest.param("<script>", id="markup"),
        pytest.param("zürich", id="non-ascii"),
        pytest.param("", id="empty"),
    ],
)
def test_an_odd_caller_request_id_is_replaced(alpha: Any, incoming: str) -> None:
    response = alpha.client().get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert MINTED.fullmatch(response["X-Request-ID"])


def test_a_line_logged_inside_a_tenant_task_carries_schema_and_task_id(
    alpha: Any, eager_celery: None, log_lines: LineCollector, body_runs: list[str]
) -> None:
    with schema_context(alpha.schema):
        result = whoami.delay(alpha.owner_email)
    [line] = log_lines.matching("whoami ran")
    assert f"[{alpha.schema}] [{result.id}]" in line
    # nothing of the task's context is left behind in the caller
    assert current_request_id.get() is None


def test_a_task_run_inside_a_request_leaves_the_request_context_alone(
    alpha: Any, logging_urls: None, eager_celery: None, log_lines: LineCollector
) -> None:
    response = alpha.client().get("/enqueue/")
    assert response.status_code == 200
    [task_line] = log_lines.matching("whoami ran")
    assert f"[{alpha.schema}] [{response['X-Request-ID']}]" not in task_line  # the task's own id
    [after] = log_lines.matching("view after the task")
    assert f"[{alpha.schema}] [{response['X-Request-ID']}]" in after


def test_a_request_leaves_no_context_behind_in_its_thread(
    alpha: Any, log_lines: LineCollector
) -> None:
    alpha.client().get("/healthz")
    connection.set_schema_to_public()  # as the next request would; the context var must follow
    logging.getLogger("tests.jobs").warning("housekeeping")
    [line] = log_lines.matching("housekeeping")
    assert "[public] [-]" in line
