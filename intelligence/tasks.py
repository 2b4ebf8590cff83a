"""Celery tasks of the model registry and of rescoring. Each takes ids and calls one service;
running one twice is harmless (a finished training run is not trained again, a rescoring
just writes the same score again)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django_tenants.utils import schema_context

from crm.team.models import User
from crm.tenancy.celery import PlatformTask, TenantTask
from crm.tenancy.selectors import workspace_list_active

from . import rescoring, services
from .registry import trainable_kinds


@shared_task(base=TenantTask, name="intelligence.train", ignore_result=True)
def train(kind: str, run_id: int | None = None, actor_id: int | None = None) -> str:
    """Train `kind` in the message's workspace, then rescore it; returns the run's status
    ("trained", "cold_start", "refused" when another training of the kind is running, …)."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return rescoring.model_train(kind=kind, run_id=run_id, actor=actor).status


@shared_task(base=TenantTask, name="intelligence.train_lead_score", ignore_result=True)
def train_lead_score() -> int | None:
    """The lead score's own entry point (kept for queued messages): the new version number,
    or None (cold start, or refused while another training runs)."""
    run = rescoring.model_train(kind="lead_score")
    return run.model_version.version if run.model_version_id else None


@shared_task(base=TenantTask, name="intelligence.rescore_pending", ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)  # fmt: skip
def rescore_pending(refs: dict[str, list[int]] | None = None) -> int:
    """Rescore the leads changed since the last run (the workspace's pending set, or the
    references carried by the message when Redis was unavailable)."""
    refs = refs or rescoring.rescore_pending_drain()
    return rescoring.rescore_refs(refs=refs) if refs else 0


@shared_task(base=TenantTask, name="intelligence.rescore_all", ignore_result=True)
def rescore_all(kind: str) -> int:
    return rescoring.model_rescore_all(kind=kind)


# --- nightly -----------------------------------------------------------------------------------


@shared_task(base=TenantTask, name="intelligence.workspace_nightly_training", ignore_result=True)
def workspace_nightly_training() -> list[str]:
    """Queue a training of every trainable kind, unless the workspace turned it off."""
    if not services.intelligence_settings_get().nightly_training:
        return []
    kinds = trainable_kinds()
    for kind in kinds:
        train.delay(kind)
    return kinds


@shared_task(base=TenantTask, name="intelligence.workspace_nightly_rescore", ignore_result=True)
def workspace_nightly_rescore() -> dict[str, int]:
    """Rescore every kind so scores age (days since the last activity grow every night)."""
    return {kind: rescoring.model_rescore_all(kind=kind) for kind in trainable_kinds()}


def _fan_out(task) -> int:
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            task.delay()
    return len(schemas)


@shared_task(base=PlatformTask, name="intelligence.platform_nightly_training", ignore_result=True)
def platform_nightly_training() -> int:
    """Beat's entry point (02:00 UTC): fan out to each active workspace."""
    return _fan_out(workspace_nightly_training)


@shared_task(base=PlatformTask, name="intelligence.platform_nightly_rescore", ignore_result=True)
def platform_nightly_rescore() -> int:
    """Beat's entry point (03:00 UTC, after the trainings): fan out to each workspace."""
    return _fan_out(workspace_nightly_rescore)
