"""The platform's periodic jobs, kept in django-celery-beat's tables (public schema)."""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask


def schedules_sync() -> list[PeriodicTask]:
    """Create or update each platform periodic task; idempotent, safe on every migrate."""
    every, _ = IntervalSchedule.objects.get_or_create(
        every=settings.HEARTBEAT_INTERVAL_SECONDS, period=IntervalSchedule.SECONDS
    )
    heartbeat, _ = PeriodicTask.objects.update_or_create(
        name="Platform heartbeat (fans out to every workspace)",
        defaults={"task": "tenancy.platform_heartbeat", "interval": every, "enabled": True},
    )
    return [heartbeat]
