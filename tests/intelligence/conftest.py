"""Synthetic lead histories for the intelligence tests (bulk_create: speed, not services)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.contacts.models import Company, Contact
from crm.customfields.services import custom_field_define
from crm.leads.models import Lead, LeadStatus


@pytest.fixture
def in_alpha(alpha):
    with schema_context(alpha.schema):
        yield alpha


def make_leads(n: int, *, status: str = LeadStatus.NEW, **fields) -> list[Lead]:
    company = Company.objects.create(name="Acme", industry="roofing", employee_count=80)
    contacts = Contact.objects.bulk_create(
        [Contact(first_name=f"P{i}", company=company if i % 2 else None) for i in range(n)]
    )
    now = timezone.now()
    return Lead.objects.bulk_create(
        [Lead(contact=c, status=status, status_changed_at=now, **fields) for c in contacts]
    )


def make_history(n: int = 300, *, seed: int = 7) -> list[Lead]:
    """Outcomes driven by a custom number field (`budget`) and the source; `duration` is a
    perfect leak of the outcome that the model must never see."""
    custom_field_define(entity="lead", key="budget", label="Budget", field_type="number")
    custom_field_define(entity="lead", key="duration", label="Call length", field_type="number")
    custom_field_define(entity="lead", key="region", label="Region", field_type="choice",
                        choices=["north", "south"])  # fmt: skip
    rng = random.Random(seed)
    contacts = Contact.objects.bulk_create([Contact(first_name=f"H{i}") for i in range(n)])
    leads, start = [], timezone.now() - timedelta(days=400)
    for contact in contacts:
        budget = rng.uniform(0, 100)
        source = rng.choice(["referral", "web", "ads"])
        logit = (budget - 50) / 12 + (1.5 if source == "referral" else -0.5)
        won = rng.random() < 1 / (1 + 2.718**-logit)
        leads.append(Lead(
            contact=contact, source=source,
            status=LeadStatus.CONVERTED if won else LeadStatus.LOST,
            custom={"budget": round(budget, 1), "duration": 900 if won else 30,
                    "region": rng.choice(["north", "south"])},
        ))  # fmt: skip
    leads = Lead.objects.bulk_create(leads)
    for i, lead in enumerate(leads):  # created_at is auto_now_add: spread it for the split
        lead.created_at = start + timedelta(days=i)
        lead.status_changed_at = lead.created_at + timedelta(days=5)
    Lead.objects.bulk_update(leads, ["created_at", "status_changed_at"])
    return leads
