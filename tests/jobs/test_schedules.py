"""The beat schedule lives in django-celery-beat's tables in the public schema and is kept in
place by code (schedules_sync, run after every public migrate), not by hand."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app as celery_app
from crm.tenancy.heartbeat import heartbeat_last_worker
from crm.tenancy.schedules import schedules_sync

HEARTBEAT_TASK = "tenancy.platform_heartbeat"


def _heartbeat_task() -> PeriodicTask:
    return PeriodicTask.objects.select_related("interval").get(task=HEARTBEAT_TASK)


def test_heartbeat_is_registered_with_the_configured_interval(db: None) -> None:
    schedules_sync()
    task = _heartbeat_task()
    assert task.enabled
    assert task.interval.every == settings.HEARTBEAT_INTERVAL_SECONDS
    assert task.interval.period == IntervalSchedule.SECONDS
    assert task.crontab is None and task.one_off is False


def test_schedules_sync_is_idempotent(db: None) -> None:
    first = schedules_sync()
    second = schedules_sync()
    assert [t.pk for t in first] == [t.pk for t in second]
    assert PeriodicTask.objects.filter(task=HEARTBEAT_TASK).count() == 1
    assert (
        IntervalSchedule.objects.filter(
            every=settings.HEARTBEAT_INTERVAL_SECONDS, period=IntervalSchedule.SECONDS
        ).count()
        == 1
    )


def test_a_changed_interval_updates_the_same_entry(db: None, settings: Any) -> None:
    before = schedules_sync()[0].pk
    settings.HEARTBEAT_INTERVAL_SECONDS = 45
    schedules_sync()
    task = _heartbeat_task()
    assert task.pk == before
    assert task.interval.every == 45


def test_sync_switches_a_disabled_heartbeat_back_on(db: None) -> None:
    # /healthz depends on it: a heartbeat switched off in the admin would fail every probe
    schedules_sync()
    PeriodicTask.objects.filter(task=HEARTBEAT_TASK).update(enabled=False)
    schedules_sync()
    assert _heartbeat_task().enabled


def test_migrate_platform_puts_a_deleted_heartbeat_back(db: None) -> None:
    PeriodicTask.objects.filter(task=HEARTBEAT_TASK).delete()
    call_command("migrate_platform", verbosity=0, stdout=io.StringIO())
    task = _heartbeat_task()
    assert task.enabled
    assert task.interval.every == settings.HEARTBEAT_INTERVAL_SECONDS


@pytest.fixture
def scheduler(db: None) -> Any:
    scheduler = DatabaseScheduler(app=celery_app, lazy=True)
    yield scheduler
    scheduler._finalize.cancel()  # its at-exit sync would touch the database after the test


def test_beat_reads_the_entry_and_firing_it_runs_the_heartbeat(
    scheduler: Any, eager_celery: None
) -> None:
    celery_app.loader.import_default_modules()  # as beat does on start: registers the tasks
    schedules_sync()
    entries = {e.task: e for e in scheduler.all_as_schedule().values()}
    entry = entries[HEARTBEAT_TASK]
    assert entry.schedule.run_every.total_seconds() == settings.HEARTBEAT_INTERVAL_SECONDS
    # beat sends from no workspace at all: the platform task must accept that
    scheduler.apply_async(entry)
    assert heartbeat_last_worker() is not None


def test_duplicate_intervals_made_in_the_admin_do_not_break_migrations(db: None) -> None:
    # IntervalSchedule has no unique constraint; operators can add a second "every 30 s".
    schedules_sync()
    IntervalSchedule.objects.create(
        every=settings.HEARTBEAT_INTERVAL_SECONDS, period=IntervalSchedule.SECONDS
    )
    schedules_sync()
    call_command("migrate_platform", verbosity=0, stdout=io.StringIO())
    assert _heartbeat_task().interval.every == settings.HEARTBEAT_INTERVAL_SECONDS


def test_webhook_sweep_runs_every_minute(db: None) -> None:
    schedules_sync()
    sweep = PeriodicTask.objects.get(task="webhooks.platform_sweep")
    assert sweep.enabled and sweep.interval.every == 60


def test_idempotency_purge_is_scheduled_hourly(db: None) -> None:
    schedules_sync()
    purge = PeriodicTask.objects.get(task="api.platform_purge_idempotency")
    assert purge.enabled and purge.interval.every == 3600


def test_sync_deletes_a_retired_schedule(db: None) -> None:
    from crm.tenancy.schedules import _RETIRED, schedule_retire

    every = IntervalSchedule.objects.create(every=3600, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="Old job", task="gone.task", interval=every)
    schedule_retire("Old job")
    try:
        schedules_sync()
        assert not PeriodicTask.objects.filter(name="Old job").exists()
        assert PeriodicTask.objects.filter(task=HEARTBEAT_TASK).exists()
    finally:
        _RETIRED.discard("Old job")
