"""Celery tasks: rescoring some customers (after domain events), the nightly job per workspace
(retrain + rescore) and its beat entry point fanning out over workspaces."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django_tenants.utils import schema_context

from crm.tenancy.celery import PlatformTask, TenantTask
from crm.tenancy.selectors import workspace_list_active

from .features import COMPANY, CONTACT
from .services import customer_scores_compute, customers_nightly


@shared_task(base=TenantTask, name="intelligence.customers.rescore", ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)  # fmt: skip
def customers_rescore(companies: list[int] | None = None, contacts: list[int] | None = None) -> int:
    """Idempotent: a rerun only adds one more history row per customer."""
    keys = [(COMPANY, pk) for pk in companies or []] + [(CONTACT, pk) for pk in contacts or []]
    return len(customer_scores_compute(keys=keys))


@shared_task(base=TenantTask, name="intelligence.customers.workspace_nightly", ignore_result=True)
def customers_workspace_nightly() -> dict:
    return customers_nightly()


@shared_task(base=PlatformTask, name="intelligence.customers.platform_nightly", ignore_result=True)
def customers_platform_nightly() -> int:
    """Beat's entry point (daily 04:00 UTC): one nightly job per active workspace."""
    schemas = list(workspace_list_active().values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            customers_workspace_nightly.delay()
    return len(schemas)
