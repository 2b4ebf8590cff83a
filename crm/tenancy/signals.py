from django.conf import settings
from django.db import connection
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate, dispatch_uid="tenancy.schedules_sync")
def _sync_schedules_after_public_migrate(sender, **_kwargs) -> None:
    """Beat's schedule lives in the public schema; refresh it whenever that schema migrates."""
    if sender.label != "tenancy" or connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
        return
    from .schedules import schedules_sync

    schedules_sync()
