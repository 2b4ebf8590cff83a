"""Celery task for imports: takes an id, calls one service, resumes after a crash."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from crm.tenancy.celery import TenantTask

from .services import import_job_run


@shared_task(
    base=TenantTask,
    name="imports.run",
    acks_late=True,  # a worker that dies mid-import leaves the message for another one
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def import_job_run_task(*, job_id: int) -> None:
    # Each retry resumes after the last committed batch (ImportJob.committed_rows).
    import_job_run(job_id=job_id)
