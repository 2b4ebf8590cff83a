"""Synthetic customer histories (bulk_create: speed, not services) and API clients."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.activities.models import Activity
from crm.contacts.models import Company, Contact
from crm.deals.models import Deal, Stage
from crm.deals.services import pipeline_ensure_default
from crm.team.apikeys import api_key_create

from ..api.conftest import ApiClient

_n = itertools.count()
DAY = timedelta(days=1)


@pytest.fixture
def in_alpha(alpha):
    with schema_context(alpha.schema):
        yield alpha


def stages() -> tuple[Stage, Stage, Stage]:
    pipeline = pipeline_ensure_default()
    open_ = pipeline.stages.filter(is_won=False, is_lost=False).order_by("position").first()
    return open_, pipeline.stages.get(is_won=True), pipeline.stages.get(is_lost=True)


def make_company(*, stage: str = "customer", became: datetime | None = None,
                 churned: datetime | None = None, **fields) -> Company:  # fmt: skip
    return Company.objects.create(
        name=fields.pop("name", f"Co {next(_n)}"), lifecycle_stage=stage,
        became_customer_at=became, churned_at=churned, **fields,
    )  # fmt: skip


def add_activities(company: Company, times: list[datetime], direction: str = "outbound") -> None:
    Activity.objects.bulk_create(
        [Activity(company=company, kind="call", direction=direction, occurred_at=t) for t in times]
    )


def add_won(company: Company | None, wins: list[tuple[datetime, Decimal | int]],
            contact: Contact | None = None) -> list[Deal]:  # fmt: skip
    _, won, _ = stages()
    deals = Deal.objects.bulk_create([
        Deal(name=f"D{next(_n)}", company=company, primary_contact=contact, amount=amount,
             pipeline=won.pipeline, stage=won, closed_at=at)
        for at, amount in wins
    ])  # fmt: skip
    return deals


def make_history(n: int = 150, *, seed: int = 11, now: datetime | None = None) -> list[Company]:
    """Customers whose activity dries up in the months before they churn (and whose purchases
    stop before that); healthier ones are busier and buy more."""
    rng, now = random.Random(seed), now or timezone.now()
    companies, activities, deals = [], [], []
    _, won, _ = stages()
    for i in range(n):
        start = now - rng.randint(240, 1000) * DAY
        health = rng.random()
        churns = rng.random() < 0.55 - 0.4 * health
        end = start + rng.randint(150, (now - start).days) * DAY if churns else now
        company = Company(
            name=f"H{i}", industry=rng.choice(["roofing", "dental", "legal"]),
            employee_count=rng.randint(2, 200), lifecycle_stage="churned" if churns else "customer",
            became_customer_at=start, churned_at=end if churns else None,
        )  # fmt: skip
        companies.append(company)
        quiet_from = end - rng.randint(60, 110) * DAY if churns else end
        per_month = 1 + 4 * health
        t = start
        while True:
            t += rng.expovariate(per_month / 30) * DAY
            if t >= quiet_from:
                break
            activities.append((i, t, rng.random() < 0.4))
        t = start
        while True:
            t += rng.randint(60, 150) * DAY
            if t >= quiet_from - 30 * DAY:
                break
            deals.append((i, t, Decimal(rng.randint(500, 1000 + int(4000 * health)))))
    companies = Company.objects.bulk_create(companies)
    Activity.objects.bulk_create([
        Activity(company=companies[i], kind="sms", occurred_at=t,
                 direction="inbound" if inbound else "outbound")
        for i, t, inbound in activities
    ])  # fmt: skip
    Deal.objects.bulk_create([
        Deal(name=f"W{i}", company=companies[i], amount=amount, pipeline=won.pipeline,
             stage=won, closed_at=t)
        for i, t, amount in deals
    ])  # fmt: skip
    return companies


@pytest.fixture
def key_client():
    def make(ws, scopes: list[str]) -> ApiClient:
        with schema_context(ws.schema):
            issued = api_key_create(name=f"churn key {next(_n)}", scopes=scopes)
        return ApiClient(host=ws.host, secret=issued.secret)

    return make
