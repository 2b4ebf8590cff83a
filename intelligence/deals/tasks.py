"""Celery tasks of deal intelligence. Each takes ids and calls one service; running one twice
only writes the same score again (a new history row)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django_tenants.utils import schema_context

from crm.tenancy.celery import PlatformTask, TenantTask
from crm.tenancy.selectors import workspace_list_active

from . import services


@shared_task(base=TenantTask, name="intelligence.deals.rescore", ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)  # fmt: skip
def deal_rescore(refs: dict[str, list[int]]) -> int:
    """Rescore the deals that changed events point at (deal, contact, company, activity ids)."""
    return services.deal_rescore_refs(refs=refs)


@shared_task(base=TenantTask, name="intelligence.deals.workspace_nightly_sweep",
             ignore_result=True)  # fmt: skip
def deal_workspace_nightly_sweep() -> int:
    """Score open deals whose latest score is older than a day (or that were never scored):
    a backstop behind the nightly rescoring of every kind, which normally leaves nothing."""
    return services.deal_scores_rescore_stale()


@shared_task(base=PlatformTask, name="intelligence.deals.platform_nightly_sweep",
             ignore_result=True)  # fmt: skip
def deal_platform_nightly_sweep() -> int:
    """Beat's entry point (03:30 UTC): fan out to each active workspace."""
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            deal_workspace_nightly_sweep.delay()
    return len(schemas)
