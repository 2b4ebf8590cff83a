"""A small, believable book of business for the demo workspace, written through the same
services the app uses (so timelines, audit, search and scores are filled the usual way):
companies, contacts with leads in every status, a pipeline of deals closing this month and
next, and a timeline of calls, texts and notes. Seeded once: a workspace with leads is left
alone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm.activities.models import Activity
from crm.activities.services import activity_log
from crm.contacts.services import company_create, contact_create
from crm.deals.models import Stage
from crm.deals.services import deal_create, pipeline_ensure_default
from crm.leads.models import Lead, LeadStatus
from crm.leads.services import lead_create, lead_transition
from crm.team.models import User

# (first, last, city, source, interest, estimated value, status, inbound reply or "")
PEOPLE = [
    ("Dana", "Reyes", "Austin", "referral", "Roof replacement", 18500, LeadStatus.ENGAGED,
     "Yes please, can you come Saturday to look at the damage?"),
    ("Marcus", "Lee", "Round Rock", "google_ads", "Storm repair", 9200, LeadStatus.NEW, ""),
    ("Priya", "Shah", "Austin", "website", "Gutters", 2400, LeadStatus.CONTACTED,
     "How much would new gutters cost for a two-story house?"),
    ("Tom", "Baker", "Pflugerville", "door_knock", "Roof inspection", 600, LeadStatus.NEW, ""),
    ("Elena", "García", "San Marcos", "referral", "Roof replacement", 22000,
     LeadStatus.QUALIFIED, "Sounds good, send me the quote and we'll decide this week"),
    ("Kevin", "O'Neil", "Austin", "facebook", "Skylight", 3100, LeadStatus.CONTACTED,
     "not interested anymore, thanks"),
    ("Grace", "Kim", "Cedar Park", "google_ads", "Roof replacement", 16800, LeadStatus.ENGAGED,
     "Can we do a call tomorrow at 10?"),
    ("Luis", "Ortega", "Kyle", "website", "Storm repair", 7400, LeadStatus.NEW, ""),
    ("Hannah", "Wright", "Austin", "referral", "Solar-ready roof", 27500, LeadStatus.QUALIFIED,
     "We're comparing you with Summit Roofing, what's your warranty?"),
    ("Omar", "Haddad", "Georgetown", "door_knock", "Gutters", 1900, LeadStatus.LOST, ""),
    ("Sofia", "Rossi", "Austin", "facebook", "Roof inspection", 450, LeadStatus.NEW, ""),
    ("Jamal", "Carter", "Round Rock", "google_ads", "Roof replacement", 19900,
     LeadStatus.CONTACTED, "wrong number, I never asked for a roof"),
]  # fmt: skip

# (deal name, company, stage, amount, days until the expected close)
DEALS = [
    ("Hill Country Dental — flat roof", "Hill Country Dental", "Proposal", 48000, 12),
    ("Lakeside HOA — 12 roofs", "Lakeside HOA", "Negotiation", 126000, 20),
    ("Bluebonnet Cafe — storm repair", "Bluebonnet Cafe", "Qualified", 14500, 9),
    ("Lakeside HOA — gutters", "Lakeside HOA", "New", 22000, 45),
    ("Hill Country Dental — skylights", "Hill Country Dental", "Won", 9800, -10),
]


_PATH = [LeadStatus.CONTACTED, LeadStatus.ENGAGED, LeadStatus.QUALIFIED]


def _walk_to(lead: Lead, status: str, *, actor: User) -> None:
    """Through the status machine, as a rep would (lost with a reason)."""
    if status == LeadStatus.LOST:
        lead_transition(lead=lead, to_status=status, reason="Went with a cheaper quote",
                        actor=actor, origin="demo")  # fmt: skip
        return
    if status in _PATH:
        for step in _PATH[: _PATH.index(status) + 1]:
            lead = lead_transition(lead=lead, to_status=step, actor=actor, origin="demo")


@transaction.atomic
def demo_records_seed(*, owners: list[User], manager: User) -> bool:
    """Seed the records once; False if the workspace already has leads."""
    if Lead.objects.exists() or not owners:
        return False
    now = timezone.now()
    for index, (first, last, city, source, interest, value, status, reply) in enumerate(PEOPLE):
        owner = owners[index % len(owners)]
        contact = contact_create(
            first_name=first, last_name=last, city=city, region="TX", country="US",
            phone=f"+1512555{index:04d}", email=f"{first.lower()}.{index}@example.com",
            actor=manager, origin="demo",
        )  # fmt: skip
        lead = lead_create(
            contact=contact, source=source, interest=interest, owner=owner,
            estimated_value=Decimal(value), actor=manager, origin="demo",
        )  # fmt: skip
        _walk_to(lead, status, actor=owner)
        if status != LeadStatus.NEW:
            activity_log(
                kind=Activity.Kind.CALL, direction=Activity.Direction.OUTBOUND, lead=lead,
                contact=contact, actor=owner, subject=f"Intro call about {interest.lower()}",
                occurred_at=now - timedelta(days=3, hours=index), duration_seconds=180,
            )  # fmt: skip
        if reply:
            activity_log(
                kind=Activity.Kind.SMS, direction=Activity.Direction.INBOUND, lead=lead,
                contact=contact, body=reply, occurred_at=now - timedelta(hours=index + 1),
            )  # fmt: skip
    pipeline = pipeline_ensure_default()
    stages = {stage.name: stage for stage in Stage.objects.filter(pipeline=pipeline)}
    companies = {}
    for index, (name, company_name, stage_name, amount, days) in enumerate(DEALS):
        if company_name not in companies:
            companies[company_name] = company_create(
                name=company_name, city="Austin", region="TX", country="US",
                actor=manager, origin="demo",
            )  # fmt: skip
        deal_create(
            name=name, pipeline=pipeline, stage=stages[stage_name], amount=Decimal(amount),
            company=companies[company_name], owner=owners[index % len(owners)],
            expected_close_date=(now + timedelta(days=days)).date(), actor=manager,
            origin="demo",
        )  # fmt: skip
    activity_log(
        kind=Activity.Kind.NOTE, company=companies["Lakeside HOA"], actor=manager,
        body="Board meeting went well. They asked about financing and the warranty; Summit "
        "Roofing also bid. Next step: send the revised proposal by Friday.",
    )  # fmt: skip
    return True
