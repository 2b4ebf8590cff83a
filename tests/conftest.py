"""Shared fixtures. Two workspaces, `alpha` and `beta`, are provisioned once per test session
(the real provisioning service, cloning the template schema); every tenancy test uses both to
prove that neither sees the other. Data a test writes is rolled back with its transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.conf import settings
from django.core import serializers
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django_tenants.utils import schema_context

from config.celery import app as celery_app
from crm.team.models import Role, User
from crm.team.services import user_create
from crm.tenancy.models import Domain, Workspace
from crm.tenancy.services import public_workspace_ensure, workspace_create

PASSWORD = "Correct-Horse-42"


@dataclass
class WorkspaceFixture:
    workspace: Workspace
    owner_email: str

    @property
    def schema(self) -> str:
        return self.workspace.schema_name

    @property
    def host(self) -> str:
        return f"{self.workspace.slug}.{settings.BASE_DOMAIN}"

    def client(self) -> Client:
        return Client(HTTP_HOST=self.host)

    def make_user(self, *, email: str, role: str = Role.REP, password: str = PASSWORD) -> User:
        with schema_context(self.schema):
            return user_create(email=email, password=password, role=role, full_name=email)

    def logged_in_client(self, user: User) -> Client:
        client = self.client()
        with schema_context(self.schema):
            client.force_login(user)
        return client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[dict[str, WorkspaceFixture]]:
    """After pytest-django migrated the test database, provision the two shared workspaces."""
    with django_db_blocker.unblock():
        public_workspace_ensure()
        made = {}
        for slug in ("alpha", "beta"):
            workspace = Workspace.objects.filter(slug=slug).first()
            if workspace is None:
                workspace = workspace_create(
                    name=slug.title(), slug=slug, owner_email=f"owner@{slug}.test",
                    owner_password=PASSWORD,
                ).workspace  # fmt: skip
            made[slug] = WorkspaceFixture(workspace=workspace, owner_email=f"owner@{slug}.test")
    yield made
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # Threads of websocket and worker tests keep their own connections open; end them so
        # pytest-django can drop the test database.
        others = (
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")
        # Termination is asynchronous: wait (briefly) until they are gone before the DROP.
        for _ in range(50):
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)


@pytest.fixture
def alpha(django_db_setup, db) -> WorkspaceFixture:
    return django_db_setup["alpha"]


@pytest.fixture
def beta(django_db_setup, db) -> WorkspaceFixture:
    return django_db_setup["beta"]


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Iterator[None]:
    """A test that fails inside schema_context must not leak its search_path to the next."""
    yield
    if hasattr(connection, "set_schema_to_public"):
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _no_throttle_counts_carried_over() -> Iterator[None]:
    """Throttled attempts of one test must not count against the next (config/settings/test.py)."""
    yield
    caches[settings.THROTTLE_CACHE].clear()


# --- transactional tests: keep the session's workspaces through the flush ---------------------
# A transaction=True test ends with pytest-django's flush, which TRUNCATEs every table of the
# public schema: the rows of the session-wide alpha/beta workspaces (and the public site's own
# row and domain) vanish while their schemas stay, and every later test would 404. The flush
# runs in fixture teardown, so a teardown hook that runs after all fixtures puts the rows back.
# (Content types, permissions and the beat schedule return by themselves: the flush re-emits
# post_migrate.)

_RESTORE_PUBLIC_ROWS = pytest.StashKey[Callable[[], None]]()


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return "transactional_db" in getattr(item, "fixturenames", ())


def _restore_public_rows(snapshot: str, blocker: Any) -> None:
    with blocker.unblock(), schema_context(settings.PUBLIC_SCHEMA_NAME), transaction.atomic():
        for obj in serializers.deserialize("json", snapshot):
            obj.save()  # raw save: the row as it was, without TenantMixin creating a schema


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
        # After the run's last test the session fixtures have dropped the database already.
        if restore is not None and nextitem is not None:
            restore()


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run sent tasks in the caller's thread (through apply_async, so headers still travel)."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved
