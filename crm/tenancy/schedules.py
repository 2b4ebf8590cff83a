"""The platform's periodic jobs, kept in django-celery-beat's tables (public schema).

Apps above `crm` (intelligence, outreach, …) add theirs with `schedule_register(...)` from their
`AppConfig.ready`, so `crm` never imports them; `schedules_sync` (run after every public
migrate) writes the whole list."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class Schedule:
    """One beat entry: either every N seconds, or daily at hour:minute UTC."""

    name: str
    task: str
    every_seconds: int | None = None
    daily_at: tuple[int, int] | None = None  # (hour, minute) in UTC

    def __post_init__(self) -> None:
        if (self.every_seconds is None) == (self.daily_at is None):
            raise ValueError(f"{self.name}: give exactly one of every_seconds / daily_at")


_REGISTERED: dict[str, Schedule] = {}


def schedule_register(schedule: Schedule) -> None:
    """Add a periodic job (idempotent by name; call from AppConfig.ready)."""
    _REGISTERED[schedule.name] = schedule


_RETIRED: set[str] = set()


def schedule_retire(name: str) -> None:
    """A periodic job an app no longer has: `schedules_sync` deletes its row, so beat stops
    sending a task that no worker knows any more."""
    _RETIRED.add(name)


def _platform_schedules() -> list[Schedule]:
    return [
        Schedule(
            "Platform heartbeat (fans out to every workspace)",
            "tenancy.platform_heartbeat",
            every_seconds=settings.HEARTBEAT_INTERVAL_SECONDS,
        ),
        Schedule(
            "Webhook deliveries due for retry (every workspace)",
            "webhooks.platform_sweep",
            every_seconds=60,
        ),
        Schedule(
            "Expired API idempotency keys (every workspace)",
            "api.platform_purge_idempotency",
            every_seconds=3600,
        ),
        Schedule(
            "Tasks due in 15 minutes: notify assignees (every workspace)",
            "notifications.platform_tasks_due",
            every_seconds=60,
        ),
    ]


def schedules_sync() -> list[PeriodicTask]:
    """Create or update each periodic task; idempotent, safe on every migrate. The heartbeat
    comes first."""
    PeriodicTask.objects.filter(name__in=_RETIRED).delete()
    synced = []
    for schedule in [*_platform_schedules(), *_REGISTERED.values()]:
        when: dict = {"interval": None, "crontab": None}
        if schedule.every_seconds is not None:
            when["interval"] = _interval(seconds=schedule.every_seconds)
        else:
            hour, minute = schedule.daily_at  # type: ignore[misc]
            when["crontab"] = _daily(hour=hour, minute=minute)
        task, _ = PeriodicTask.objects.update_or_create(
            name=schedule.name, defaults={"task": schedule.task, "enabled": True, **when}
        )
        synced.append(task)
    return synced


def _interval(*, seconds: int) -> IntervalSchedule:
    # Not get_or_create: intervals have no unique constraint, and a duplicate added in the admin
    # would make it raise MultipleObjectsReturned on every migrate.
    match = {"every": seconds, "period": IntervalSchedule.SECONDS}
    existing = IntervalSchedule.objects.filter(**match).order_by("pk").first()
    return existing or IntervalSchedule.objects.create(**match)


def _daily(*, hour: int, minute: int) -> CrontabSchedule:
    match = {
        "minute": str(minute),
        "hour": str(hour),
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": "UTC",
    }
    existing = CrontabSchedule.objects.filter(**match).order_by("pk").first()
    return existing or CrontabSchedule.objects.create(**match)
