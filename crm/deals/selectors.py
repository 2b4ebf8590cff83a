"""Reads for deals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet

from .models import Deal, DealContact, DealStageChange, Pipeline, Stage


def deal_list_closing_between(*, owner, start: date, end: date) -> QuerySet[Deal]:
    """The owner's open deals (stage neither won nor lost) expected to close in [start, end]."""
    return (
        Deal.objects.filter(
            owner=owner,
            expected_close_date__gte=start,
            expected_close_date__lte=end,
            stage__is_won=False,
            stage__is_lost=False,
        )
        .select_related("stage", "company", "primary_contact")
        .order_by("expected_close_date", "id")
    )


def deal_list_for_contact(*, contact) -> QuerySet[Deal]:
    """Deals the contact is primary on or takes part in."""
    return (
        Deal.objects.filter(Q(primary_contact=contact) | Q(contact_roles__contact=contact))
        .select_related("stage", "owner")
        .distinct()
    )


def deal_list_for_company(*, company) -> QuerySet[Deal]:
    return Deal.objects.filter(company=company).select_related("stage", "owner")


# --- the pipeline board (kanban) and the deal page -------------------------------------------


@dataclass
class BoardColumn:
    stage: Stage
    deals: list[Deal] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.deals)

    @property
    def total(self) -> Decimal:
        return sum((d.amount for d in self.deals), Decimal("0"))

    @property
    def weighted(self) -> Decimal:
        # Expected value: each stage's win probability applied to its deals' amounts.
        return (self.total * self.stage.probability / 100).quantize(Decimal("0.01"))


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn]

    @property
    def total(self) -> Decimal:
        return sum((c.total for c in self.columns), Decimal("0"))

    @property
    def weighted(self) -> Decimal:
        return sum((c.weighted for c in self.columns), Decimal("0"))


def pipeline_list_active() -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(archived=False).order_by("position", "id")


def pipeline_for_board(*, pipeline_id: int | None, pipelines: list[Pipeline]) -> Pipeline | None:
    """The asked-for pipeline, else the default, else the first: from an already-loaded list,
    so switching pipelines costs no query."""
    by_id = {p.pk: p for p in pipelines}
    if pipeline_id in by_id:
        return by_id[pipeline_id]
    return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)


def deal_board(
    *,
    pipeline: Pipeline,
    owner_id: int | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
) -> Board:
    """Columns per stage with their deals: two queries whatever the number of deals."""
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    deals = Deal.objects.filter(pipeline=pipeline).select_related("company", "owner")
    if owner_id is not None:
        deals = deals.filter(owner_id=owner_id)
    if close_from is not None:
        deals = deals.filter(expected_close_date__gte=close_from)
    if close_to is not None:
        deals = deals.filter(expected_close_date__lte=close_to)
    columns = {stage.pk: BoardColumn(stage=stage) for stage in stages}
    ordered = deals.order_by(F("expected_close_date").asc(nulls_last=True), "-amount", "id")
    for deal in ordered:
        if deal.stage_id in columns:
            deal.stage = columns[deal.stage_id].stage  # no lazy load per card
            columns[deal.stage_id].deals.append(deal)
    return Board(pipeline=pipeline, columns=list(columns.values()))


def deal_get_for_page(*, deal_id: int) -> Deal:
    """One deal with what its page shows: contacts with roles and the stage history."""
    return (
        Deal.objects.select_related("pipeline", "stage", "company", "owner", "primary_contact")
        .prefetch_related(
            Prefetch(
                "contact_roles",
                queryset=DealContact.objects.select_related("contact").order_by("id"),
            ),
            Prefetch(
                "stage_changes",
                queryset=DealStageChange.objects.select_related(
                    "from_stage", "to_stage", "changed_by"
                ),
            ),
        )
        .get(pk=deal_id)
    )
