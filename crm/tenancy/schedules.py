"""The platform's periodic jobs, kept in django-celery-beat's tables (public schema)."""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask


def schedules_sync() -> list[PeriodicTask]:
    """Create or update each platform periodic task; idempotent, safe on every migrate."""
    every = _interval(seconds=settings.HEARTBEAT_INTERVAL_SECONDS)
    heartbeat, _ = PeriodicTask.objects.update_or_create(
        name="Platform heartbeat (fans out to every workspace)",
        defaults={"task": "tenancy.platform_heartbeat", "interval": every, "enabled": True},
    )
    sweep, _ = PeriodicTask.objects.update_or_create(
        name="Webhook deliveries due for retry (every workspace)",
        defaults={
            "task": "webhooks.platform_sweep",
            "interval": _interval(seconds=60),
            "enabled": True,
        },
    )
    purge, _ = PeriodicTask.objects.update_or_create(
        name="Expired API idempotency keys (every workspace)",
        defaults={
            "task": "api.platform_purge_idempotency",
            "interval": _interval(seconds=3600),
            "enabled": True,
        },
    )
    tasks_due, _ = PeriodicTask.objects.update_or_create(
        name="Tasks due in 15 minutes: notify assignees (every workspace)",
        defaults={
            "task": "notifications.platform_tasks_due",
            "interval": _interval(seconds=60),
            "enabled": True,
        },
    )
    return [heartbeat, sweep, purge, tasks_due]


def _interval(*, seconds: int) -> IntervalSchedule:
    # Not get_or_create: intervals have no unique constraint, and a duplicate added in the admin
    # would make it raise MultipleObjectsReturned on every migrate.
    match = {"every": seconds, "period": IntervalSchedule.SECONDS}
    existing = IntervalSchedule.objects.filter(**match).order_by("pk").first()
    return existing or IntervalSchedule.objects.create(**match)
