import logging

from celery import shared_task
from django_tenants.utils import schema_context

from crm.tenancy.celery import PlatformTask, TenantTask
from crm.tenancy.selectors import workspace_list_active

from .due import tasks_due_notify

logger = logging.getLogger(__name__)


@shared_task(base=PlatformTask, name="notifications.platform_tasks_due", ignore_result=True)
def platform_tasks_due() -> int:
    """Beat's entry point (every minute): one sweep per active workspace."""
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            workspace_tasks_due.delay()
    return len(schemas)


@shared_task(base=TenantTask, name="notifications.workspace_tasks_due", ignore_result=True,
             autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)  # fmt: skip
def workspace_tasks_due() -> int:
    """Idempotent: a task already notified has its row, so a retry or overlap sends nothing."""
    return tasks_due_notify()
