"""Fixtures for the background-job tests: a real Celery worker on the embedded Redis broker,
a recorder of task outcomes, eager mode, log capture with the configured format, and a guard
that keeps the session's workspaces alive through the flush of transactional tests."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.core import serializers
from django.db import transaction
from django_tenants.utils import schema_context

from config.celery import app as celery_app
from crm.tenancy.heartbeat import redis_client
from crm.tenancy.logging import ContextFilter
from crm.tenancy.models import Domain, Workspace

from . import tasks as test_tasks

# --- transactional tests: keep the session's workspaces through the flush ---------------------
#
# A transaction=True test ends with a flush that TRUNCATEs every table of the public schema:
# the rows of the session-wide `alpha`/`beta` workspaces (and the public site's own row and
# domain) vanish, while their schemas stay. Every later test using them would then 404. The
# flush runs in pytest-django's fixture teardown, after any fixture of ours has finished, so
# the rows are put back by a teardown hook that runs once all fixtures are done. (Content types,
# permissions and the beat schedule come back by themselves: the flush re-emits post_migrate.)
# The flush never touches workspace schemas, so these tests only read there.

_RESTORE_PUBLIC_ROWS = pytest.StashKey[Callable[[], None]]()


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return "transactional_db" in getattr(item, "fixturenames", ())


def _restore_public_rows(snapshot: str, blocker: Any) -> None:
    with blocker.unblock(), schema_context(settings.PUBLIC_SCHEMA_NAME), transaction.atomic():
        for obj in serializers.deserialize("json", snapshot):
            # raw save: put the row back as it was, without TenantMixin creating a schema
            obj.save()


@pytest.fixture(autouse=True)
def _public_rows_survive_flush(request: pytest.FixtureRequest) -> None:
    if not _is_transactional(request.node):
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    with blocker.unblock(), schema_context(settings.PUBLIC_SCHEMA_NAME):
        snapshot = serializers.serialize(
            "json", [*Workspace.objects.order_by("pk"), *Domain.objects.order_by("pk")]
        )
    request.node.stash[_RESTORE_PUBLIC_ROWS] = partial(_restore_public_rows, snapshot, blocker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        return (yield)  # fixtures are torn down in here, the flush included
    finally:
        restore = item.stash.get(_RESTORE_PUBLIC_ROWS, None)
        if restore is not None:
            restore()


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


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run sent tasks in the caller's thread (through apply_async, so headers still travel)."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


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
