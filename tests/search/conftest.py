"""Fixtures for search tests: records made through the services (so the index follows)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import company_create, contact_create
from crm.leads.services import lead_create
from crm.team.models import Role


@pytest.fixture
def rep(alpha):
    return alpha.make_user(email="searcher@alpha.test", role=Role.REP)


@pytest.fixture
def client_for(alpha, rep):
    return alpha.logged_in_client(rep)


@pytest.fixture
def make_lead():
    """make_lead(ws, first_name=..., last_name=..., phone=..., email=..., company=...)."""

    def make(ws, *, first_name="John", last_name="Smith", phone="", email="", company=""):
        with schema_context(ws.schema):
            firm = company_create(name=company) if company else None
            contact = contact_create(
                first_name=first_name, last_name=last_name, phone=phone, email=email,
                company=firm,
            )  # fmt: skip
            return lead_create(contact=contact)

    return make
