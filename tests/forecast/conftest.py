"""Deals for the forecast tests, written with the ORM (bulk: speed, not services), with
`closed_at` and `expected_close_date` set by hand so the numbers can be computed on paper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from crm.deals.models import Deal, Pipeline, Stage
from crm.deals.services import pipeline_create
from crm.team.models import Role
from tests.api.conftest import api, beta_api, client_for, make_key  # noqa: F401  (API fixtures)

TODAY = date(2026, 11, 5)  # "today" in the tests: the 2026-11 period is under way


@dataclass
class Book:
    """A pipeline with stages by name and helpers to add deals to it."""

    pipeline: Pipeline
    stages: dict[str, Stage]

    def deal(
        self, *, amount, stage: str = "Low", close: date | None = None, owner=None,
        currency: str = "USD", closed_at: datetime | None = None, name: str = "D",
    ) -> Deal:  # fmt: skip
        return Deal.objects.create(
            name=name,
            amount=Decimal(str(amount)),
            currency=currency,
            pipeline=self.pipeline,
            stage=self.stages[stage],
            expected_close_date=close,
            owner=owner,
            closed_at=closed_at,
        )


def make_book(name: str = "Forecast") -> Book:
    pipeline = pipeline_create(
        name=name,
        stages=[
            ("Low", 20, False, False),
            ("Mid", 50, False, False),
            ("High", 80, False, False),
            ("Won", 100, True, False),
            ("Lost", 0, False, True),
        ],
    )
    return Book(pipeline=pipeline, stages={s.name: s for s in pipeline.stages.all()})


def won_at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.fixture
def team(alpha):
    """alpha's manager and two reps."""
    return {
        "manager": alpha.make_user(email="fc.manager@alpha.test", role=Role.MANAGER),
        "rep1": alpha.make_user(email="fc.rep1@alpha.test"),
        "rep2": alpha.make_user(email="fc.rep2@alpha.test"),
    }


@pytest.fixture
def november(alpha, team):
    """Hand-computable 2026-11 book in alpha (see test_forecast_service for the sums).

    rep1: open 1000 @20 %, 2000 @50 %; rep2: open 3000 @80 %, 0 @50 % (no amount);
    unassigned: open 500 @50 %; won 700 (rep1, 3 Nov); outside the period or not open: won in
    October, open in December, lost, no close date, overdue (September)."""
    with schema_context(alpha.schema):
        book = make_book()
        r1, r2 = team["rep1"], team["rep2"]
        nov = date(2026, 11, 20)
        deals = {
            "a": book.deal(amount=1000, stage="Low", close=nov, owner=r1),
            "b": book.deal(amount=2000, stage="Mid", close=date(2026, 11, 30), owner=r1),
            "c": book.deal(amount=3000, stage="High", close=date(2026, 11, 1), owner=r2),
            "zero": book.deal(amount=0, stage="Mid", close=nov, owner=r2),
            "unassigned": book.deal(amount=500, stage="Mid", close=nov),
            "won": book.deal(
                amount=700, stage="Won", close=nov, owner=r1, closed_at=won_at(date(2026, 11, 3))
            ),
            "won_oct": book.deal(
                amount=900, stage="Won", close=nov, owner=r1, closed_at=won_at(date(2026, 10, 30))
            ),
            "dec": book.deal(amount=5000, stage="High", close=date(2026, 12, 1), owner=r1),
            "lost": book.deal(
                amount=4000, stage="Lost", close=nov, owner=r2, closed_at=won_at(date(2026, 11, 4))
            ),
            "undated": book.deal(amount=6000, stage="Mid", owner=r2),
            "overdue": book.deal(amount=8000, stage="Mid", close=date(2026, 9, 15), owner=r2),
        }
    return book, deals
