"""Celery tasks for webhook deliveries. They take ids and call one service; running one twice
is harmless (delivery_attempt claims the row, so a finished or not-yet-due delivery is left
alone)."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.db import OperationalError, connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.tenancy.celery import SCHEMA_HEADER, PlatformTask, TenantTask
from crm.tenancy.selectors import workspace_list_active

from .selectors import delivery_ids_due
from .services import delivery_attempt

logger = logging.getLogger(__name__)


def delivery_dispatch(*, delivery_id: int, schema: str, eta: datetime | None = None) -> None:
    """Send the deliver task for one delivery of the workspace `schema` (now or at `eta`)."""
    webhook_deliver.apply_async(args=[delivery_id], eta=eta, headers={SCHEMA_HEADER: schema})


@shared_task(base=TenantTask, name="webhooks.deliver", ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)  # fmt: skip
def webhook_deliver(delivery_id: int) -> str:
    result = delivery_attempt(delivery_id=delivery_id)
    if result.attempted and result.next_attempt_at is not None:
        # Backoff lives on the row (next_attempt_at, with jitter); the message just wakes us.
        delivery_dispatch(
            delivery_id=delivery_id, schema=connection.schema_name, eta=result.next_attempt_at
        )
    return result.status


@shared_task(base=TenantTask, name="webhooks.workspace_sweep", ignore_result=True)
def webhook_workspace_sweep() -> int:
    """Re-send deliveries that are due but whose message was lost (worker crash, broker
    restart, an ETA beyond the broker's visibility timeout)."""
    ids = delivery_ids_due(now=timezone.now())
    for delivery_id in ids:
        delivery_dispatch(delivery_id=delivery_id, schema=connection.schema_name)
    return len(ids)


@shared_task(base=PlatformTask, name="webhooks.platform_sweep", ignore_result=True)
def webhook_platform_sweep() -> int:
    """Beat's entry point (every minute or so): fan out to each active workspace."""
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            webhook_workspace_sweep.delay()
    return len(schemas)
