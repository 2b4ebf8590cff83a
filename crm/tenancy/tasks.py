import logging

import redis
from celery import shared_task
from django.db import connection
from django_tenants.utils import schema_context

from .celery import PlatformTask, TenantTask
from .heartbeat import heartbeat_mark_worker, heartbeat_mark_workspace
from .selectors import workspace_list_active

logger = logging.getLogger(__name__)


@shared_task(base=PlatformTask, name="tenancy.platform_heartbeat", ignore_result=True)
def platform_heartbeat() -> int:
    """Beat's entry point: mark the worker alive, then fan out to every active workspace."""
    heartbeat_mark_worker()
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            workspace_heartbeat.delay()
    logger.info("Heartbeat sent to %d workspaces", len(schemas))
    return len(schemas)


# redis-py's ConnectionError is not the built-in one: name both, or a Redis blip is not retried.
_TRANSIENT = (ConnectionError, redis.ConnectionError, redis.TimeoutError)


@shared_task(base=TenantTask, name="tenancy.workspace_heartbeat", ignore_result=True,
             autoretry_for=_TRANSIENT, retry_backoff=True, max_retries=3)  # fmt: skip
def workspace_heartbeat() -> str:
    """Runs inside one workspace's schema; proves its jobs reach the worker."""
    heartbeat_mark_workspace(schema_name=connection.schema_name)
    return connection.schema_name
