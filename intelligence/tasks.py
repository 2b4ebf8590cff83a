from __future__ import annotations

from celery import shared_task

from crm.tenancy.celery import TenantTask

from .services import TrainingInProgress, lead_score_model_train


@shared_task(base=TenantTask, name="intelligence.train_lead_score", bind=True)
def train_lead_score(self) -> int | None:
    """Train in the message's workspace; returns the new version number or None (cold start,
    or another training already running: not retried, the running one will finish)."""
    try:
        version = lead_score_model_train()
    except TrainingInProgress:
        return None
    return version.version if version else None
