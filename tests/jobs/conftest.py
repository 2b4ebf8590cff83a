"""Fixtures for the background-job tests: a real Celery worker on the embedded Redis broker,
a recorder of task outcomes, eager mode, log capture with the configured format, and a guard
that keeps the session's workspaces alive through the flush of transactional tests."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings

from config.celery import app as celery_app
from crm.tenancy.heartbeat import redis_client
from crm.tenancy.logging import ContextFilter
from crm.tenancy.models import Workspace

from . import tasks as test_tasks

# --- Redis: heartbeat marks are per test ---------------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_heartbeat_marks() -> Iterator[None]:
    """Marks live in Redis, outside the database transaction: start every test without any."""

    def clear() -> None:
        client = redis_client()
        keys = list(client.scan_iter(match=f"{settings.REDIS_PREFIX}:heartbeat:*"))
        if keys:
            client.delete(*keys)

    clear()
    yield
    clear()


# --- Celery --------------------------------------------------------------------------------------


@pytest.fixture
def body_runs() -> Iterator[list[str]]:
    test_tasks.BODY_RUNS.clear()
    yield test_tasks.BODY_RUNS
    test_tasks.BODY_RUNS.clear()


@pytest.fixture(scope="module")
def live_worker() -> Iterator[Any]:
    """A real worker (solo pool, in a thread) consuming the embedded Redis broker.

    Module-scoped: starting one closes the calling thread's database connection (Celery's
    Django fixup) and reconfigures logging, which must happen before a test's own database
    transaction and log capture are set up, not in the middle of them.
    """
    celery_app.control.purge()  # messages left by earlier runs that had no worker
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15
    ) as worker:
        yield worker


@dataclass
class Outcome:
    task_id: str
    name: str
    state: str
    retval: Any
    schema_header: str | None
    thread: str


@dataclass
class TaskOutcomes:
    """Every task that finished (in any thread) while the fixture was active."""

    done: list[Outcome] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, *, task_id: str, task: Any, state: str, retval: Any, **_: Any) -> None:
        headers = getattr(task.request, "headers", None) or {}
        with self._changed:
            self.done.append(
                Outcome(
                    task_id,
                    task.name,
                    state,
                    retval,
                    headers.get("lodestar_schema"),
                    threading.current_thread().name,
                )
            )
            self._changed.notify_all()

    def named(self, name: str) -> list[Outcome]:
        with self._changed:
            return [o for o in self.done if o.name == name]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out; finished so far: {self.done}")
                self._changed.wait(remaining)

    def wait(self, task_id: str, timeout: float = 10.0) -> Outcome:
        self.wait_for(lambda: any(o.task_id == task_id for o in self.done), timeout)
        return next(o for o in self.done if o.task_id == task_id)


@pytest.fixture
def task_outcomes() -> Iterator[TaskOutcomes]:
    outcomes = TaskOutcomes()
    task_postrun.connect(outcomes.record, weak=False)
    try:
        yield outcomes
    finally:
        task_postrun.disconnect(outcomes.record)


# --- logging ---------------------------------------------------------------------------------


class LineCollector(logging.Handler):
    """Formats records exactly as the configured console handler does: same filter, format."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(ContextFilter())
        self.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
        self.lines: list[str] = []
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self._lock_lines:
            self.lines.append(line)

    def matching(self, text: str) -> list[str]:
        with self._lock_lines:
            return [line for line in self.lines if text in line]


@pytest.fixture
def log_lines() -> Iterator[LineCollector]:
    collector = LineCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield collector
    finally:
        root.removeHandler(collector)


# --- helpers ---------------------------------------------------------------------------------


def fresh(workspace: Workspace) -> Workspace:
    """A new instance of a session-wide workspace: changing it must not leak into the shared
    fixture object when the test's transaction rolls the row back."""
    return Workspace.objects.get(pk=workspace.pk)
