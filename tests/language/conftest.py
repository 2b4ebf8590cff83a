"""Fixtures for the language tests: records to hang messages on, eager Celery."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from config.celery import app as celery_app
from crm.contacts.models import Contact


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


def make_contact(ws, name: str = "Pat") -> Contact:
    with schema_context(ws.schema):
        return Contact.objects.create(first_name=name)


@pytest.fixture
def owner_of():
    from crm.team.models import User

    def get(ws):
        with schema_context(ws.schema):
            return User.objects.get(email=ws.owner_email)

    return get


from ..ai.conftest import _breakers_closed, stub  # noqa: E402, F401  (AI gateway fixtures)
