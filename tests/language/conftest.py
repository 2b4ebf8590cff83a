"""Fixtures for the language tests: records to hang messages on, eager Celery."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.contacts.models import Contact


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
