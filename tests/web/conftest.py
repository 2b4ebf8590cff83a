"""Fixtures for the web tests: the public site's client, a platform operator, unique emails."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from crm.team.models import Role, User
from crm.team.services import user_create

from ..conftest import PASSWORD

_counter = itertools.count()


@pytest.fixture
def unique_email():
    """Emails that never repeat within a run, so tests that commit (websockets) never collide."""

    def make(prefix: str = "user") -> str:
        return f"{prefix}{next(_counter)}@example.test"

    return make


@pytest.fixture
def public_client(django_db_setup, db) -> Client:
    # django_db_setup provisions the public site's own row and domain, which routing needs.
    return Client(HTTP_HOST=settings.BASE_DOMAIN)


@pytest.fixture
def operator(django_db_setup, db) -> User:
    """A platform operator: a superuser in the public schema (not in any workspace)."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        user = user_create(email="ops@lodestar.test", password=PASSWORD, role=Role.ADMIN)
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    return user
