from __future__ import annotations

from django_celery_beat.models import PeriodicTask

from crm.tenancy.schedules import schedules_sync


def test_task_due_sweep_runs_every_minute(db: None) -> None:
    schedules_sync()
    sweep = PeriodicTask.objects.get(task="notifications.platform_tasks_due")
    assert sweep.enabled and sweep.interval.every == 60


def test_schedules_sync_keeps_one_entry(db: None) -> None:
    schedules_sync()
    schedules_sync()
    assert PeriodicTask.objects.filter(task="notifications.platform_tasks_due").count() == 1
