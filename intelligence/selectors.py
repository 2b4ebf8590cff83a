from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from crm.activities.models import Activity, Task
from crm.leads.models import Lead
from crm.leads.status import OPEN_STATUSES

from .models import LeadScore, ModelKind, ModelVersion, TrainingRun


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


def lead_score_current(*, lead_id: int) -> LeadScore | None:
    """The latest score with its model version (never the artifact bytes); one query."""
    return (
        LeadScore.objects.filter(lead_id=lead_id)
        .select_related("model_version")
        .defer("model_version__artifact")
        .order_by("-scored_at", "-id")
        .first()
    )


def lead_score_history(*, lead_id: int, limit: int = 10) -> list[LeadScore]:
    """The lead's latest scores, newest first (the lead page's history)."""
    rows = LeadScore.objects.filter(lead_id=lead_id).order_by("-scored_at", "-id")
    return list(
        rows.only("id", "lead_id", "score", "temperature", "model_label", "scored_at")[:limit]
    )


def model_version_list(*, kind: str | None = ModelKind.LEAD_SCORE) -> QuerySet[ModelVersion]:
    """Versions without their artifact bytes, newest first; `kind=None` lists every kind."""
    qs = ModelVersion.objects.defer("artifact")
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "-version")


def model_version_get(*, version_id: int) -> ModelVersion | None:
    return ModelVersion.objects.defer("artifact").filter(pk=version_id).first()


def model_version_problems() -> list[ModelVersion]:
    """Active versions whose artifact could not be used (their kind scores with the rules)."""
    return list(
        ModelVersion.objects.defer("artifact")
        .filter(status=ModelVersion.Status.ACTIVE)
        .exclude(problem="")
        .order_by("kind")
    )


def training_run_latest(*, version: ModelVersion) -> TrainingRun | None:
    return (
        TrainingRun.objects.select_related("requested_by")
        .filter(model_version=version)
        .order_by("-started_at", "-id")
        .first()
    )


def lead_ids_for_refs(*, refs: dict[str, list[int]]) -> list[int]:
    """The leads whose data or timeline the referenced records changed: leads themselves,
    the leads of activities and tasks, the open leads of contacts and companies, the leads an
    import wrote."""
    ids: set[int] = {int(pk) for pk in refs.get("lead", [])}
    if refs.get("activity"):
        rows = Activity.objects.filter(pk__in=refs["activity"], lead_id__isnull=False)
        ids.update(rows.values_list("lead_id", flat=True))
    if refs.get("task"):
        rows = Task.objects.filter(pk__in=refs["task"], lead_id__isnull=False)
        ids.update(rows.values_list("lead_id", flat=True))
    related = Q()
    if refs.get("contact"):
        related |= Q(contact_id__in=refs["contact"])
    if refs.get("company"):
        related |= Q(contact__company_id__in=refs["company"])
    if related:
        open_leads = Lead.objects.filter(related, status__in=OPEN_STATUSES)
        ids.update(open_leads.values_list("pk", flat=True))
    if refs.get("import"):
        ids.update(_lead_ids_of_imports(refs["import"]))
    return sorted(ids)


def _lead_ids_of_imports(job_ids: list[int]) -> list[int]:
    # Imports write leads in bulk without per-row events: take what changed since they began.
    from crm.imports.models import ImportJob

    starts = [
        job.started_at or job.created_at
        for job in ImportJob.objects.filter(pk__in=job_ids).only("started_at", "created_at")
    ]
    if not starts:
        return []
    return list(Lead.objects.filter(updated_at__gte=min(starts)).values_list("pk", flat=True))
