"""Deals with controlled histories for the deal intelligence tests (ORM writes, so ages, stage
stays and activity times are exactly what a test says)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.contacts.models import Company, Contact
from crm.deals.models import Deal, DealContact, DealStageChange, Pipeline, Stage


@pytest.fixture
def in_alpha(alpha):
    with schema_context(alpha.schema):
        yield alpha


def stage(name: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, name=name)


def make_deal(
    *,
    name: str = "Deal",
    stage_name: str = "Qualified",
    amount: float = 1000,
    contacts: int = 2,
    age_days: float = 10,
    in_stage_days: float | None = None,
    close_in_days: int | None = 30,
    closed_days_ago: float | None = None,
    company: Company | None = None,
    custom: dict | None = None,
    phone: str = "",
    email: str = "",
) -> Deal:
    now = timezone.now()
    target = stage(stage_name)
    pipeline = Pipeline.objects.get(is_default=True)
    people = [
        Contact.objects.create(first_name=f"{name} {i}", phone=phone if i == 0 else "",
                               email=email if i == 0 else "")
        for i in range(contacts)
    ]  # fmt: skip
    created = now - timedelta(days=age_days)
    closed = now - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    entered = (
        closed
        if closed
        else now - timedelta(days=age_days if in_stage_days is None else in_stage_days)
    )
    deal = Deal.objects.create(
        name=name, pipeline=pipeline, stage=target, amount=Decimal(str(amount)),
        expected_close_date=(now + timedelta(days=close_in_days)).date()
        if close_in_days is not None else None,
        company=company, custom=custom or {}, primary_contact=people[0] if people else None,
        closed_at=closed, stage_changed_at=entered,
    )  # fmt: skip
    Deal.objects.filter(pk=deal.pk).update(created_at=created)
    deal.refresh_from_db()
    for person in people:
        DealContact.objects.create(deal=deal, contact=person)
    first = stage("New")
    changes = [(None, first, created)]
    if target != first:
        changes.append((first, target, entered))
    for before, after, at in changes:
        row = DealStageChange.objects.create(deal=deal, from_stage=before, to_stage=after)
        DealStageChange.objects.filter(pk=row.pk).update(changed_at=at)
    return deal


def log_activity(deal: Deal, *, days_ago: float, kind: str = "call",
                 direction: str = "outbound", **links) -> Activity:  # fmt: skip
    links = links or {"deal": deal}
    return Activity.objects.create(
        kind=kind,
        direction=direction,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        **links,
    )


def make_closed_history(n: int = 160, *, seed: int = 5) -> list[Deal]:
    """Closed deals over ~400 days (bulk writes). Winning is driven by stakeholders and
    engagement before the close; every won deal also gets 6 calls in the days *after* its
    close (onboarding): a feature that counted them would learn the answer."""
    rng = random.Random(seed)
    pipeline = Pipeline.objects.get(is_default=True)
    new, won, lost = stage("New"), stage("Won"), stage("Lost")
    middle = [stage("Qualified"), stage("Proposal"), stage("Negotiation")]
    now = timezone.now()
    plans = []
    for i in range(n):
        people, calls = rng.randint(1, 4), rng.randint(0, 8)
        logit = (people - 2.5) * 1.1 + (calls - 4) * 0.45 + rng.gauss(0, 0.6)
        is_won = rng.random() < 1 / (1 + 2.718**-logit)
        created = now - timedelta(days=420 - i * 2.4)
        closed = created + timedelta(days=rng.randint(15, 40))
        plans.append((people, calls, is_won, created, closed, rng.choice(middle)))
    deals = Deal.objects.bulk_create([
        Deal(name=f"H{i}", pipeline=pipeline, stage=won if w else lost,
             amount=Decimal(rng.randint(500, 20000)), closed_at=closed, stage_changed_at=closed,
             lost_reason="" if w else "price")
        for i, (_, _, w, _, closed, _) in enumerate(plans)
    ])  # fmt: skip
    for deal, plan in zip(deals, plans, strict=True):
        deal.created_at = plan[3]
    Deal.objects.bulk_update(deals, ["created_at"])
    contacts = Contact.objects.bulk_create(
        [Contact(first_name=f"H{i}-{j}") for i, p in enumerate(plans) for j in range(p[0])]
    )
    links, changes, activities, used = [], [], [], 0
    for deal, (people, calls, is_won, created, closed, reached) in zip(deals, plans, strict=True):
        links += [DealContact(deal=deal, contact=c) for c in contacts[used : used + people]]
        used += people
        middle_at = created + (closed - created) / 2
        for before, after, at in ((None, new, created), (new, reached, middle_at),
                                  (reached, won if is_won else lost, closed)):  # fmt: skip
            changes.append((DealStageChange(deal=deal, from_stage=before, to_stage=after), at))
        span = (closed - created).total_seconds()
        times = [created + timedelta(seconds=rng.uniform(0, span)) for _ in range(calls)]
        if is_won:  # after the outcome: must never count
            times += [closed + timedelta(days=d) for d in (1, 2, 3, 4, 5, 6)]
        activities += [Activity(kind="call", direction="outbound", deal=deal, occurred_at=t)
                       for t in times]  # fmt: skip
    DealContact.objects.bulk_create(links)
    rows = DealStageChange.objects.bulk_create([row for row, _ in changes])
    for row, (_, at) in zip(rows, changes, strict=True):
        row.changed_at = at
    DealStageChange.objects.bulk_update(rows, ["changed_at"])
    Activity.objects.bulk_create(activities)
    return deals
