"""Reads other apps use (forecast, next best action). The signature of
`deal_win_probability_map` is a contract: the forecast calls it for thousands of open deals."""

from __future__ import annotations

from crm.deals.models import Deal

from .models import DealScore


def deal_score_latest(*, deal_id: int) -> DealScore | None:
    return (
        DealScore.objects.filter(deal_id=deal_id)
        .select_related("model_version")
        .order_by("-scored_at", "-id")
        .first()
    )


def deal_score_latest_map(*, deal_ids: list[int]) -> dict[int, DealScore]:
    """The newest score of each deal that has one: one DISTINCT ON query."""
    rows = (
        DealScore.objects.filter(deal_id__in=deal_ids)
        .order_by("deal_id", "-scored_at", "-id")
        .distinct("deal_id")
    )
    return {row.deal_id: row for row in rows}


def deal_win_probability_map(*, deal_ids: list[int]) -> dict[int, float]:
    """{deal_id: P(win) in 0..1}, two queries whatever the number of deals.

    Won deals 1.0, lost 0.0; an open deal's newest stored score (the trained model's, or the
    rules' in cold start); a deal never scored yet falls back to its stage's probability."""
    rows = list(
        Deal.objects.filter(pk__in=deal_ids).values_list(
            "pk", "stage__probability", "stage__is_won", "stage__is_lost"
        )
    )
    open_ids = [pk for pk, _, won, lost in rows if not (won or lost)]
    stored = dict(
        DealScore.objects.filter(deal_id__in=open_ids)
        .order_by("deal_id", "-scored_at", "-id")
        .distinct("deal_id")
        .values_list("deal_id", "win_probability")
    )
    result: dict[int, float] = {}
    for pk, probability, is_won, is_lost in rows:
        if is_won or is_lost:
            result[pk] = 1.0 if is_won else 0.0
        else:
            result[pk] = stored.get(pk, (probability or 0) / 100)
    return result
