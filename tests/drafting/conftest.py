"""Drafting fixtures: records with a timeline in a workspace, the drafting routes mounted, and
the stubbed provider transport of tests/ai (the real SDK clients over httpx2.MockTransport)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.contacts.models import Company, Contact
from crm.deals.models import Deal, Pipeline, Stage
from crm.leads.models import Lead

from ..ai.conftest import _breakers_closed, stub  # noqa: F401  (fixtures)


def make_records(
    *,
    owner,
    first_name: str = "Dana",
    company: str = "Reyes Roofing",
    question: str = "Can you do the inspection on Saturday?",
    outbound_sms: bool = False,
) -> dict:
    """A contact at a company, a lead (roof replacement) owned by `owner`, a deal at a named
    stage, and a timeline: our call, then their inbound SMS with a question."""
    firm = Company.objects.create(name=company)
    contact = Contact.objects.create(
        first_name=first_name,
        last_name="Reyes",
        company=firm,
        phone="+14075550101",
        email=f"{first_name.lower()}@example.com",
        owner=owner,
    )
    lead = Lead.objects.create(
        contact=contact,
        interest="roof replacement",
        owner=owner,
        status="engaged",
        estimated_value=Decimal("12000"),
    )
    pipeline = Pipeline.objects.first() or Pipeline.objects.create(name="Sales")
    stage = Stage.objects.create(pipeline=pipeline, name="Proposal sent", position=50)
    deal = Deal.objects.create(
        name="Reyes roof replacement",
        company=firm,
        primary_contact=contact,
        amount=Decimal("12500"),
        pipeline=pipeline,
        stage=stage,
        owner=owner,
    )
    now = timezone.now()
    Activity.objects.create(
        kind="call",
        direction="outbound",
        body="Talked about the roof.",
        lead=lead,
        contact=contact,
        actor=owner,
        occurred_at=now - timedelta(days=2),
    )
    if outbound_sms:
        Activity.objects.create(
            kind="sms",
            direction="outbound",
            body="Hi Dana, it's Sam.",
            contact=contact,
            actor=owner,
            occurred_at=now - timedelta(days=1, hours=2),
        )
    if question:
        Activity.objects.create(
            kind="sms",
            direction="inbound",
            body=f"Thanks for the call. {question}",
            lead=lead,
            contact=contact,
            occurred_at=now - timedelta(days=1),
        )
    return {"company": firm, "contact": contact, "lead": lead, "deal": deal, "stage": stage}


@pytest.fixture
def rep(alpha):
    return alpha.make_user(email="rep.draft@alpha.test")


@pytest.fixture
def records(alpha, rep):
    with schema_context(alpha.schema):
        return make_records(owner=rep)
