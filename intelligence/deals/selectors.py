"""Reads other apps use (forecast, next best action). The signature is a contract: the forecast
calls `deal_win_probability_map` for thousands of open deals at once."""

from __future__ import annotations

from crm.deals.models import Deal


def deal_win_probability_map(*, deal_ids: list[int]) -> dict[int, float]:
    """{deal_id: P(win) in 0..1} for the given deals, in a constant number of queries.

    Baseline until the deal-win model lands: the stage's probability (won 1.0, lost 0.0)."""
    rows = Deal.objects.filter(pk__in=deal_ids).values_list(
        "pk", "stage__probability", "stage__is_won", "stage__is_lost"
    )
    result: dict[int, float] = {}
    for pk, probability, is_won, is_lost in rows:
        result[pk] = 1.0 if is_won else 0.0 if is_lost else (probability or 0) / 100
    return result
