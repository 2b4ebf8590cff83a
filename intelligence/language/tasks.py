"""Celery tasks of the language app: take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from crm.tenancy.celery import TenantTask
from intelligence.registry import TrainingInProgress

from . import services


@shared_task(base=TenantTask, name="intelligence.language_analyze_activity", ignore_result=True)
def analyze_activity(activity_id: int) -> None:
    services.activity_language_analyze(activity_id=activity_id)


@shared_task(base=TenantTask, name="intelligence.language_train_intent", bind=True, max_retries=5)
def train_intent(self) -> int | None:
    """Retrain the workspace's intent classifier with its corrections. If a training is
    already running, retry shortly so the newest correction is not left out."""
    try:
        version = services.intent_model_train()
    except TrainingInProgress as exc:
        raise self.retry(exc=exc, countdown=30) from exc
    return version.version if version else None


@shared_task(base=TenantTask, name="intelligence.language_backfill", ignore_result=True)
def backfill() -> dict[str, int]:
    return services.language_backfill()
