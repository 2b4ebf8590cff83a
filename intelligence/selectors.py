from __future__ import annotations

from collections.abc import Iterable

from .models import LeadScore, ModelKind, ModelVersion


def lead_score_latest_map(*, lead_ids: Iterable[int]) -> dict[int, LeadScore]:
    """The current (latest) score of each lead that has one; one query."""
    latest = (
        LeadScore.objects.filter(lead_id__in=list(lead_ids))
        .order_by("lead_id", "-scored_at", "-id")
        .distinct("lead_id")
    )
    return {score.lead_id: score for score in latest}


def lead_score_latest(*, lead_id: int) -> LeadScore | None:
    return LeadScore.objects.filter(lead_id=lead_id).order_by("-scored_at", "-id").first()


def model_version_list(*, kind: str = ModelKind.LEAD_SCORE):
    return ModelVersion.objects.filter(kind=kind).defer("artifact").order_by("-version")
