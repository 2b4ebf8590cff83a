"""Reads of conversation insights."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import ActivityInsight, Competitor


def insights_for_activities(*, activity_ids: Iterable[int]) -> dict[int, ActivityInsight]:
    """activity id -> its insight, for a whole timeline page in one query."""
    ids = [i for i in activity_ids if i]
    if not ids:
        return {}
    return {i.activity_id: i for i in ActivityInsight.objects.filter(activity_id__in=ids)}


_ACTIVITY_LINKS = ("activity", "activity__lead", "activity__lead__contact", "activity__deal",
                   "activity__contact", "activity__company", "activity__actor")  # fmt: skip


def insight_get(*, activity_id: int) -> ActivityInsight | None:
    return (
        ActivityInsight.objects.select_related(*_ACTIVITY_LINKS)
        .filter(activity_id=activity_id)
        .first()
    )


def competitor_list_active() -> QuerySet[Competitor]:
    return Competitor.objects.filter(is_active=True)
