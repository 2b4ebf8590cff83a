"""Celery task: rescoring some customers after domain events. Nightly training and rescoring
run through the registry's generic jobs (intelligence/tasks.py), which cover churn too."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from crm.tenancy.celery import TenantTask

from .features import COMPANY, CONTACT
from .services import customer_scores_compute


@shared_task(base=TenantTask, name="intelligence.customers.rescore", ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)  # fmt: skip
def customers_rescore(companies: list[int] | None = None, contacts: list[int] | None = None) -> int:
    """Idempotent: a rerun only adds one more history row per customer."""
    keys = [(COMPANY, pk) for pk in companies or []] + [(CONTACT, pk) for pk in contacts or []]
    return len(customer_scores_compute(keys=keys))
