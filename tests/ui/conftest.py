"""Fixtures for the rep UI's view tests: a rep, another rep, a manager and a lead factory."""

from __future__ import annotations

import itertools

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import contact_create
from crm.leads.services import lead_create
from crm.team.models import Role

_n = itertools.count()


@pytest.fixture
def people(alpha):
    return {
        "rep": alpha.make_user(email="rep@alpha.test", role=Role.REP),
        "other": alpha.make_user(email="other@alpha.test", role=Role.REP),
        "manager": alpha.make_user(email="boss@alpha.test", role=Role.MANAGER),
    }


@pytest.fixture
def make_lead():
    """make_lead(ws, owner=..., first_name=...) -> Lead, created in ws's schema."""

    def make(ws, *, owner=None, first_name: str = "Ada", phone: str = "", **lead_fields):
        with schema_context(ws.schema):
            contact = contact_create(
                first_name=first_name, last_name=f"L{next(_n)}", phone=phone, owner=owner
            )
            return lead_create(contact=contact, owner=owner, **lead_fields)

    return make
