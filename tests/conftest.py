"""Shared fixtures. Two workspaces, `alpha` and `beta`, are provisioned once per test session
(the real provisioning service, cloning the template schema); every tenancy test uses both to
prove that neither sees the other. Data a test writes is rolled back with its transaction."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from crm.team.models import Role, User
from crm.team.services import user_create
from crm.tenancy.models import Workspace
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
