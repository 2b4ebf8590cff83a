"""Beat's daily job: each workspace takes the snapshots of a period that has just started."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django_tenants.utils import schema_context

from crm.tenancy.celery import PlatformTask, TenantTask
from crm.tenancy.selectors import workspace_list_active

from .services import forecast_snapshots_due


@shared_task(base=TenantTask, name="intelligence.forecast_snapshot", ignore_result=True)
def forecast_snapshot(today: str | None = None) -> dict[str, int]:
    """Idempotent: a period that already has its snapshot is skipped."""
    return forecast_snapshots_due(today=date.fromisoformat(today) if today else None)


@shared_task(base=PlatformTask, name="intelligence.forecast_snapshot_platform", ignore_result=True)
def forecast_snapshot_platform(today: str | None = None) -> int:
    """Fan out to every active workspace (each decides "today" in its own time zone unless
    `today`, an ISO date, is given: a backfill or a test)."""
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            forecast_snapshot.delay(today)
    return len(schemas)
