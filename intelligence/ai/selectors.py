"""Reads for the admin's usage reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay

from .budget import month_spend, month_start
from .models import AISettings, AIUsage

_TOTALS = dict(
    calls=Count("id"),
    tokens_in=Sum("tokens_in"),
    tokens_out=Sum("tokens_out"),
    cost_usd=Sum("cost_usd"),
    avg_latency_ms=Avg("latency_ms"),
    builtin=Count("id", filter=Q(provider="builtin")),
    fallbacks=Count("id", filter=~Q(fallback_reason="")),
    accepted=Count("id", filter=Q(outcome="accepted")),
    edited=Count("id", filter=Q(outcome="edited")),
    discarded=Count("id", filter=Q(outcome="discarded")),
)


def usage_in_month(*, month: dt.date) -> QuerySet[AIUsage]:
    start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    end_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    end = dt.datetime.combine(end_month, dt.time(), tzinfo=dt.UTC)
    return AIUsage.objects.filter(created_at__gte=start, created_at__lt=end)


def usage_report(*, month: dt.date | None = None) -> dict[str, Any]:
    """Totals for a month by feature, by user and by day, with the budget beside them."""
    month = month or month_start()
    rows = usage_in_month(month=month)
    config = AISettings.objects.first()
    budget = config.monthly_budget_usd if config is not None else None
    spent = month_spend(month=month)
    return {
        "month": month,
        "totals": rows.aggregate(**_TOTALS),
        "by_feature": list(
            rows.values("feature").annotate(**_TOTALS).order_by("-cost_usd", "feature")
        ),
        "by_user": list(
            rows.values("user_id", "user__email", "user__full_name")
            .annotate(**_TOTALS)
            .order_by("-cost_usd", "user__email")
        ),
        "by_day": list(
            rows.annotate(day=TruncDay("created_at", tzinfo=dt.UTC))
            .values("day")
            .annotate(**_TOTALS)
            .order_by("day")
        ),
        "by_engine": list(rows.values("engine").annotate(**_TOTALS).order_by("-calls")),
        "budget": budget,
        "spent": spent,
        "budget_share": int(spent / budget * 100) if budget else None,
    }


def usage_months() -> list[dt.date]:
    """Months that have usage, newest first (for the report's month picker)."""
    from .models import AISpend

    return list(AISpend.objects.order_by("-month").values_list("month", flat=True)[:24]) or [
        month_start()
    ]
