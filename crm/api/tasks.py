from celery import shared_task
from django_tenants.utils import schema_context

from crm.tenancy.celery import PlatformTask, TenantTask
from crm.tenancy.selectors import workspace_list_active

from .idempotency import idempotency_purge_expired


@shared_task(base=PlatformTask, name="api.platform_purge_idempotency", ignore_result=True)
def api_platform_purge_idempotency() -> int:
    """Beat's entry point: purge expired Idempotency-Key records in every active workspace."""
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            api_purge_idempotency.delay()
    return len(schemas)


@shared_task(base=TenantTask, name="api.purge_idempotency", ignore_result=True)
def api_purge_idempotency() -> int:
    return idempotency_purge_expired()
