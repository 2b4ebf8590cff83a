"""Fixtures for notification tests: people in alpha, a lead factory, captured live pushes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import contact_create
from crm.leads.services import lead_create
from crm.team.models import Role

_n = itertools.count()


@pytest.fixture
def people(alpha):
    return {
        "rep": alpha.make_user(email="notif.rep@alpha.test", role=Role.REP),
        "manager": alpha.make_user(email="notif.boss@alpha.test", role=Role.MANAGER),
    }


@pytest.fixture
def make_lead():
    def make(ws, *, owner=None, first_name: str = "Ada"):
        with schema_context(ws.schema):
            contact = contact_create(first_name=first_name, last_name=f"N{next(_n)}", owner=owner)
            return lead_create(contact=contact, owner=owner)

    return make


@pytest.fixture
def pushed(monkeypatch) -> list[dict[str, Any]]:
    """Every live push the service makes, instead of sending it to the channel layer."""
    sent: list[dict[str, Any]] = []

    def record(*, user_id: int, payload: dict, schema_name: str | None = None) -> None:
        sent.append({"user_id": user_id, "schema": schema_name, **payload})

    monkeypatch.setattr("crm.notifications.services.notify_user", record)
    return sent
