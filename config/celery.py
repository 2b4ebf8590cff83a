"""The Celery app. Tasks fail closed: by default a task needs a workspace schema (see
crm.tenancy.celery.TenantTask); platform-wide jobs opt out explicitly with PlatformTask."""

import os

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("lodestar", task_cls="crm.tenancy.celery:TenantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**_kwargs) -> None:
    """Keep Django's LOGGING (with schema and request id) instead of Celery's own."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
def _bind_task_id(task_id=None, **_kwargs) -> None:
    from crm.tenancy.context import current_request_id

    current_request_id.set(task_id)


@task_postrun.connect
def _unbind_task_id(**_kwargs) -> None:
    from crm.tenancy.context import current_request_id, current_schema

    current_request_id.set(None)
    current_schema.set(None)
