"""Celery tasks of conversation insights: take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from crm.tenancy.celery import TenantTask

from . import services


@shared_task(base=TenantTask, name="intelligence.insights_compute", ignore_result=True)
def compute_insight(activity_id: int) -> None:
    services.activity_insight_compute(activity_id=activity_id)
