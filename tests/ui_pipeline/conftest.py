"""Deals on alpha's default pipeline ("Sales": New 10 %, Qualified 25 %, …, Won, Lost)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.contacts.services import company_create
from crm.deals.models import Deal, Pipeline, Stage
from crm.deals.services import deal_create


class Sales:
    """Alpha's default pipeline and a deal factory, used inside alpha's schema."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        with schema_context(schema):
            self.pipeline = Pipeline.objects.get(is_default=True)
            self.stages = {s.name: s for s in self.pipeline.stages.all()}

    def stage(self, name: str) -> Stage:
        return self.stages[name]

    def deal(self, name: str, *, stage: str = "New", amount: str = "1000", owner=None) -> Deal:
        with schema_context(self.schema):
            company = company_create(name=f"{name} Inc")
            return deal_create(
                name=name,
                stage=self.stages[stage],
                amount=Decimal(amount),
                owner=owner,
                company=company,
            )


@pytest.fixture
def sales(alpha) -> Sales:
    return Sales(alpha.schema)
